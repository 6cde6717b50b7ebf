/** Advantage actor-critic, on the shared on-policy loop. */
import type { AgentNet } from '../../nn/agent-net.ts';
import { OnPolicyLearner } from './onpolicy.ts';
import { ON_POLICY_DEFAULTS, type OnPolicyParams } from './onpolicy-params.ts';

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
