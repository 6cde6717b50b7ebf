/** Proximal policy optimisation, on the shared on-policy loop. */
import type { AgentNet } from '../../nn/agent-net.ts';
import { OnPolicyLearner } from './onpolicy.ts';
import { ON_POLICY_DEFAULTS, type OnPolicyParams } from './onpolicy-params.ts';

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
