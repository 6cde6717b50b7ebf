/** Hyper-parameters of the on-policy learners (REINFORCE, A2C, PPO), their defaults and their ranges. */
import { z } from 'zod';
import { nonNegative, positive, unitInterval, whole } from './param-schemas.ts';
import { RECIPE_LIMITS } from '../../core/limits.ts';

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

/** Every on-policy hyper-parameter's range, for the recipe schemas of pg, a2c and ppo. */
export const onPolicyParamsShape = {
  gamma: unitInterval,
  learningRate: positive,
  // bounded (RECIPE_LIMITS): sizes this large used to crash mid-run with `Invalid typed array length`
  rolloutSteps: whole(1).max(RECIPE_LIMITS.steps),
  advantage: z.enum(['mc', 'nstep', 'gae']),
  nSteps: whole(1).max(RECIPE_LIMITS.steps),
  gaeLambda: unitInterval,
  clip: z.number().min(0).lt(1),
  epochsPerRollout: whole(1).max(RECIPE_LIMITS.steps),
  minibatchSize: whole(1).max(RECIPE_LIMITS.batch),
  entropyCoef: nonNegative,
  valueCoef: nonNegative,
  normaliseAdvantages: z.boolean(),
  rewardScale: positive,
  clipNorm: nonNegative,
  initialLogStd: z.number(),
} satisfies Record<keyof OnPolicyParams, z.ZodType>;
