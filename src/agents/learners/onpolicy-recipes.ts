/**
 * The on-policy learners' registry entries (recipe schemas, heads, environments): pg, a2c and ppo on one market, and
 * ppo-weights on a portfolio. Their learners (pg.ts, a2c.ts, ppo.ts, ppo-weights.ts) are built in factories.ts.
 */
import { z } from 'zod';
import { defineLearner, type PortfolioLearnerDefinition } from './learner.ts';
import { onPolicyParamsShape } from './onpolicy-params.ts';
import { learnerSchema, whole } from './param-schemas.ts';
import { RECIPE_LIMITS } from '../../core/limits.ts';

/** The registry entry: a policy head of 3 and a value head of 1 as the baseline ('mean': the rollout's mean return). */
export const pgLearner = defineLearner({
  kind: 'pg',
  schema: learnerSchema(onPolicyParamsShape, { kind: z.literal('pg'), baseline: z.enum(['value', 'mean']).optional() }),
  exploration: { kind: 'constant', value: 0 },
  heads: (l) => ({ heads: l.baseline === 'mean' ? { policy: 3 } : { value: 1, policy: 3 }, continuous: false }),
});

/** The registry entry: value head of 1 and policy head of 3 on one trunk. */
export const a2cLearner = defineLearner({
  kind: 'a2c',
  schema: learnerSchema(onPolicyParamsShape, { kind: z.literal('a2c') }),
  exploration: { kind: 'constant', value: 0 },
  heads: () => ({ heads: { value: 1, policy: 3 }, continuous: false }),
});

/**
 * The registry entry: value head of 1 and a policy head of 3 (discrete) or 2 (continuous: a 2-way softmax whose first
 * output is the mean target position); `envs` environments stepped together (default 4).
 */
export const ppoLearner = defineLearner({
  kind: 'ppo',
  schema: learnerSchema(onPolicyParamsShape, {
    kind: z.literal('ppo'),
    action: z.enum(['discrete', 'continuous']).optional(),
    envs: whole(1).max(RECIPE_LIMITS.envs).optional(),
  }),
  exploration: { kind: 'constant', value: 0 },
  heads: (l) =>
    l.action === 'continuous'
      ? { heads: { value: 1, policy: 2 }, continuous: true }
      : { heads: { value: 1, policy: 3 }, continuous: false },
  envs: (l) => Math.max(1, l.envs ?? 4),
});

const ppoWeightsSchema = z
  .strictObject(onPolicyParamsShape)
  .omit({ advantage: true, nSteps: true })
  .partial()
  .extend({ kind: z.literal('ppo-weights'), envs: whole(1).max(RECIPE_LIMITS.envs).optional() });

export type PpoWeightsRecipe = z.infer<typeof ppoWeightsSchema>;

/** The portfolio registry entry: `envs` environments stepped together (default 8). */
export const ppoWeightsLearner: PortfolioLearnerDefinition<PpoWeightsRecipe> = {
  kind: 'ppo-weights',
  schema: ppoWeightsSchema,
  envs: (l) => l.envs ?? 8,
};
