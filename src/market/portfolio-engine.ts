/**
 * The portfolio backtest engine (issue 14): target weights over N markets on one clock, decided at each time's close
 * from candles up to that close only, filled at the next open each market has plus slippage, through one
 * PortfolioAccount (the single-market Account's arithmetic per market).
 */
import { sliceCandles, type Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { alignSeries, type Timeline } from '../data/timeline.ts';
import type { RejectReason } from './account.ts';
import type { Costs } from './costs.ts';
import { PortfolioAccount } from './portfolio-account.ts';
import { fillTargets } from './portfolio-step.ts';

/** What a portfolio policy sees at the close of clock time t: nothing after it. */
interface PortfolioView {
  /** Clock index and open time of the candle that just closed. */
  t: number;
  ts: number;
  symbols: readonly string[];
  /** Each market's candles up to its last one at or before ts (shared memory; do not keep past `decide`). */
  series: readonly Candles[];
  /** Does each market have a candle at ts? */
  hasCandle: readonly boolean[];
  /** Each market's share of the value at this close, and the value. */
  weights: readonly number[];
  value: number;
}

/** Gives target weights (≥ 0, sum ≤ 1, the rest cash) at a close, or null to keep what is held. */
export interface PortfolioPolicy {
  name: string;
  decide(view: PortfolioView): readonly number[] | null;
}

interface PortfolioBacktestOptions {
  series: readonly Candles[];
  /** Per market, in the order of `series`. */
  costs: readonly Costs[];
  balance: number;
  policy: PortfolioPolicy;
  /** Moves under this fraction of the value are skipped (default 0.01). */
  band?: number;
}

interface PortfolioFill {
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

interface PortfolioMarketResult {
  symbol: string;
  /** Net P/L from this market: cash it received − cash it took + what is held at the last close. Σ = P/L. */
  contribution: number;
  /** Σ traded value (units × fill price), buys and sells. */
  turnover: number;
  feesPaid: number;
  taxPaid: number;
  rejected: Record<RejectReason, number>;
  /** Rebalance moves skipped under the band or the minimum order. */
  skipped: number;
  /** Times an order for it waited because it had no candle there. */
  waited: number;
  /** Clock times where it had no candle (valued at its last close). */
  missing: number;
}

export interface PortfolioResult {
  policy: string;
  symbols: string[];
  timeframe: string;
  timeline: Timeline;
  initialBalance: number;
  /** Per clock time: value at the close, and each market's weight there (weights[m][t]). */
  equity: Float64Array;
  weights: Float64Array[];
  /** Per decision: the targets asked (null = keep), decisions[t] made at the close of t. */
  decisions: (readonly number[] | null)[];
  fills: PortfolioFill[];
  markets: PortfolioMarketResult[];
  finalValue: number;
}

/** Runs a portfolio policy over the common range of `series` (see src/data/timeline.ts for the clock's rules). */
export function runPortfolioBacktest(options: PortfolioBacktestOptions): PortfolioResult {
  const { series, costs, policy } = options;
  if (costs.length !== series.length) throw new UserError(`${series.length} series but ${costs.length} cost sets`);
  const band = options.band ?? 0.01;
  if (!(band >= 0 && band < 1)) throw new UserError(`band must be in [0, 1), got ${band}`);
  const tl = alignSeries(series);
  const n = series.length;
  const len = tl.ts.length;
  if (len < 2) throw new UserError(`the common range holds ${len} candle time(s); a backtest needs at least 2`);
  const account = new PortfolioAccount(
    options.balance,
    series.map((s, i) => ({ symbol: s.symbol, costs: costs[i] })),
  );
  const equity = new Float64Array(len);
  const weights = series.map(() => new Float64Array(len));
  const decisions: (readonly number[] | null)[] = [];
  const fills: PortfolioFill[] = [];
  const cashFlow = new Array<number>(n).fill(0);
  const turnover = new Array<number>(n).fill(0);
  const waited = new Array<number>(n).fill(0);
  const last = series.map(() => -1); // each market's last candle index at or before the current time
  const prices = new Array<number>(n).fill(0);
  const hasCandle = new Array<boolean>(n).fill(false);
  const pending = new Array<boolean>(n).fill(false);
  let target: readonly number[] | null = null;

  for (let t = 0; t < len; t++) {
    for (let m = 0; m < n; m++) {
      const idx = tl.index[m][t];
      if (idx >= 0) last[m] = idx;
      else if (last[m] < 0) last[m] = lastAtOrBefore(series[m], tl.ts[t]);
    }
    if (target !== null) {
      for (let m = 0; m < n; m++) {
        const idx = tl.index[m][t];
        hasCandle[m] = idx >= 0;
        // a market without a candle now is valued at its last close (t − 1's mark) and cannot fill
        prices[m] = idx >= 0 ? series[m].open[idx] : tl.mark[m][t - 1];
      }
      const outcomes = fillTargets(account, target, pending, hasCandle, prices, band);
      for (let m = 0; m < n; m++) {
        const o = outcomes[m];
        if (o.kind === 'waiting') waited[m]++;
        if (o.kind !== 'filled') continue;
        const f = o.fill;
        fills.push({ ...f, t, ts: tl.ts[t] });
        cashFlow[m] += f.side === 'sell' ? f.gross - f.fee - f.tax : -(f.gross + f.fee);
        turnover[m] += f.gross;
      }
      if (!pending.includes(true)) target = null;
    }
    for (let m = 0; m < n; m++) prices[m] = tl.mark[m][t];
    const value = account.value(prices);
    equity[t] = value;
    const w = account.weights(prices);
    for (let m = 0; m < n; m++) weights[m][t] = w[m];
    if (t === len - 1) break;
    const view: PortfolioView = {
      t,
      ts: tl.ts[t],
      symbols: tl.symbols,
      series: series.map((s, m) => sliceCandles(s, 0, last[m] + 1)),
      hasCandle: tl.index.map((ix) => ix[t] >= 0),
      weights: w,
      value,
    };
    const decision = policy.decide(view);
    decisions.push(decision === null ? null : [...decision]);
    if (decision !== null) {
      target = [...decision];
      pending.fill(true);
    }
  }
  const final = equity[len - 1];
  const markets = series.map((s, m): PortfolioMarketResult => ({
    symbol: s.symbol,
    contribution: cashFlow[m] + account.units(m) * tl.mark[m][len - 1],
    turnover: turnover[m],
    feesPaid: account.feesPaid(m),
    taxPaid: account.taxPaid(m),
    rejected: { ...account.rejected(m) },
    skipped: account.skips[m],
    waited: waited[m],
    missing: tl.missing[m],
  }));
  return {
    policy: policy.name,
    symbols: tl.symbols,
    timeframe: series[0].timeframe,
    timeline: tl,
    initialBalance: options.balance,
    equity,
    weights,
    decisions,
    fills,
    markets,
    finalValue: final,
  };
}

function lastAtOrBefore(c: Candles, ts: number): number {
  let j = -1;
  while (j + 1 < c.ts.length && c.ts[j + 1] <= ts) j++;
  return j;
}
