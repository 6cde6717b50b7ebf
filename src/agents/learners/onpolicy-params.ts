/** Hyper-parameters of the on-policy learners (REINFORCE, A2C, PPO) and their defaults. */

export interface OnPolicyParams {
  gamma: number;
  learningRate: number;
  /** Steps per environment between updates. */
  rolloutSteps: number;
  /** 'mc': Monte-Carlo returns (REINFORCE); 'nstep': n-step returns; 'gae': generalised advantage estimation. */
  advantage: 'mc' | 'nstep' | 'gae';
  nSteps: number;
  gaeLambda: number;
  /** PPO: clipped surrogate with this ε; 0 = plain policy gradient. */
  clip: number;
  /** Passes over each rollout (PPO: several; PG/A2C: 1). */
  epochsPerRollout: number;
  minibatchSize: number;
  entropyCoef: number;
  valueCoef: number;
  normaliseAdvantages: boolean;
  rewardScale: number;
  clipNorm: number;
  /** Continuous target-position policy: initial log standard deviation of the Gaussian. */
  initialLogStd: number;
}

export const ON_POLICY_DEFAULTS: OnPolicyParams = {
  gamma: 0.9,
  learningRate: 1e-3,
  rolloutSteps: 128,
  advantage: 'gae',
  nSteps: 5,
  gaeLambda: 0.95,
  clip: 0,
  epochsPerRollout: 1,
  minibatchSize: 256,
  entropyCoef: 0.01,
  valueCoef: 0.5,
  normaliseAdvantages: true,
  rewardScale: 100,
  clipNorm: 1,
  initialLogStd: -1,
};
