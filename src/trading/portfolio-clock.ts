/**
 * The candle times a portfolio run acts on (issue 14): the backtest clock's union of open times, with every market's
 * place at each (its candle there, or its last one before). Series on offset grids are refused as in the backtest.
 */
import { lastAtOrBefore, type Candles } from '../core/candles.ts';
import { checkOneGrid } from '../data/timeline.ts';

/** The candle times, with every market's place at each. */
export interface ClockTime {
  ts: number;
  /** Per market: its candle index at ts, or −1 (no candle: cannot fill, valued at its last close). */
  index: number[];
  /** Per market: its last candle at or before ts. */
  last: number[];
}

/**
 * The times to act on: every open time in [from, to] at which some market has a candle (the backtest clock's union
 * of open times), from the first time at which every market has some candle (so each can be valued).
 */
export function clockTimes(series: readonly Candles[], from: number, to: number): ClockTime[] {
  // over the loaded candles, history included: a tick's own range may hold one time only
  checkOneGrid(series);
  const set = new Set<number>();
  for (const s of series) for (const ts of s.ts) if (ts >= from && ts <= to) set.add(ts);
  const out: ClockTime[] = [];
  for (const ts of [...set].sort((a, b) => a - b)) {
    const last = series.map((s) => lastAtOrBefore(s.ts, ts));
    if (last.some((j) => j < 0)) continue;
    out.push({ ts, last, index: series.map((s, m) => (s.ts[last[m]] === ts ? last[m] : -1)) });
  }
  return out;
}
