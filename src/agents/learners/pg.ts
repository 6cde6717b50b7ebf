/** REINFORCE with a baseline, on the shared on-policy loop. */
import type { AgentNet } from '../../nn/agent-net.ts';
import { OnPolicyLearner } from './onpolicy.ts';
import { ON_POLICY_DEFAULTS, type OnPolicyParams } from './onpolicy-params.ts';

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
