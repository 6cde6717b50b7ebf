/**
 * The timeframe of a candle file from the steps between its rows, and the refusal of files that mix timeframes.
 *
 * Markets that close (stock and futures sessions, lunch breaks, nights, weekends, holidays) leave steps that are
 * longer than one candle and need not be a multiple of it: hourly candles of a future trading 09:30–11:30 and
 * 13:00–15:00 open at 09:30, 10:30, 13:00, 14:00, so 10:30 → 13:00 is 150 minutes. Such a file is one timeframe with
 * session gaps. What no session can explain is a step shorter than a candle, or a long run of equal longer steps (a
 * stretch of coarser candles); those are refused with one line naming the first offending rows.
 */
import { UserError } from '../core/errors.ts';
import { isoTime, stepSlack, timeframeMs } from './timeframe.ts';

/** A row's open time and the file line it came from (for error messages). */
interface TimedRow {
  ts: number;
  line: number;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * Equal steps other than the timeframe this many times in a row are a stretch of other candles, not session gaps:
 * sessions are separated by runs of timeframe steps, and even daily data with holidays has at most a few gap steps in
 * a row (a holiday next to a weekend), never a dozen equal ones.
 */
export const COARSER_RUN = 12;

const TF_UNITS: [number, string][] = [
  [7 * DAY, 'w'],
  [DAY, 'd'],
  [HOUR, 'h'],
  [60_000, 'm'],
];

/** The timeframe name of a spacing in ms (`3600000` → `1h`), or undefined. */
function timeframeOfMs(ms: number): string | undefined {
  for (const [unit, name] of TF_UNITS) if (ms >= unit && ms % unit === 0) return `${ms / unit}${name}`;
  return undefined;
}

/** A step for people: `15m`, `1h`, `2h30m`, `19h30m`, `3d`; seconds when it is not whole minutes. */
export function stepText(ms: number): string {
  if (ms % 60_000 !== 0) return `${ms / 1000} s`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, name] of TF_UNITS.slice(1)) {
    if (rest >= unit) parts.push(`${Math.floor(rest / unit)}${name}`);
    rest %= unit;
  }
  return parts.join('');
}

/** Most common step between consecutive sorted times (ties: the shorter), or undefined for fewer than two rows. */
function commonStep(ts: readonly number[]): number | undefined {
  const counts = new Map<number, number>();
  for (let i = 1; i < ts.length; i++) {
    const d = ts[i] - ts[i - 1];
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best: number | undefined;
  let bestCount = 0;
  for (const [d, n] of counts)
    if (n > bestCount || (n === bestCount && best !== undefined && d < best)) [best, bestCount] = [d, n];
  return best;
}

/**
 * The timeframe of rows sorted by time (with distinct times): `timeframe` when given, else the most common step
 * between rows (ties to the shorter). Every step must be at least one timeframe (less stepSlack for daily and weekly
 * candles); longer steps are gaps of any length.
 * Refused with a UserError naming the first offending rows: a step shorter than the timeframe; rows mostly a whole
 * multiple of the timeframe apart with no step of one timeframe (a daily file given as 1h); without `timeframe`,
 * COARSER_RUN or more equal longer steps in a row, and a most common step that divides no day while other steps are
 * not multiples of it (sessions of one candle each: the steps never show the candle length).
 */
export function timeframeOfRows(rows: readonly TimedRow[], file: string, timeframe?: string): string {
  const ts = rows.map((r) => r.ts);
  const common = commonStep(ts);
  let tf = timeframe;
  if (tf === undefined) {
    if (common === undefined) throw new UserError(`${file}: a single row cannot tell the timeframe; pass --timeframe`);
    tf = timeframeOfMs(common);
    if (tf === undefined)
      throw new UserError(`${file}: rows are ${common} ms apart, which is no timeframe; pass --timeframe`);
  }
  const step = timeframeMs(tf);
  const slack = stepSlack(step);
  if (common !== undefined && (common < step - slack || coarserFile(ts, common, step, slack)))
    throw new UserError(`${file}: rows are mostly ${stepText(common)} apart, but the timeframe is ${tf}`);

  const short: number[] = [];
  let offGrid = -1;
  for (let i = 1; i < rows.length; i++) {
    const d = ts[i] - ts[i - 1];
    if (d < step - slack) short.push(i);
    const off = d % step;
    if (offGrid < 0 && Math.min(off, step - off) > slack) offGrid = i;
  }
  if (short.length > 0) {
    const i = short[0];
    const more = short.length > 1 ? ` (${short.length} such steps; the next on line ${rows[short[1]].line})` : '';
    throw new UserError(
      `${file}:${rows[i].line}: mixed timeframe: ${isoTime(ts[i])} is ${stepText(ts[i] - ts[i - 1])} after ` +
        `${isoTime(ts[i - 1])} (line ${rows[i - 1].line}), shorter than the ${tf} timeframe${more}`,
    );
  }
  if (timeframe !== undefined) return tf;

  if (offGrid > 0 && step < DAY && DAY % step !== 0) {
    const i = offGrid;
    throw new UserError(
      `${file}:${rows[i].line}: cannot tell the timeframe: rows are mostly ${stepText(step)} apart, which divides ` +
        `no day, and ${isoTime(ts[i])} is ${stepText(ts[i] - ts[i - 1])} after the previous row ` +
        `(sessions of one candle each?); pass --timeframe`,
    );
  }
  const run = coarserRun(ts, step);
  if (run !== undefined) {
    const [a, b] = [rows[run.from].line, rows[run.to].line].sort((x, y) => x - y);
    throw new UserError(
      `${file}:${a}: mixed timeframe: lines ${a}–${b} are ${stepText(run.step)} apart ` +
        `${run.to - run.from} times in a row in a file of ${tf} candles ` +
        `(if these are ${tf} candles with gaps, pass --timeframe ${tf})`,
    );
  }
  return tf;
}

/**
 * Rows mostly a whole multiple of the timeframe apart with no step of one timeframe: coarser candles named with a
 * finer --timeframe (a daily file as 1h would be stored with 23 missing candles between any two), not gaps. As for
 * a stretch of coarser candles, it takes COARSER_RUN steps: a few rows with gaps between them are a thin market.
 */
function coarserFile(ts: readonly number[], common: number, step: number, slack: number): boolean {
  if (ts.length <= COARSER_RUN || common <= step + slack || common % step !== 0) return false;
  for (let i = 1; i < ts.length; i++) if (Math.abs(ts[i] - ts[i - 1] - step) <= slack) return false;
  return true;
}

/** The first run of COARSER_RUN or more equal steps other than `step` (row indices of its ends), if any. */
function coarserRun(ts: readonly number[], step: number): { from: number; to: number; step: number } | undefined {
  let start = 1;
  for (let i = 2; i <= ts.length; i++) {
    const d = ts[start] - ts[start - 1];
    if (i < ts.length && ts[i] - ts[i - 1] === d) continue;
    if (d !== step && i - start >= COARSER_RUN) return { from: start - 1, to: i - 1, step: d };
    start = i;
  }
  return undefined;
}
