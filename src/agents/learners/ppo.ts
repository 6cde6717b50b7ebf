/** Proximal policy optimisation, on the shared on-policy loop. */
import type { AgentNet } from '../../nn/agent-net.ts';
import { OnPolicyLearner } from './onpolicy.ts';
import { ON_POLICY_DEFAULTS, onPolicyParamsShape, type OnPolicyParams } from './onpolicy-params.ts';
import { defineLearner } from './learner.ts';
import { whole } from './param-schemas.ts';
import { z } from 'zod';

/**
 * Proximal policy optimisation (Schulman et al. 2017): clipped surrogate, GAE, several epochs of minibatches per
 * rollout, several environments stepped together with one batched forward pass. Discrete (buy/sell/hold) or
 * continuous (a Gaussian target position in [0, 1], the PPO ETF notebook's action) by the network's policy head.
 */
const PPO_DEFAULTS: OnPolicyParams = {
  ...ON_POLICY_DEFAULTS,
  advantage: 'gae',
  gaeLambda: 0.95,
  clip: 0.2,
  rolloutSteps: 128,
  epochsPerRollout: 4,
  minibatchSize: 128,
  learningRate: 3e-4,
};

export function createPpo(
  net: AgentNet,
  params: Partial<OnPolicyParams>,
  seed: number,
  logStd?: number,
): OnPolicyLearner {
  return new OnPolicyLearner('ppo', net, { ...PPO_DEFAULTS, ...params }, seed, logStd);
}

/**
 * The registry entry: value head of 1 and a policy head of 3 (discrete) or 2 (continuous: a 2-way softmax whose first
 * output is the mean target position); `envs` environments stepped together (default 4).
 */
export const ppoLearner = defineLearner({
  kind: 'ppo',
  schema: z
    .strictObject(onPolicyParamsShape)
    .partial()
    .extend({
      kind: z.literal('ppo'),
      action: z.enum(['discrete', 'continuous']).optional(),
      envs: whole(1).optional(),
    }),
  exploration: { kind: 'constant', value: 0 },
  heads: (l) =>
    l.action === 'continuous'
      ? { heads: { value: 1, policy: 2 }, continuous: true }
      : { heads: { value: 1, policy: 3 }, continuous: false },
  envs: (l) => Math.max(1, l.envs ?? 4),
  create: ({ kind: _k, action: _a, envs: _e, ...params }, { net, seed }) => createPpo(net, params, seed),
});
