/** The DQN learner's recipe side: its parameters, their defaults and ranges, and its registry entry. */
import { z } from 'zod';
import { defineLearner } from './learner.ts';
import { learnerSchema, nonNegative, positive, unitInterval, whole } from './param-schemas.ts';
import { REPLAY_MAX_BYTES, replayCapacity } from './replay.ts';
import type { ObservationSize } from './learner.ts';
import { RECIPE_LIMITS } from '../../core/limits.ts';

export interface DqnParams {
  gamma: number;
  learningRate: number;
  batchSize: number;
  replayCapacity: number;
  /** Transitions collected before the first update. */
  warmup: number;
  /** One update every this many env steps … */
  trainEvery: number;
  /** … of this many gradient steps. */
  gradientSteps: number;
  /** Target network: hard copy every `every` updates, or Polyak averaging with rate `tau` after each update. */
  target: { kind: 'periodic'; every: number } | { kind: 'soft'; tau: number };
  /** Double DQN: the online network picks the next action, the target network values it. */
  double: boolean;
  huberDelta: number;
  /** Rewards are multiplied by this before learning (log returns per candle are tiny). */
  rewardScale: number;
  clipNorm: number;
  /** Rewards summed over this many steps before bootstrapping (n-step returns, nstep.ts); 1 = one-step Q-learning. */
  nStep: number;
  /** Decoupled weight decay of the kernels (AdamW); 0 = plain Adam. */
  weightDecay: number;
  /** The learning rate over training: constant, or halved every `halfLife` updates down to `min`. */
  learningRateSchedule: { kind: 'constant' } | { kind: 'exponential'; halfLife: number; min: number };
}

export const DQN_DEFAULTS: DqnParams = {
  gamma: 0.9,
  learningRate: 1e-3,
  batchSize: 64,
  replayCapacity: 50_000,
  warmup: 256,
  trainEvery: 8,
  gradientSteps: 1,
  target: { kind: 'periodic', every: 100 },
  double: true,
  huberDelta: 1,
  rewardScale: 100,
  clipNorm: 0,
  nStep: 1,
  weightDecay: 0,
  learningRateSchedule: { kind: 'constant' },
};

const dqnParamsShape = {
  gamma: unitInterval,
  learningRate: positive,
  // bounded (RECIPE_LIMITS): a batchSize of 1e9 used to crash mid-run with `Invalid typed array length`
  batchSize: whole(1).max(RECIPE_LIMITS.batch),
  replayCapacity: whole(1).max(RECIPE_LIMITS.replay),
  warmup: whole(0).max(RECIPE_LIMITS.steps),
  trainEvery: whole(1).max(RECIPE_LIMITS.steps),
  gradientSteps: whole(1).max(RECIPE_LIMITS.steps),
  target: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('periodic'), every: whole(1) }),
    z.strictObject({ kind: z.literal('soft'), tau: z.number().gt(0).max(1) }),
  ]),
  double: z.boolean(),
  huberDelta: positive,
  rewardScale: positive,
  clipNorm: nonNegative,
  nStep: whole(1).max(RECIPE_LIMITS.steps),
  weightDecay: nonNegative,
  learningRateSchedule: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('constant') }),
    z.strictObject({ kind: z.literal('exponential'), halfLife: whole(1), min: z.number().min(0) }),
  ]),
} satisfies Record<keyof DqnParams, z.ZodType>;

/** The transitions a DQN's replay holds for observations of `size`: learner.replayCapacity under the memory cap. */
function dqnReplayCapacity(p: DqnParams, size: ObservationSize): number {
  return replayCapacity(p.replayCapacity, size.xSize, size.stateSize, p.batchSize);
}

const capWhy = (p: DqnParams, size: ObservationSize) =>
  `the replay's ${REPLAY_MAX_BYTES / 2 ** 20} MiB memory cap at ${size.xSize + size.stateSize} numbers per observation`;

/**
 * Why a DQN of `p` would never learn (its replay holds fewer transitions than learner.warmup, so training ran its
 * epochs and then said "give more data or epochs", which could not help: audit of chart images), or undefined.
 * Without `size` (observations not known before the data) only learner.replayCapacity is compared.
 */
export function dqnReplayProblem(p: DqnParams, size?: ObservationSize): string | undefined {
  const held = size ? dqnReplayCapacity(p, size) : p.replayCapacity;
  if (p.warmup <= held) return undefined;
  const why =
    held < p.replayCapacity
      ? `learner.replayCapacity ${p.replayCapacity} capped by ${capWhy(p, size!)}`
      : 'learner.replayCapacity';
  return (
    `learner.warmup ${p.warmup} is more than the replay holds (${held} transitions: ${why}), so the DQN would ` +
    `never learn: give a learner.warmup of at most ${held}`
  );
}

/** The line a capped replay logs (from → to, and why), or undefined when it holds learner.replayCapacity. */
export function replayCapNote(p: DqnParams, size: ObservationSize): string | undefined {
  const held = dqnReplayCapacity(p, size);
  if (held >= p.replayCapacity) return undefined;
  return `DQN replay holds ${held} transitions, not learner.replayCapacity ${p.replayCapacity}: ${capWhy(p, size)}`;
}

/** The registry entry: one value head of 3 (buy, sell, hold), ε-greedy (RLTrader's linear ε by default). */
export const dqnLearner = defineLearner({
  kind: 'dqn',
  schema: learnerSchema(dqnParamsShape, { kind: z.literal('dqn') }),
  exploration: { kind: 'linear', start: 0.5, end: 0.02 },
  heads: () => ({ heads: { value: 3 }, continuous: false }),
  check: ({ kind: _k, ...params }, size) => dqnReplayProblem({ ...DQN_DEFAULTS, ...params }, size),
});
