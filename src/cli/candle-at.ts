/**
 * `--at TIME` of `bot chart` and `bot predict`: the candle it names in a series, or one line saying which range exists.
 */
import type { Series } from '../data/source.ts';
import { lastAtOrBefore } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';

/**
 * The candle `--at` names (the last one opening at or before it; the newest without `--at`). A time before the
 * first candle or after the last one's close is not in the data: a UserError names the range that is (issue 17).
 */
export function candleAt(series: Series, at: number | undefined, raw: string | undefined): number {
  const c = series.candles;
  const last = c.ts.length - 1;
  if (at === undefined) return last;
  const range = `${series.label} covers ${isoTime(c.ts[0])} … ${isoTime(c.ts[last])}`;
  const t = lastAtOrBefore(c.ts, at);
  if (t < 0) throw new UserError(`--at ${raw}: no candle opens at or before it; ${range}`);
  if (at >= c.ts[last] + timeframeMs(c.timeframe)) throw new UserError(`--at ${raw} is after the data; ${range}`);
  return t;
}
