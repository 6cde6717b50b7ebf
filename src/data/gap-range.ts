/**
 * A run of missing candles between two stored ones: the one rule for where a gap is and how many candles it misses
 * (the store's `bot data gaps`, and the holes `bot chart` names in a window), and how a gap is written for people.
 */
import { isoTime, stepSlack } from './timeframe.ts';

/** A run of missing candles: `from` is the first missing open time, `to` the next present one (exclusive). */
export interface GapRange {
  from: number;
  to: number;
  missing: number;
}

/**
 * The gap between consecutive candles opening at `prev` and `next`, or undefined when `next` is the next candle.
 * `missing` counts the timeframe slots that fit between the two candles, so a session gap that is no multiple of the
 * timeframe (10:30 → 13:00 for 1h candles: 11:30 and 12:30) counts whole slots; a step within stepSlack of one
 * timeframe leaves no gap (the importer's rule: daily candles an hour off across a daylight saving change, weekly ones
 * days off after a holiday).
 */
export function gapAfter(prev: number, next: number, step: number): GapRange | undefined {
  const slack = stepSlack(step);
  if (next - prev <= step + slack) return undefined;
  return { from: prev + step, to: next, missing: Math.ceil((next - prev - slack) / step) - 1 };
}

/** The open time of a gap's last missing candle (its `to` is the next stored one, exclusive). */
export function lastMissingOf(g: GapRange, step: number): number {
  return g.from + (g.missing - 1) * step;
}

/** A time as `bot data` prints it: ISO without zero seconds, a date alone at midnight. */
export function shortTime(ms: number): string {
  return isoTime(ms).replace(':00Z', 'Z').replace('T00:00Z', '');
}

/** A gap from its first to its last missing candle: `2024-01-01T03:00Z … 2024-01-01T04:00Z` (one: its time). */
export function gapSpan(g: GapRange, step: number): string {
  return g.missing === 1 ? shortTime(g.from) : `${shortTime(g.from)} … ${shortTime(lastMissingOf(g, step))}`;
}

/** A line of `bot data gaps`: the gap's span and its count, `2024-01-01T03:00Z … 2024-01-01T04:00Z  (2 missing)`. */
export function gapLine(g: GapRange, step: number): string {
  return `${gapSpan(g, step)}  (${g.missing} missing)`;
}
