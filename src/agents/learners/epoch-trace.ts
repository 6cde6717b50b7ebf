/** What an epoch of training records: its counts and mean loss (EpochStats, EpochCounter) and env 0's step trace. */
import type { HeadOutputs } from '../../nn/head-outputs.ts';

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
  /**
   * Training diagnostics as stable-baselines3 logs them, each the mean over the epoch's updates: on-policy learners
   * approxKl, clipFraction, entropy, explainedVariance, gradNorm; DQN meanQ, tdError, gradNorm; RLTrader gradNorm.
   * Any learner: nonFiniteLosses, the count of updates whose loss was NaN or infinite (absent when none).
   */
  diagnostics: Record<string, number>;
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

  push(
    t: number,
    action: number,
    explored: boolean,
    units: number,
    portfolioValue: number,
    outs: HeadOutputs | undefined,
  ): void {
    if (this.length === this.t.length) this.grow();
    const i = this.length++;
    this.t[i] = t;
    this.action[i] = action;
    this.explored[i] = explored ? 1 : 0;
    this.units[i] = units;
    this.portfolioValue[i] = portfolioValue;
    if (outs?.value && this.valueWidth) this.value.set(outs.value.subarray(0, this.valueWidth), i * this.valueWidth);
    if (outs?.policy && this.policyWidth)
      this.policy.set(outs.policy.subarray(0, this.policyWidth), i * this.policyWidth);
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
  /** Updates whose loss was NaN or infinite: left out of the mean, reported as diagnostics.nonFiniteLosses. */
  private nonFiniteLosses = 0;
  private readonly diagnosticSums = new Map<string, { sum: number; n: number }>();

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
    } else this.nonFiniteLosses++;
  }

  /** One update's diagnostics (non-finite values are skipped); stats() reports each one's mean. */
  addDiagnostics(d: Record<string, number>): void {
    for (const [key, v] of Object.entries(d)) {
      if (!Number.isFinite(v)) continue;
      const e = this.diagnosticSums.get(key) ?? { sum: 0, n: 0 };
      e.sum += v;
      e.n++;
      this.diagnosticSums.set(key, e);
    }
  }

  stats(portfolioValue: number): EpochStats {
    const diagnostics: Record<string, number> = {};
    for (const [key, { sum, n }] of this.diagnosticSums) diagnostics[key] = sum / n;
    // a count, not a mean: a diverged run must not read as an epoch without updates (JsAdam refuses these steps)
    if (this.nonFiniteLosses) diagnostics.nonFiniteLosses = this.nonFiniteLosses;
    return {
      steps: this.steps,
      explorations: this.explorations,
      buys: this.buys,
      sells: this.sells,
      holds: this.holds,
      loss: this.updates ? this.lossSum / this.updates : 0,
      updates: this.updates,
      portfolioValue,
      diagnostics,
    };
  }
}
