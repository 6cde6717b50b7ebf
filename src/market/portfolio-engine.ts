/**
 * The portfolio backtest engine (issue 14): target weights over N markets on one clock, decided at each time's close
 * from candles up to that close only, filled at the next open each market has plus slippage, through one
 * PortfolioAccount (the single-market Account's arithmetic per market).
 */
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { alignSeries, type Timeline } from '../data/timeline.ts';
import type { RejectReason } from './account.ts';
import type { Costs } from './costs.ts';
import { PortfolioSim, type PortfolioFill } from './portfolio-sim.ts';
import { RevealedSeries } from './revealed-candles.ts';

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
  /**
   * What a policy carries from one decision to the next (a learned agent's P/L reference and decision count), as
   * numbers: a paper run saves them with each candle time and gives them back after a restart, so a restarted run
   * decides as the uninterrupted one. Absent for policies that are a function of the view alone.
   */
  memory?: { save(): number[]; restore(state: readonly number[]): void };
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
  const sim = new PortfolioSim(tl, series, costs, options.balance, band);
  const equity = new Float64Array(len);
  const weights = series.map(() => new Float64Array(len));
  const decisions: (readonly number[] | null)[] = [];
  const fills: PortfolioFill[] = [];
  sim.fills = fills;
  sim.start(0);
  // what each market's view has shown so far: copies appended to as the clock runs, nothing later in their buffers
  const revealed = series.map((s) => new RevealedSeries(s));
  for (let t = 0; t < len; t++) {
    if (t > 0) sim.advance();
    const value = sim.value();
    equity[t] = value;
    const w = sim.weights();
    for (let m = 0; m < n; m++) weights[m][t] = w[m];
    if (t === len - 1) break;
    const view: PortfolioView = {
      t,
      ts: tl.ts[t],
      symbols: tl.symbols,
      series: revealed.map((r, m) => r.through(sim.last[m] + 1)),
      hasCandle: tl.index.map((ix) => ix[t] >= 0),
      weights: w,
      value,
    };
    const decision = policy.decide(view);
    decisions.push(decision === null ? null : [...decision]);
    sim.order(decision);
  }
  const account = sim.account;
  const final = equity[len - 1];
  const markets = series.map((s, m): PortfolioMarketResult => ({
    symbol: s.symbol,
    contribution: sim.cashFlow[m] + account.units(m) * tl.mark[m][len - 1],
    turnover: sim.turnover[m],
    feesPaid: account.feesPaid(m),
    taxPaid: account.taxPaid(m),
    rejected: { ...account.rejected(m) },
    skipped: account.skips[m],
    waited: sim.waited[m],
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
