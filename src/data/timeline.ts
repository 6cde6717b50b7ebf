/**
 * Several candle series on one clock (issue 14, "Data on one clock"): the union of their open times over the range
 * every series covers, with each market's candle index at each time (or none), and its value there.
 *
 * Rules: a market with no candle at t (Upbit skips intervals without trades; stock markets close) is valued at its
 * last close and cannot fill at t — an order for it waits for the next candle it has. A series that starts later (or
 * ends earlier) shortens the common range; the timeline names the series that limited each end. Series whose candles
 * open on offset grids (A at :00, B at :30), or of different timeframes, are refused (`checkOneGrid`).
 */
import { UserError } from '../core/errors.ts';
import { firstAtOrAfter, sliceCandles, type Candles } from '../core/candles.ts';
import { isoTime, timeframeMs } from './timeframe.ts';

export interface Timeline {
  symbols: string[];
  /** Open times of the common clock, ascending: every open time any series has inside the common range. */
  ts: Float64Array;
  /** Per series, per time: the index of its candle at that open time, or −1 when it has none (cannot fill there). */
  index: Int32Array[];
  /** Per series, per time: the close it is valued at — its own close at t, else its last close before t. */
  mark: Float64Array[];
  /** First and last open time of the common range. */
  start: number;
  end: number;
  /** The series whose first candle is the latest (it set `start`), and the one whose last candle is the earliest. */
  startLimitedBy: string;
  endLimitedBy: string;
  /** Per series: times of the clock where it has no candle. */
  missing: number[];
}

/** Puts series of one timeframe on one clock. Series must be ascending and non-empty; symbols must differ. */
export function alignSeries(series: readonly Candles[]): Timeline {
  if (series.length === 0) throw new UserError('no series to align');
  const symbols = series.map((s) => s.symbol);
  if (new Set(symbols).size !== symbols.length)
    throw new UserError(`series symbols must differ: ${symbols.join(', ')}`);
  const tf = series[0].timeframe;
  for (const s of series) {
    if (s.ts.length === 0) throw new UserError(`series ${s.symbol} has no candles`);
    if (s.timeframe !== tf) throw new UserError(`series ${s.symbol} is ${s.timeframe}, ${series[0].symbol} is ${tf}`);
  }
  let start = -Infinity;
  let end = Infinity;
  let startLimitedBy = symbols[0];
  let endLimitedBy = symbols[0];
  for (const s of series) {
    const first = s.ts[0];
    const last = s.ts[s.ts.length - 1];
    if (first > start) [start, startLimitedBy] = [first, s.symbol];
    if (last < end) [end, endLimitedBy] = [last, s.symbol];
  }
  if (start > end) throw new UserError(`series ${startLimitedBy} starts after ${endLimitedBy} ends: no common range`);
  checkOneGrid(series);
  const times = new Set<number>();
  for (const s of series) for (const t of s.ts) if (t >= start && t <= end) times.add(t);
  const ts = Float64Array.from([...times].sort((a, b) => a - b));
  const index: Int32Array[] = [];
  const mark: Float64Array[] = [];
  const missing: number[] = [];
  for (const s of series) {
    const idx = new Int32Array(ts.length).fill(-1);
    const m = new Float64Array(ts.length);
    let j = 0;
    let gaps = 0;
    for (let k = 0; k < ts.length; k++) {
      while (j + 1 < s.ts.length && s.ts[j + 1] <= ts[k]) j++;
      // j is the last candle at or before ts[k]; start ≥ the series' first candle, so one exists
      if (s.ts[j] === ts[k]) idx[k] = j;
      else gaps++;
      m[k] = s.close[j];
    }
    index.push(idx);
    mark.push(m);
    missing.push(gaps);
  }
  return { symbols, ts, index, mark, start, end, startLimitedBy, endLimitedBy, missing };
}

/**
 * Refuses series of different timeframes, and series whose candles open on offset grids: two open times in the range
 * every series covers, of two series, less than one timeframe apart (hourly A at :00 and B at :30; daily crypto at
 * 00:00 UTC and US stocks at 14:30 UTC).
 * On their union clock the next time comes before a candle the decision at the previous one read has closed, so the
 * decision would fill at a price from before it was made (an audit's policy reading B's close made +1,974% at zero
 * cost) and the clock holds more times than the timeframe's, inflating annualised metrics. Holes, session gaps and
 * daylight saving shifts keep steps of at least one timeframe and pass.
 */
export function checkOneGrid(series: readonly Candles[]): void {
  if (series.length < 2 || series.some((s) => s.ts.length === 0)) return;
  // first: series of two timeframes also open on different grids, but that is not what the user needs to hear
  const other = series.find((s) => s.timeframe !== series[0].timeframe);
  if (other)
    throw new UserError(
      `${series[0].symbol} has ${series[0].timeframe} candles and ${other.symbol} ${other.timeframe} candles: the ` +
        'series of a portfolio share one timeframe; give series of one timeframe, or trade them in separate runs',
    );
  const tf = timeframeMs(series[0].timeframe);
  const start = Math.max(...series.map((s) => s.ts[0]));
  const end = Math.min(...series.map((s) => s.ts[s.ts.length - 1]));
  const opens: { ts: number; m: number }[] = [];
  series.forEach((s, m) => {
    for (const ts of s.ts) if (ts >= start && ts <= end) opens.push({ ts, m });
  });
  opens.sort((x, y) => x.ts - y.ts || x.m - y.m);
  for (let i = 1; i < opens.length; i++) {
    const [a, b] = [opens[i - 1], opens[i]];
    if (a.m === b.m || b.ts === a.ts || b.ts - a.ts >= tf) continue;
    const [x, y] = a.m < b.m ? [a, b] : [b, a]; // in the order the markets were named
    const [sx, sy] = [series[x.m].symbol, series[y.m].symbol];
    throw new UserError(
      `${sx} and ${sy} candles open on different ${series[0].timeframe} grids (${sx} at ${gridPlace(x.ts, tf)}, ` +
        `${sy} at ${gridPlace(y.ts, tf)}; from ${isoTime(a.ts)}), so a decision would fill before a candle it read ` +
        'had closed; give series whose candles open at the same times, or trade them in separate runs',
    );
  }
}

/** Where an open time sits on its timeframe's grid: `:30` for hourly and shorter, `14:30 UTC` up to daily. */
function gridPlace(ts: number, tf: number): string {
  const iso = new Date(ts).toISOString();
  const sec = iso.slice(17, 19) === '00' ? '' : iso.slice(16, 19);
  if (tf <= 3_600_000 && 3_600_000 % tf === 0) return `:${iso.slice(14, 16)}${sec}`;
  if (tf <= 86_400_000 && 86_400_000 % tf === 0) return `${iso.slice(11, 16)}${sec} UTC`;
  return isoTime(ts);
}

/**
 * One line for a report's data section: the common range, what limited it (`startSetBy` when the caller cut the
 * series there, e.g. a model's first decision), and each market's missing candles.
 */
export function describeTimeline(t: Timeline, startSetBy = t.startLimitedBy): string {
  const iso = (ms: number) =>
    new Date(ms).toISOString().slice(0, 16).replace('T00:00', '') + (ms % 86_400_000 ? 'Z' : '');
  const holes = t.symbols
    .map((s, i) => (t.missing[i] > 0 ? `${s} has no candle at ${t.missing[i]} of ${t.ts.length} times` : ''))
    .filter((s) => s !== '');
  return (
    `${t.ts.length} times ${iso(t.start)} … ${iso(t.end)} ` +
    `(start set by ${startSetBy}, end by ${t.endLimitedBy})` +
    (holes.length > 0
      ? `; ${holes.join('; ')} (valued at its last close there, its orders wait for its next candle)`
      : '')
  );
}

/**
 * The candles of `c` that a run whose clock starts at `ts` needs: those opening at or after `ts`, and, when `c` has
 * no candle at `ts`, the last one before it — the close the market is valued at until its next candle (the rule
 * above). Every series cut this way puts `ts` on the common clock, so a backtest from `ts` starts where a paper run
 * started at `ts` does even when a market skipped that interval.
 */
export function candlesFrom(c: Candles, ts: number): Candles {
  const lo = firstAtOrAfter(c.ts, ts);
  const first = lo < c.ts.length && c.ts[lo] === ts ? lo : Math.max(0, lo - 1);
  return sliceCandles(c, first, c.ts.length);
}
