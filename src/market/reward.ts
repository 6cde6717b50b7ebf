/** Reward choices of the trading environment, all from the marked portfolio value. */
import { UserError } from '../core/errors.ts';

/**
 * Reward choices; every one is computed from the marked portfolio value, so fees, tax and slippage are always inside.
 * - `delayed`: RLTrader. The immediate reward is P/L since the start; it is paid out (as the delayed reward) only at
 *   steps where |value / value at the last paid step − 1| passes `threshold`; other steps reward 0.
 * - `logReturn`: ln(value_t / value_{t−1}), less `turnoverPenalty` × (fees + tax + slippage paid this step) /
 *   value_{t−1}: the costs are already inside the value once; the penalty charges churning again (issue 13).
 * - `excessLogReturn`: the log return over a benchmark's, ln(value_t / value_{t−1}) − ln(close_t / close_{t−1}) for
 *   `buyAndHold` (0 for `flat`: cash earns nothing), with the same optional turnover penalty. Holding the benchmark
 *   earns nothing; only beating it does.
 * - `sharpe`: differential Sharpe ratio (Moody & Saffell 1998) with adaptation rate `eta`.
 * - `drawdown`: log return − penalty × (growth of the drawdown from the running peak this step).
 */
export type RewardOptions =
  | { kind: 'delayed'; threshold: number }
  | { kind: 'logReturn'; turnoverPenalty?: number }
  | { kind: 'excessLogReturn'; benchmark: 'buyAndHold' | 'flat'; turnoverPenalty?: number }
  | { kind: 'sharpe'; eta: number }
  | { kind: 'drawdown'; penalty: number };

function checkReward(r: RewardOptions): void {
  switch (r.kind) {
    case 'delayed':
      if (!(r.threshold > 0 && r.threshold < 1))
        throw new UserError(`reward: delayed threshold must be in (0, 1), got ${r.threshold}`);
      return;
    case 'logReturn':
      checkPenalty(r.turnoverPenalty);
      return;
    case 'excessLogReturn':
      if (r.benchmark !== 'buyAndHold' && r.benchmark !== 'flat') {
        throw new UserError(`reward: excessLogReturn benchmark must be buyAndHold or flat, got ${String(r.benchmark)}`);
      }
      checkPenalty(r.turnoverPenalty);
      return;
    case 'sharpe':
      if (!(r.eta > 0 && r.eta < 1)) throw new UserError(`reward: sharpe eta must be in (0, 1), got ${r.eta}`);
      return;
    case 'drawdown':
      if (!(r.penalty >= 0 && Number.isFinite(r.penalty)))
        throw new UserError(`reward: drawdown penalty must be ≥ 0, got ${r.penalty}`);
      return;
    default:
      throw new UserError(
        `reward: unknown kind "${(r as { kind: string }).kind}" (use ` +
          `delayed, logReturn, excessLogReturn, sharpe or drawdown)`,
      );
  }
}

function checkPenalty(p: number | undefined): void {
  if (p !== undefined && !(Number.isFinite(p) && p >= 0)) {
    throw new UserError(`reward: turnoverPenalty must be a number ≥ 0, got ${p}`);
  }
}

/** Running reward state for one episode. */
export class RewardTracker {
  /** P/L since the episode start at the last step (RLTrader's immediate reward). */
  immediate = 0;
  /** RLTrader's delayed reward at the last step (0 unless the threshold was passed). */
  delayed = 0;
  private readonly options: RewardOptions;
  /** Other reward kinds still report RLTrader's delayed reward in step info, with its usual 5% threshold. */
  private readonly threshold: number;
  private initial = 1;
  private prev = 1;
  private base = 1;
  private peak = 1;
  private drawdown = 0;
  private a = 0;
  private b = 0;

  constructor(options: RewardOptions) {
    checkReward(options);
    this.options = options;
    this.threshold = options.kind === 'delayed' ? options.threshold : 0.05;
  }

  reset(value: number): void {
    this.initial = value;
    this.prev = value;
    this.base = value;
    this.peak = value;
    this.drawdown = 0;
    this.a = 0;
    this.b = 0;
    this.immediate = 0;
    this.delayed = 0;
  }

  /**
   * Reward for a step that ended with portfolio value `value`, having paid `cost` (fees + tax + slippage, quote
   * currency) on its fill, while the asset's close moved by `priceRatio` (close_t / close_{t−1}).
   */
  step(value: number, cost = 0, priceRatio = 1): number {
    const o = this.options;
    const prev = this.prev;
    this.prev = value;
    this.immediate = value / this.initial - 1;
    const sinceBase = value / this.base - 1;
    if (sinceBase > this.threshold || sinceBase < -this.threshold) {
      this.base = value;
      this.delayed = this.immediate;
    } else {
      this.delayed = 0;
    }
    const logReturn = value > 0 && prev > 0 ? Math.log(value / prev) : -1;
    switch (o.kind) {
      case 'delayed':
        return this.delayed;
      case 'logReturn':
        return o.turnoverPenalty && prev > 0 ? logReturn - (o.turnoverPenalty * cost) / prev : logReturn;
      case 'excessLogReturn': {
        const benchmark = o.benchmark === 'buyAndHold' && priceRatio > 0 ? Math.log(priceRatio) : 0;
        return logReturn - benchmark - (prev > 0 ? ((o.turnoverPenalty ?? 0) * cost) / prev : 0);
      }
      case 'sharpe': {
        const r = prev > 0 ? value / prev - 1 : -1;
        const dA = r - this.a;
        const dB = r * r - this.b;
        const variance = this.b - this.a * this.a;
        // until the variance estimate is meaningful the differential Sharpe is undefined: reward the plain return
        const d = variance > 1e-12 ? (this.b * dA - 0.5 * this.a * dB) / variance ** 1.5 : r;
        this.a += o.eta * dA;
        this.b += o.eta * dB;
        return d;
      }
      case 'drawdown': {
        if (value > this.peak) this.peak = value;
        const dd = this.peak > 0 ? 1 - value / this.peak : 1;
        const growth = dd > this.drawdown ? dd - this.drawdown : 0;
        this.drawdown = dd;
        return logReturn - o.penalty * growth;
      }
    }
  }
}
