/**
 * The agent recipe a strategy file fills in (features, network, learner, sizing, reward, costs), its zod schema and
 * its check at load: the learner part is checked by the learner registry's schema for its kind.
 */
import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import type { NetworkKind } from '../nn/spec.ts';
import { SCALER_KINDS, type ScalerKind } from '../features/scaler.ts';
import { listCostPresets, type CostPresetName } from '../market/costs.ts';
import type { RewardOptions } from '../market/reward.ts';
import { findLearner, LEARNER_KINDS, type LearnerRecipe } from './learners/registry.ts';
import { epsilonScheduleSchema, type EpsilonSchedule } from './learners/schedule.ts';
import { whole } from './learners/param-schemas.ts';

export type { LearnerRecipe } from './learners/registry.ts';

/**
 * An agent strategy's recipe (strategies/*.ts fill one in): what the agent sees, its network, how it learns, how it
 * trades. Everything not named here comes from config (`agent`, `backtest`, `account`).
 */
export interface AgentRecipe {
  /** Feature spec (src/features), e.g. 'rltrader-v1' or 'rltrader-v1+ta'. */
  features: string;
  /** Scaler fitted on the training rows only. */
  scaler: ScalerKind;
  /** Feature rows per observation, ending at the decision candle. */
  window: number;
  /** Chart-image sequences for image networks: spec as `parseImageSpec` reads it, frames per observation. */
  image?: { spec: string; frames: number };
  network: {
    kind: NetworkKind;
    hidden?: number[];
    dropout?: number;
    batchNorm?: boolean;
    rnnUnits?: number;
    rnn?: 'lstm' | 'gru';
    activation?: string;
  };
  /** The learner that trains the network (a kind in learners/registry.ts), with parameters other than its defaults. */
  learner: LearnerRecipe;
  /** ε for learners that explore ε-greedily (DQN, RLTrader); on-policy learners explore by sampling. */
  exploration?: EpsilonSchedule;
  /** 'confidence': RLTrader's trading unit (bounds from config backtest.min/maxTradeValue); 'target': continuous position. */
  sizing: 'all' | 'confidence' | 'target';
  reward: RewardOptions;
  /** Cost preset, or 'config' for the account section's costs. */
  costs: 'config' | CostPresetName;
  /** Default epochs (config agent.epochs and --epochs override). */
  epochs?: number;
  /** Training episodes: the whole training range each epoch (default) or seeded random windows of this many candles. */
  episodeLength?: number;
  stopLoss?: number;
}

const networkSchema = z.strictObject({
  kind: z.enum(['dnn', 'lstm', 'cnn', 'cnnrnn']),
  hidden: z.array(whole(1)).optional(),
  dropout: z.number().min(0).lt(1).optional(),
  batchNorm: z.boolean().optional(),
  rnnUnits: whole(1).optional(),
  rnn: z.enum(['lstm', 'gru']).optional(),
  activation: z.string().min(1).optional(),
}) satisfies z.ZodType<AgentRecipe['network']>;

const rewardSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('delayed'), threshold: z.number().gt(0).lt(1) }),
  z.strictObject({ kind: z.literal('logReturn') }),
  z.strictObject({ kind: z.literal('sharpe'), eta: z.number().gt(0).lt(1) }),
  z.strictObject({ kind: z.literal('drawdown'), penalty: z.number().min(0) }),
]) satisfies z.ZodType<RewardOptions>;

/** Everything but the learner's parameters, which its registry entry checks. */
const recipeSchema = z.strictObject({
  features: z.string(),
  scaler: z.enum(SCALER_KINDS),
  window: whole(0),
  image: z.strictObject({ spec: z.string().min(1), frames: whole(1) }).optional(),
  network: networkSchema,
  learner: z.looseObject({ kind: z.string() }),
  exploration: epsilonScheduleSchema.optional(),
  sizing: z.enum(['all', 'confidence', 'target']),
  reward: rewardSchema,
  costs: z.enum(['config', ...listCostPresets()]),
  epochs: whole(1).optional(),
  episodeLength: whole(2).optional(),
  stopLoss: z.number().gt(0).lt(1).optional(),
});

function keysOf(schema: z.ZodType): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

/** One zod issue as `recipe.<key>: <problem>`; an unknown key at the top of `schema` lists the keys it takes. */
function describeIssue(issue: z.core.$ZodIssue, prefix: string[], schema: z.ZodType, owner: string): string {
  const path = [...prefix, ...issue.path].map(String);
  const key = ['recipe', ...path].join('.');
  if (issue.code === 'unrecognized_keys') {
    const known = issue.path.length ? [] : keysOf(schema).filter((k) => k !== 'kind');
    const which = issue.keys.map((k) => `${key}.${k}`).join(', ');
    return `${which}: unknown key${known.length ? ` (${owner} takes ${known.join(', ')})` : ''}`;
  }
  const got = 'input' in issue && issue.input !== undefined ? ` (got ${JSON.stringify(issue.input)})` : '';
  return `${key}: ${issue.message}${got}`;
}

/**
 * Checks a strategy's recipe against the recipe schema and its learner's registry schema; the first problem is a
 * one-line UserError naming `where` (the strategy file) and the key. Returns the recipe as given.
 */
export function checkRecipe(where: string, r: unknown): AgentRecipe {
  const bad = (what: string) => new UserError(`${where}: ${what}`);
  if (!r || typeof r !== 'object') throw bad('recipe is missing');
  const x = r as Record<string, unknown>;
  const learner = x.learner as { kind?: unknown } | undefined;
  // the learner kind first: it decides which schema the learner's parameters are read with
  if (!learner || typeof learner !== 'object' || !findLearner(learner.kind)) {
    const got = learner && typeof learner === 'object' ? ` (got ${JSON.stringify(learner.kind)})` : '';
    throw bad(`recipe.learner.kind must be one of ${LEARNER_KINDS.join(', ')}${got}`);
  }
  const top = recipeSchema.safeParse(r, { reportInput: true });
  if (!top.success) throw bad(describeIssue(top.error.issues[0], [], recipeSchema, 'a recipe'));
  const entry = findLearner(learner.kind)!;
  const own = entry.schema.safeParse(learner, { reportInput: true });
  if (!own.success) throw bad(describeIssue(own.error.issues[0], ['learner'], entry.schema, `learner ${entry.kind}`));
  return r as AgentRecipe;
}
