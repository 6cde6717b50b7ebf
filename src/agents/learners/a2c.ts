/** Advantage actor-critic, on the shared on-policy loop. */
import type { AgentNet } from '../../nn/agent-net.ts';
import { OnPolicyLearner } from './onpolicy.ts';
import { ON_POLICY_DEFAULTS, onPolicyParamsShape, type OnPolicyParams } from './onpolicy-params.ts';
import { defineLearner } from './learner.ts';
import { z } from 'zod';

/**
 * Advantage actor-critic (Mnih et al. 2016, synchronous): one network with a shared trunk and value + policy heads,
 * advantage from n-step returns or GAE over short rollouts, value loss + policy loss − entropy bonus.
 */
const A2C_DEFAULTS: OnPolicyParams = {
  ...ON_POLICY_DEFAULTS,
  advantage: 'nstep',
  nSteps: 5,
  rolloutSteps: 32,
  clip: 0,
  epochsPerRollout: 1,
};

export function createA2c(net: AgentNet, params: Partial<OnPolicyParams>, seed: number): OnPolicyLearner {
  return new OnPolicyLearner('a2c', net, { ...A2C_DEFAULTS, ...params }, seed);
}

/** The registry entry: value head of 1 and policy head of 3 on one trunk. */
export const a2cLearner = defineLearner({
  kind: 'a2c',
  schema: z
    .strictObject(onPolicyParamsShape)
    .partial()
    .extend({ kind: z.literal('a2c') }),
  exploration: { kind: 'constant', value: 0 },
  heads: () => ({ heads: { value: 1, policy: 3 }, continuous: false }),
  create: ({ kind: _k, ...params }, { net, seed }) => createA2c(net, params, seed),
});
