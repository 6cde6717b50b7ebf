/**
 * `--at TIME` of `bot chart` and `bot predict`: the candle it names in a series, or one line saying which range exists;
 * and the part of a series closed by a clock, so a decision never sees a candle from after `--now`; and the line saying
 * a store's newest candle is old by that clock.
 */
import { lastAtOrBefore, sliceCandles, type Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';

/**
 * The candle `--at` names (the last one opening at or before it; the newest without `--at`). A time before the
 * first candle or after the last one's close is not in the data: a UserError names the range that is (issue 17).
 * One market's series, or a portfolio's common timeline (its open times, labelled as such).
 */
export function candleAt(
  series: { candles: Pick<Candles, 'ts' | 'timeframe'>; label: string },
  at: number | undefined,
  raw: string | undefined,
): number {
  const c = series.candles;
  const last = c.ts.length - 1;
  if (at === undefined) return last;
  const range = `${series.label} covers ${isoTime(c.ts[0])} … ${isoTime(c.ts[last])}`;
  const t = lastAtOrBefore(c.ts, at);
  if (t < 0) throw new UserError(`--at ${raw}: no candle opens at or before it; ${range}`);
  if (at >= c.ts[last] + timeframeMs(c.timeframe)) throw new UserError(`--at ${raw} is after the data; ${range}`);
  return t;
}

/**
 * The series cut to the candles closed by `now` (open + timeframe ≤ now): a store or file may hold candles after a
 * fixed `--now`, and deciding on them would be look-ahead. None closed yet is one line naming the first candle. One
 * market's series or each of a portfolio's (traded and informative).
 */
export function closedSeries<S extends { candles: Candles; label: string }>(
  series: S,
  now: number,
  raw: string | undefined,
): S {
  const c = series.candles;
  const t = lastAtOrBefore(c.ts, now - timeframeMs(c.timeframe));
  if (t === c.ts.length - 1) return series;
  if (t < 0) {
    const clock = raw !== undefined ? `--now ${raw}` : `the clock (${isoTime(now)})`;
    throw new UserError(`no candle of ${series.label} has closed by ${clock}; the first opens at ${isoTime(c.ts[0])}`);
  }
  return { ...series, candles: sliceCandles(c, 0, t + 1) };
}

/** How long ago, in the largest two units (2 years 8 months, 3 days 4 hours, 5 minutes). */
function ageText(ms: number): string {
  const units: [string, number][] = [
    ['year', 365.25 * 86_400_000],
    ['month', (365.25 / 12) * 86_400_000],
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ];
  const parts: string[] = [];
  let left = ms;
  for (const [name, size] of units) {
    const n = Math.floor(left / size);
    if (n > 0 || parts.length > 0) {
      if (n > 0) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
      left -= n * size;
    }
    if (parts.length > 0 && (parts.length === 2 || n === 0)) break;
  }
  return parts.length ? parts.join(' ') : 'under a minute';
}

/**
 * The warning when the stored candle a prediction decides on (opening at `open`) closed more than two timeframes
 * before the clock: the store was not topped up to now (the exchange cannot be reached, or has nothing newer), and
 * a decision on it is about the past. Undefined when it is recent.
 */
export function oldCandleLine(open: number, timeframe: string, now: number): string | undefined {
  const close = open + timeframeMs(timeframe);
  if (now - close <= 2 * timeframeMs(timeframe)) return undefined;
  return `the newest stored candle (${isoTime(open)}) closed ${ageText(now - close)} ago: this decides on old data`;
}
