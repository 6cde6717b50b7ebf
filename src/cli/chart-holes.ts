/**
 * The notice `bot chart` gives when a window it draws spans holes in the data: the renderer draws a window's candles
 * side by side as if contiguous (what the model sees, so the image stays as it is), and nothing used to say that a
 * stretch of candles was missing in between (audit of chart images, session 39). A market's closed hours are no hole
 * (src/data/holes.ts).
 */
import { gapSpan, type GapRange } from '../data/gap-range.ts';
import { seriesHoles } from '../data/holes.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';

/** Holes a notice names; more are counted and left to `bot data gaps`. */
const LISTED = 10;

interface ChartWindows {
  ts: Float64Array;
  timeframe: string;
  /** The last candle of each drawn window (indices into `ts`), oldest first: one, or a contact sheet's. */
  ends: readonly number[];
  /** Candles drawn in a window. */
  bars: number;
  /** The series, as the command's output names it. */
  label: string;
  /** Why a stored series has gaps (gap-cause.ts); undefined when not known (a file, the sample). */
  cause?: string;
}

/** One line naming every hole the windows span (their first … last missing candle, how many), or undefined. */
export function chartHolesNotice(w: ChartWindows): string | undefined {
  const holesIn = seriesHoles(w.ts, w.timeframe);
  const step = timeframeMs(w.timeframe);
  // a hole spanned by several windows of a sheet is one hole: named once, with the windows (numbered from 1)
  const holes = new Map<number, { gap: GapRange; windows: number[] }>();
  w.ends.forEach((t, k) => {
    for (const gap of holesIn(t - w.bars + 1, t)) {
      const seen = holes.get(gap.from) ?? { gap, windows: [] };
      seen.windows.push(k + 1);
      holes.set(gap.from, seen);
    }
  });
  if (holes.size === 0) return undefined;
  const sheet = w.ends.length > 1;
  const all = [...holes.values()];
  const named = all.slice(0, LISTED).map(({ gap, windows }) => {
    // the windows holding one hole are consecutive: they end after it and start before it
    const first = windows[0];
    const last = windows[windows.length - 1];
    const which = !sheet ? '' : first === last ? `; window ${first}` : `; windows ${first}–${last}`;
    return `${gapSpan(gap, step)} (${gap.missing} missing${which})`;
  });
  if (all.length > LISTED) named.push(`and ${all.length - LISTED} more (see \`bot data gaps\`)`);
  const holed = new Set(all.flatMap((h) => h.windows)).size;
  const what = sheet
    ? `${holed} of ${w.ends.length} windows span ${all.length === 1 ? 'a hole' : 'holes'} in ${w.label}, ` +
      'their candles drawn side by side as if none were missing'
    : `the window ending ${isoTime(w.ts[w.ends[0]])} spans ${all.length === 1 ? 'a hole' : `${all.length} holes`} ` +
      `in ${w.label}, its candles drawn side by side as if none were missing`;
  return `${what}: ${named.join(', ')}${w.cause !== undefined ? ` (${w.cause})` : ''}`;
}
