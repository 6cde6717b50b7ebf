/**
 * PortfolioSim: the one rule of time for N markets on one clock (issue 14), shared by the portfolio backtest engine
 * and the portfolio learning environment. Target weights decided at the close of clock time t fill at the next open
 * each market has (plus slippage, through PortfolioAccount and fillTargets, the step the paper trader takes too), a
 * market without a candle waits, and the account is marked at each close (a market without a candle at its last
 * close).
 */
import { lastAtOrBefore, type Candles } from '../core/candles.ts';
import type { Timeline } from '../data/timeline.ts';
import type { Costs } from './costs.ts';
import { PortfolioAccount } from './portfolio-account.ts';
import { executionOrder, fillTargets } from './portfolio-step.ts';

/** One fill of a rebalance, copied out of the account's book. */
export interface PortfolioFill {
  /** Clock index whose open it filled at (decided at the close of an earlier time). */
  t: number;
  ts: number;
  market: number;
  side: 'buy' | 'sell';
  price: number;
  units: number;
  gross: number;
  fee: number;
  tax: number;
}

export class PortfolioSim {
  account: PortfolioAccount;
  /** Clock index of the close the account is marked at. */
  t = 0;
  /** Per market: its last candle index at or before clock time t. */
  readonly last: number[];
  /** Per market: the close the account is marked at (own close at t, else its last close). */
  readonly marks: number[];
  /** Per market: cash received − cash paid since start (contribution = this + units × mark). */
  readonly cashFlow: number[];
  readonly turnover: number[];
  /** Per market: times its order waited for a candle. */
  readonly waited: number[];
  /** Fees + tax + slippage paid at the last advance (every market). */
  stepCost = 0;
  /** When set, every fill is appended here. */
  fills: PortfolioFill[] | undefined;
  private readonly n: number;
  private readonly prices: number[];
  private readonly hasCandle: boolean[];
  private readonly pending: boolean[];
  private target: number[] | null = null;

  constructor(
    readonly timeline: Timeline,
    readonly series: readonly Candles[],
    readonly costs: readonly Costs[],
    readonly balance: number,
    readonly band: number,
  ) {
    this.n = series.length;
    const zeros = () => new Array<number>(this.n).fill(0);
    this.account = this.newAccount(balance);
    this.last = zeros();
    this.marks = zeros();
    this.cashFlow = zeros();
    this.turnover = zeros();
    this.waited = zeros();
    this.prices = zeros();
    this.hasCandle = new Array<boolean>(this.n).fill(false);
    this.pending = new Array<boolean>(this.n).fill(false);
  }

  private newAccount(balance: number): PortfolioAccount {
    return new PortfolioAccount(
      balance,
      this.series.map((s, i) => ({ symbol: s.symbol, costs: this.costs[i] })),
    );
  }

  /** Starts over at the close of clock time t with a fresh account holding only cash. */
  start(t: number, balance = this.balance): void {
    this.account = this.newAccount(balance);
    this.t = t;
    this.target = null;
    this.pending.fill(false);
    for (let m = 0; m < this.n; m++) {
      const idx = this.timeline.index[m][t];
      this.last[m] = idx >= 0 ? idx : lastAtOrBefore(this.series[m].ts, this.timeline.ts[t]);
      this.marks[m] = this.timeline.mark[m][t];
      this.cashFlow[m] = 0;
      this.turnover[m] = 0;
      this.waited[m] = 0;
    }
    this.stepCost = 0;
  }

  /** Target weights (≥ 0, sum ≤ 1; the rest cash) decided at the close of t; null keeps what is held. */
  order(targets: readonly number[] | null): void {
    if (targets === null) return;
    this.target = [...targets];
    this.pending.fill(true);
  }

  /** Moves to t + 1: the pending order fills at its open (markets without a candle wait), then marks its close. */
  advance(): void {
    const t = ++this.t;
    const tl = this.timeline;
    const n = this.n;
    this.stepCost = 0;
    for (let m = 0; m < n; m++) {
      const idx = tl.index[m][t];
      if (idx >= 0) this.last[m] = idx;
    }
    if (this.target !== null) {
      for (let m = 0; m < n; m++) {
        const idx = tl.index[m][t];
        this.hasCandle[m] = idx >= 0;
        // a market without a candle now is valued at its last close (t − 1's mark) and cannot fill
        this.prices[m] = idx >= 0 ? this.series[m].open[idx] : tl.mark[m][t - 1];
      }
      const outcomes = fillTargets(this.account, this.target, this.pending, this.hasCandle, this.prices, this.band);
      for (let m = 0; m < n; m++) if (outcomes[m].kind === 'waiting') this.waited[m]++;
      // in execution order (sells first): trades.csv lists them so, and a buy never precedes the sell paying for it
      for (const m of executionOrder(outcomes)) {
        const o = outcomes[m];
        if (o.kind !== 'filled') continue;
        const f = o.fill;
        this.fills?.push({
          t,
          ts: tl.ts[t],
          market: m,
          side: f.side,
          price: f.price,
          units: f.units,
          gross: f.gross,
          fee: f.fee,
          tax: f.tax,
        });
        this.cashFlow[m] += f.side === 'sell' ? f.gross - f.fee - f.tax : -(f.gross + f.fee);
        this.turnover[m] += f.gross;
        this.stepCost += f.fee + f.tax + Math.abs(f.price - f.refPrice) * f.units;
      }
      if (!this.pending.includes(true)) this.target = null;
    }
    for (let m = 0; m < n; m++) this.marks[m] = tl.mark[m][t];
  }

  /** Value at the close of t. */
  value(): number {
    return this.account.value(this.marks);
  }

  /** Each market's share of the value at the close of t (the rest is cash). */
  weights(): number[] {
    return this.account.weights(this.marks);
  }
}
