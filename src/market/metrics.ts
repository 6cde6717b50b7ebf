/** Performance metrics of a run (returns, Sharpe, Sortino, drawdowns, trades) and their table rows. */
import { periodsPerYear, timeframeMs } from '../data/timeframe.ts';
import type { BacktestResult } from './backtest-engine.ts';

/**
 * Performance of one run. Ratios are fractions (0.12 = 12%). Returns are per candle of the equity curve (marked at
 * closes); annualisation uses periodsPerYear(timeframe). Risk-free rate 0.
 */
export interface Metrics {
  startValue: number;
  finalValue: number;
  totalReturn: number;
  /** Compound annual growth rate over the run's span. */
  annualReturn: number;
  /** Standard deviation of per-candle returns × √(periods per year). */
  volatility: number;
  sharpe: number;
  /**
   * Mean return over downside deviation (root mean square of negative returns), annualised. Infinity when no return
   * was negative and the mean is positive (a run that only rose: reward without downside), 0 when the mean is 0 (flat).
   */
  sortino: number;
  /** Largest fall from a running peak, as a positive fraction. */
  maxDrawdown: number;
  /**
   * Longest stretch under a previous peak: candles closing below it, and days from the peak to the recovery (or the
   * end).
   */
  maxDrawdownCandles: number;
  maxDrawdownDays: number;
  /**
   * annualReturn / maxDrawdown. Without a drawdown: Infinity when the run gained (it never fell below a peak), 0 when
   * it stayed level.
   */
  calmar: number;
  /** Fills (buys + sells). */
  trades: number;
  buys: number;
  sells: number;
  /** Share of sells with a positive realized P/L (fees included). */
  winRate: number;
  /** Sum of winning sells' P/L / |sum of losing sells' P/L| (Infinity without losses, 0 without wins). */
  profitFactor: number;
  /** Mean realized P/L per sell, in quote currency. */
  expectancy: number;
  /** Traded value (buys + sells) / mean portfolio value. */
  turnover: number;
  /** Fees plus sell taxes paid, in quote currency. */
  feesPaid: number;
  /** Share of candles closing with a position. */
  exposure: number;
  /** Actions that happened (refused orders count as holds) and what was asked for. */
  actions: { buy: number; sell: number; hold: number };
  requested: { buy: number; sell: number; hold: number };
  rejected: number;
  candles: number;
  /** Calendar years from the first to the last candle's open. */
  years: number;
  /** Periods per year used to annualise volatility, Sharpe and Sortino. */
  periodsPerYear: number;
}

/** Metric keys in report order, with how to show them. */
export const METRIC_ROWS: readonly {
  key: keyof Metrics;
  label: string;
  format: 'pct' | 'num' | 'int' | 'money' | 'ratio';
}[] = [
  { key: 'totalReturn', label: 'total return', format: 'pct' },
  { key: 'annualReturn', label: 'annual return', format: 'pct' },
  { key: 'volatility', label: 'volatility (ann.)', format: 'pct' },
  { key: 'sharpe', label: 'Sharpe', format: 'ratio' },
  { key: 'sortino', label: 'Sortino', format: 'ratio' },
  { key: 'maxDrawdown', label: 'max drawdown', format: 'pct' },
  { key: 'maxDrawdownDays', label: 'max DD duration (days)', format: 'num' },
  { key: 'calmar', label: 'Calmar', format: 'ratio' },
  { key: 'trades', label: 'trades', format: 'int' },
  { key: 'winRate', label: 'win rate', format: 'pct' },
  { key: 'profitFactor', label: 'profit factor', format: 'ratio' },
  { key: 'expectancy', label: 'expectancy / sell', format: 'money' },
  { key: 'turnover', label: 'turnover (×)', format: 'ratio' },
  { key: 'feesPaid', label: 'fees + tax', format: 'money' },
  { key: 'exposure', label: 'exposure', format: 'pct' },
  { key: 'finalValue', label: 'final value', format: 'money' },
];

function count(actions: Uint8Array): { buy: number; sell: number; hold: number } {
  const c = [0, 0, 0];
  for (let i = 0; i < actions.length; i++) c[actions[i]]++;
  return { buy: c[0], sell: c[1], hold: c[2] };
}

const DAY_MS = 86_400_000;
const YEAR_MS = 365.25 * DAY_MS;
/** A span this long holds a weekend in every time zone: a market closed on weekends shows it as a gap. */
const WEEK_MS = 7 * DAY_MS;
/** A gap longer than this (and than two candles) is a market closed overnight, not an interval without trades. */
const OVERNIGHT_MS = DAY_MS / 4;

/**
 * Periods per year for annualising: the calendar count of the timeframe (crypto trades around the clock), unless the
 * series is visibly sparser (a stock market's weekdays): then 252 trading days for daily-or-longer candles, or for
 * intraday ones the observed density over a week or more, else (a few sessions, which do not show how many days of
 * the week the market trades) the candles per trading day × 252, as a market that closes overnight closes on
 * weekends too; a trading day is a session, the candles between two overnight closes (gaps over OVERNIGHT_MS and
 * two candles). A series under a week with no overnight close trades around the clock, only sparsely (an exchange
 * that skips intervals without trades, as Upbit does): its observed density. A series with no gap and no week cannot
 * tell (five daily candles Monday to Friday could be crypto's): the calendar.
 */
export function annualisationPeriods(timestamps: Float64Array, timeframe: string): number {
  const calendar = periodsPerYear(timeframe);
  const n = timestamps.length;
  if (n < 3) return calendar;
  const spanMs = timestamps[n - 1] - timestamps[0];
  const observed = (n - 1) / (spanMs / YEAR_MS);
  if (!(spanMs > 0) || observed >= 0.85 * calendar) return calendar;
  if (timeframeMs(timeframe) >= DAY_MS) return periodsPerYear(timeframe, 252);
  if (spanMs >= WEEK_MS) return observed;
  // trading days: the sessions between overnight closes (not UTC dates, which split a session across midnight UTC)
  const closed = Math.max(OVERNIGHT_MS, 2 * timeframeMs(timeframe));
  let sessions = 1;
  for (let i = 1; i < n; i++) if (timestamps[i] - timestamps[i - 1] > closed) sessions++;
  return sessions === 1 ? observed : (n / sessions) * 252;
}

/**
 * Which annualisation a run's figures used, for the note under a span too short to annualise: its periods a year, and
 * when a span under a week with no gap took the calendar count (annualisationPeriods cannot tell), that a market
 * closed on weekends would have taken fewer, 252 trading days' worth for daily candles.
 */
export function annualisationText(ppy: number, timeframe: string, spanMs: number): string {
  const round = (v: number) => Math.round(v).toLocaleString('en-US');
  const undecided = spanMs < WEEK_MS && Math.abs(ppy - periodsPerYear(timeframe)) < 1e-9;
  const weekdays = timeframeMs(timeframe) >= DAY_MS ? `, whose would be ${round(periodsPerYear(timeframe, 252))}` : '';
  return (
    `annualised at ${round(ppy)} periods a year` +
    (undecided
      ? ` (the calendar's: a span under a week with no gap cannot show a market closed on weekends${weekdays})`
      : '')
  );
}

/**
 * Below either bound the annualised figures (annual return, volatility, Sharpe, Sortino, Calmar) extrapolate too
 * little to a year to mean much: under 30 per-candle returns the standard deviation behind volatility, Sharpe and
 * Sortino is itself mostly noise (the usual sample-size rule of thumb), and under a month the annual return raises
 * the run's return to a power above 12.
 */
export const MIN_ANNUALISED_RETURNS = 30;
const MIN_ANNUALISED_YEARS = 1 / 12;

/** Whether a run is too short for its annualised figures to mean much (MIN_ANNUALISED_RETURNS, _YEARS). */
export function tooShortToAnnualise(m: Pick<Metrics, 'candles' | 'years'>): boolean {
  return m.candles - 1 < MIN_ANNUALISED_RETURNS || m.years < MIN_ANNUALISED_YEARS;
}

/** tooShortToAnnualise of a run known by its clock's open times (a portfolio's timeline). */
export function timelineTooShortToAnnualise(ts: ArrayLike<number>): boolean {
  const n = ts.length;
  return tooShortToAnnualise({ candles: n, years: n > 1 ? (ts[n - 1] - ts[0]) / YEAR_MS : 0 });
}

/**
 * A ratio whose risk denominator is 0 (no losing candle, no drawdown): +Infinity for a gain, as the profit factor
 * without losing sells is, since 0 would read as "no risk-adjusted return" for a run that only rose; 0 for no gain.
 * Without a loss the numerator cannot be negative.
 */
const unbounded = (gain: number): number => (gain > 0 ? Infinity : 0);

export function computeMetrics(result: BacktestResult, timeframe: string = result.timeframe): Metrics {
  const eq = result.equity;
  const n = eq.length;
  const ppy = annualisationPeriods(result.timestamps, timeframe);
  let sum = 0;
  let sumSq = 0;
  let downSq = 0;
  let peak = eq[0];
  let maxDd = 0;
  let underwaterStart = 0;
  let longestUnderwater = 0;
  let longestDays = 0;
  const ts = result.timestamps;
  let exposed = 0;
  for (let i = 1; i < n; i++) {
    const r = eq[i - 1] > 0 ? eq[i] / eq[i - 1] - 1 : 0;
    sum += r;
    sumSq += r * r;
    if (r < 0) downSq += r * r;
    if (eq[i] >= peak) {
      peak = eq[i];
      if (i - 1 - underwaterStart > longestUnderwater) {
        longestUnderwater = i - 1 - underwaterStart;
        longestDays = (ts[i] - ts[underwaterStart]) / 86_400_000;
      }
      underwaterStart = i;
    } else {
      const dd = 1 - eq[i] / peak;
      if (dd > maxDd) maxDd = dd;
    }
  }
  if (n - 1 - underwaterStart > longestUnderwater) {
    longestUnderwater = n - 1 - underwaterStart;
    longestDays = (ts[n - 1] - ts[underwaterStart]) / 86_400_000;
  }
  for (let i = 0; i < n; i++) if (result.positions[i] > 0) exposed++;
  const periods = Math.max(1, n - 1);
  const mean = sum / periods;
  const variance = periods > 1 ? Math.max(0, (sumSq - periods * mean * mean) / (periods - 1)) : 0;
  const sd = Math.sqrt(variance);
  const downside = Math.sqrt(downSq / periods);
  const startValue = eq[0];
  const finalValue = eq[n - 1];
  const totalReturn = finalValue / startValue - 1;
  const spanMs = n > 1 ? result.timestamps[n - 1] - result.timestamps[0] : 0;
  const years = spanMs > 0 ? spanMs / YEAR_MS : periods / ppy;
  const annualReturn = finalValue > 0 ? (finalValue / startValue) ** (1 / years) - 1 : -1;

  let wins = 0;
  let winSum = 0;
  let lossSum = 0;
  let sells = 0;
  let traded = 0;
  for (const t of result.trades) {
    traded += t.gross;
    if (t.side !== 'sell') continue;
    sells++;
    if (t.realizedPnl > 0) {
      wins++;
      winSum += t.realizedPnl;
    } else lossSum += t.realizedPnl;
  }
  let meanEquity = 0;
  for (let i = 0; i < n; i++) meanEquity += eq[i] / n;
  return {
    startValue,
    finalValue,
    totalReturn,
    annualReturn,
    volatility: sd * Math.sqrt(ppy),
    sharpe: sd > 0 ? (mean / sd) * Math.sqrt(ppy) : 0,
    sortino: downside > 0 ? (mean / downside) * Math.sqrt(ppy) : unbounded(mean),
    maxDrawdown: maxDd,
    maxDrawdownCandles: longestUnderwater,
    maxDrawdownDays: longestDays,
    calmar: maxDd > 0 ? annualReturn / maxDd : unbounded(annualReturn),
    trades: result.trades.length,
    buys: result.trades.length - sells,
    sells,
    winRate: sells > 0 ? wins / sells : 0,
    profitFactor: lossSum < 0 ? winSum / -lossSum : winSum > 0 ? Infinity : 0,
    expectancy: sells > 0 ? (winSum + lossSum) / sells : 0,
    turnover: meanEquity > 0 ? traded / meanEquity : 0,
    feesPaid: result.feesPaid + result.taxPaid,
    exposure: exposed / n,
    actions: count(result.executed),
    requested: count(result.actions),
    rejected: Object.values(result.rejected).reduce((a, b) => a + b, 0),
    candles: n,
    years,
    periodsPerYear: ppy,
  };
}

/** Metrics as JSON-safe numbers (Infinity → null is JSON's default; keep "Infinity" readable instead). */
export function metricsToJson(m: Metrics | Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) out[k] = typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
  return out;
}
