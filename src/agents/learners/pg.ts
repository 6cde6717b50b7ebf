/** REINFORCE with a baseline, on the shared on-policy loop. */
import type { AgentNet } from '../../nn/agent-net.ts';
import { OnPolicyLearner } from './onpolicy.ts';
import { ON_POLICY_DEFAULTS, onPolicyParamsShape, type OnPolicyParams } from './onpolicy-params.ts';
import { defineLearner } from './learner.ts';
import { z } from 'zod';

/**
 * REINFORCE (Williams 1992) with a baseline: Monte-Carlo returns over each rollout, softmax policy, entropy bonus.
 * The baseline is the value head when the network has one, else the rollout's mean return.
 */
const PG_DEFAULTS: OnPolicyParams = {
  ...ON_POLICY_DEFAULTS,
  advantage: 'mc',
  rolloutSteps: 256,
  clip: 0,
  epochsPerRollout: 1,
};

export function createPg(net: AgentNet, params: Partial<OnPolicyParams>, seed: number): OnPolicyLearner {
  return new OnPolicyLearner('pg', net, { ...PG_DEFAULTS, ...params }, seed);
}

/** The registry entry: a policy head of 3 and a value head of 1 as the baseline ('mean': the rollout's mean return). */
export const pgLearner = defineLearner({
  kind: 'pg',
  schema: z
    .strictObject(onPolicyParamsShape)
    .partial()
    .extend({ kind: z.literal('pg'), baseline: z.enum(['value', 'mean']).optional() }),
  exploration: { kind: 'constant', value: 0 },
  heads: (l) => ({ heads: l.baseline === 'mean' ? { policy: 3 } : { value: 1, policy: 3 }, continuous: false }),
  create: ({ kind: _k, baseline: _b, ...params }, { net, seed }) => createPg(net, params, seed),
});
