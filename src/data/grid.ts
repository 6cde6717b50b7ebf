/**
 * A stored series' time grid: the phases (open time modulo the candle length) its candles sit on, and whether new
 * candles fall on them or inside a stored candle. A file read in the wrong time zone lands its daily candles at 00:00
 * next to stored 09:00 ones; the store's key (open time) takes both, and the series silently holds two candles a day.
 */
import { UserError } from '../core/errors.ts';
import { stepText } from './csv-steps.ts';
import { isoTime, stepSlack, timeframeMs } from './timeframe.ts';

/**
 * Candles refused for not fitting the stored series (off its grid, inside a stored candle, or at another price level):
 * bad data no retry changes (nothing was stored).
 */
export class OffGridError extends UserError {
  override name = 'OffGridError';
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * The period and tolerance of a timeframe's grid. Daily candles read in a zone with daylight saving time sit an hour
 * off across its changes; weekly candles stamped on the week's first trading day move by whole days after a holiday,
 * so for weekly candles only the time of day is a grid (within the same hour's slack).
 */
export function gridOf(timeframe: string): { period: number; slack: number } {
  const step = timeframeMs(timeframe);
  if (step >= 7 * DAY) return { period: DAY, slack: HOUR };
  return { period: step, slack: step >= DAY ? HOUR : 0 };
}

function phaseOf(ts: number, period: number): number {
  return ((ts % period) + period) % period;
}

/** Whether `ts` sits within `slack` of one of the `phases` (ms into the period, both ways round). */
function onGrid(ts: number, phases: readonly number[], period: number, slack: number): boolean {
  const p = phaseOf(ts, period);
  return phases.some((q) => {
    const d = Math.abs(p - q);
    return Math.min(d, period - d) <= slack;
  });
}

/** The first of `times` off the grid of `phases`, or undefined when all sit on it (or nothing is stored yet). */
export function firstOffGrid(
  times: readonly number[],
  phases: readonly number[],
  timeframe: string,
): number | undefined {
  if (phases.length === 0) return undefined;
  const { period, slack } = gridOf(timeframe);
  return times.find((ts) => !onGrid(ts, phases, period, slack));
}

const WEEK = 7 * DAY;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A stored series' open times modulo a week, with how many candles open at each. */
export interface WeekPhase {
  phase: number;
  n: number;
}

/**
 * The weekday grid of weekly candles, which their time-of-day grid (gridOf) leaves to the overlap check: a file
 * stamping its weeks on Sundays beside stored Monday ones overlaps them, but after the stored range it overlapped
 * nothing and joined the series on its own weekday (session 38's audit). A new candle may open on the stored series'
 * weekday (the one most of its candles open on, `stored`) or up to 3 days after it, as a week after a holiday does
 * (stepSlack), and the new candles' own weekday must be the stored one: two or more of them on another, and more than
 * on the stored weekday, are a file stamped on another weekday. Returns the first candle off it with the stored
 * weekday for people, or undefined (not weekly, or fewer than two stored candles on their weekday to go by).
 */
export function firstOffWeekday(
  times: readonly number[],
  stored: readonly WeekPhase[],
  timeframe: string,
): { ts: number; why: string } | undefined {
  if (timeframeMs(timeframe) !== WEEK || times.length === 0) return undefined;
  const main = stored.reduce<WeekPhase | undefined>((a, b) => (a === undefined || b.n > a.n ? b : a), undefined);
  if (main === undefined || main.n < 2) return undefined;
  // whole days after the stored weekday, an hour either side (daylight saving) counting as that day; the time of day
  // was checked before (firstOffGrid)
  const daysAfter = (ts: number) => Math.floor(phaseOf(ts - main.phase + HOUR, WEEK) / DAY);
  const weekday = WEEKDAYS[new Date(main.phase).getUTCDay()];
  const why = `stored ${timeframe} candles open on ${weekday}s at ${clock(main.phase)} UTC`;
  const off = times.find((ts) => daysAfter(ts) > 3);
  if (off !== undefined) return { ts: off, why };
  const perDay = [0, 0, 0, 0];
  for (const ts of times) perDay[daysAfter(ts)]++;
  const other = [1, 2, 3].find((d) => perDay[d] >= 2 && perDay[d] > perDay[0]);
  if (other === undefined) return undefined;
  return { ts: times.find((ts) => daysAfter(ts) === other) as number, why };
}

/**
 * The shortest span a candle of `timeframe` covers from its open: the timeframe less the slack the importer allows
 * between candles (stepSlack: 23 hours for a day across a daylight saving change, 4 days for a week after a holiday).
 */
export function shortestSpan(timeframe: string): number {
  const step = timeframeMs(timeframe);
  return step - stepSlack(step);
}

/**
 * The first of `times` that lies inside a stored candle without being its open time, with that candle: two candles
 * whose open times are less than the shortest span apart ([t, t + span) and [s, s + span) overlap) cover the same
 * time. Daily candles at 23:00 beside stored ones at 00:00 are 1 hour apart and overlap; US session candles at 13:30
 * after stored ones at 14:30 the day before are 23 hours apart and do not. `stored` ascending.
 */
export function firstOverlap(
  times: readonly number[],
  stored: ArrayLike<number>,
  timeframe: string,
): { ts: number; stored: number } | undefined {
  const span = shortestSpan(timeframe);
  let at = 0;
  for (const ts of [...times].sort((a, b) => a - b)) {
    while (at < stored.length && stored[at] <= ts - span) at++;
    // stored[at] is the first stored open time after ts − span; the next may be ts itself
    for (let i = at; i < stored.length && stored[i] < ts + span; i++) {
      if (stored[i] !== ts) return { ts, stored: stored[i] };
    }
  }
  return undefined;
}

/** Why `ts` overlaps the stored candle `stored`, for the error line. */
export function describeOverlap(ts: number, stored: number, timeframe: string): string {
  const side = stored > ts ? 'later' : 'earlier';
  return `it overlaps the stored ${timeframe} candle ${isoTime(stored)}, ${stepText(Math.abs(stored - ts))} ${side}`;
}

function clock(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

/**
 * The grid for people: "stored 1d candles open at 09:00 UTC", "stored 1h candles open at 00:30, 01:30, … UTC".
 * Phases of a period shorter than a day are shown as the first two open times of the UTC day they fit.
 */
export function describeGrid(phases: readonly number[], timeframe: string): string {
  const { period } = gridOf(timeframe);
  const shown = [...phases].sort((a, b) => a - b).slice(0, 3);
  const times =
    period >= DAY
      ? shown.map(clock).join(', ')
      : `${shown.map(clock).join(', ')}, ${shown.map((p) => clock(p + period)).join(', ')}, …`;
  return `stored ${timeframe} candles open at ${times} UTC`;
}
