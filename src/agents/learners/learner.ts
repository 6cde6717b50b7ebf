import type { Decision, Observation } from '../../core/policy.ts';
import { ACTIONS } from '../../core/policy.ts';
import type { LearningEnv } from '../learning-env.ts';
import type { AgentNet } from '../../nn/agent-net.ts';
import type { HeadOutputs } from '../../nn/head-outputs.ts';

export type LearnerKind = 'dqn' | 'pg' | 'a2c' | 'ppo' | 'rltrader';

/** What one epoch of training did, for the epoch log line, learning curves and the epoch summary picture. */
export interface EpochStats {
  steps: number;
  explorations: number;
  buys: number;
  sells: number;
  holds: number;
  /** Mean loss over the epoch's updates (0 when none). */
  loss: number;
  updates: number;
  /** Env 0's portfolio value at the end of the epoch. */
  portfolioValue: number;
}

/**
 * Per-step record of env 0 during an epoch (RLTrader's memory_* lists), in typed arrays that grow by doubling.
 * value/policy rows hold the network outputs the decision was made from.
 */
export class EpochTrace {
  length = 0;
  t = new Int32Array(256);
  action = new Int8Array(256);
  explored = new Uint8Array(256);
  units = new Float64Array(256);
  portfolioValue = new Float64Array(256);
  value: Float32Array;
  policy: Float32Array;
  learnedAt: number[] = [];

  constructor(
    readonly valueWidth: number,
    readonly policyWidth: number,
  ) {
    this.value = new Float32Array(256 * valueWidth);
    this.policy = new Float32Array(256 * policyWidth);
  }

  reset(): void {
    this.length = 0;
    this.learnedAt = [];
  }

  private grow(): void {
    const n = this.t.length * 2;
    const g = <T extends Int32Array | Int8Array | Uint8Array | Float64Array | Float32Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.t = g(this.t, n);
    this.action = g(this.action, n);
    this.explored = g(this.explored, n);
    this.units = g(this.units, n);
    this.portfolioValue = g(this.portfolioValue, n);
    this.value = g(this.value, n * this.valueWidth);
    this.policy = g(this.policy, n * this.policyWidth);
  }

  push(t: number, action: number, explored: boolean, units: number, portfolioValue: number, outs: HeadOutputs | undefined): void {
    if (this.length === this.t.length) this.grow();
    const i = this.length++;
    this.t[i] = t;
    this.action[i] = action;
    this.explored[i] = explored ? 1 : 0;
    this.units[i] = units;
    this.portfolioValue[i] = portfolioValue;
    if (outs?.value && this.valueWidth) this.value.set(outs.value.subarray(0, this.valueWidth), i * this.valueWidth);
    if (outs?.policy && this.policyWidth) this.policy.set(outs.policy.subarray(0, this.policyWidth), i * this.policyWidth);
  }
}

/** Counts actions, explorations and losses through an epoch. */
export class EpochCounter {
  steps = 0;
  explorations = 0;
  buys = 0;
  sells = 0;
  holds = 0;
  private lossSum = 0;
  updates = 0;

  count(action: number, explored: boolean): void {
    this.steps++;
    if (explored) this.explorations++;
    if (action === 0) this.buys++;
    else if (action === 1) this.sells++;
    else this.holds++;
  }

  addLoss(loss: number): void {
    if (Number.isFinite(loss)) {
      this.lossSum += loss;
      this.updates++;
    }
  }

  stats(portfolioValue: number): EpochStats {
    return {
      steps: this.steps,
      explorations: this.explorations,
      buys: this.buys,
      sells: this.sells,
      holds: this.holds,
      loss: this.updates ? this.lossSum / this.updates : 0,
      updates: this.updates,
      portfolioValue,
    };
  }
}

export interface Learner {
  readonly kind: LearnerKind;
  /** The network that decides (the online network for DQN). */
  readonly net: AgentNet;
  /** Trains for one epoch: every env runs one episode; exploration rate `epsilon` where the learner uses one. */
  runEpoch(envs: LearningEnv[], epsilon: number, trace: EpochTrace): EpochStats;
  /** Greedy decision, no exploration, no learning. */
  decide(obs: Observation): Decision;
  /** Numbers besides the network weights that a saved agent needs (e.g. the continuous policy's log-std). */
  extraState(): Record<string, number>;
  dispose(): void;
}

/** Whether the policy head is a continuous target position rather than action scores. */
export function isContinuous(net: AgentNet): boolean {
  return net.continuous;
}

export function argmax(a: Float32Array, from = 0, n = a.length - from): number {
  let best = from;
  for (let i = from + 1; i < from + n; i++) if (a[i] > a[best]) best = i;
  return best - from;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Softmax of row `row` of width n into `out`. */
export function softmaxRow(src: Float32Array, row: number, n: number, out: Float32Array): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, src[row * n + i]);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Math.exp(src[row * n + i] - max);
    sum += out[i];
  }
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}

/**
 * A continuous agent rebalances only when its target differs from what it holds by more than this share of value:
 * chasing every small wiggle of the policy's mean would pay fees for nothing.
 */
export const REBALANCE_BAND = 0.05;

/** 0 buy (raise the position), 1 sell (lower it), 2 hold (inside the band). */
export function positionAction(target: number, holdRatio: number): number {
  return target > holdRatio + REBALANCE_BAND ? 0 : target < holdRatio - REBALANCE_BAND ? 1 : 2;
}

/**
 * The greedy decision from network outputs, RLTrader's way: policy head if there is one (confidence = its
 * probability), else the value head (confidence = sigmoid of the chosen action's value). A continuous head gives
 * a target position; the action then says which way the position moves.
 */
export function greedyDecision(net: AgentNet, outs: HeadOutputs, holdRatio: number, probs: Float32Array): Decision {
  if (outs.policy && isContinuous(net)) {
    const target = Math.min(1, Math.max(0, outs.policy[0]));
    const action = positionAction(target, holdRatio);
    if (action === 2) return { action: 'hold', confidence: 0 };
    return { action: ACTIONS[action], confidence: Math.abs(target - holdRatio), targetPosition: target };
  }
  if (outs.policy) {
    const p = net.policyOutput === 'logits' ? softmaxRow(outs.policy, 0, 3, probs) : outs.policy;
    const a = argmax(p, 0, 3);
    return { action: ACTIONS[a], confidence: Math.min(1, Math.max(0, p[a])) };
  }
  const q = outs.value as Float32Array;
  const a = argmax(q, 0, 3);
  return { action: ACTIONS[a], confidence: sigmoid(q[a]) };
}
