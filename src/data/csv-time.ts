/** Times in candle CSVs: ISO instants, dates and wall-clock times in a named time zone (Intl), epoch ms or µs. */
import { UserError } from '../core/errors.ts';
import { sameValues, type LinedRow } from './csv-checks.ts';

/** Offset (ms) of a time zone from UTC at an instant. */
function zoneOffsetMs(instant: number, tz: string, fmt: Intl.DateTimeFormat): number {
  const parts = fmt.formatToParts(new Date(instant));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const hour = get('hour') % 24;
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), hour, get('minute'), get('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

export function zoneFormatter(tz: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new UserError(`--tz: unknown time zone "${tz}" (use an IANA name such as UTC or Asia/Seoul)`);
  }
}

/**
 * A time of day: `09:30`, `09:30:15`, `09:30:15.250`, or without colons, as Korean exports (Kiwoom, KRX) write it:
 * HHMM or HHMMSS (`0930`, `093015`; `930`, `93015` once a spreadsheet dropped the hour's zero). The digit count
 * tells which, so no other reading is possible.
 */
const CLOCK = String.raw`\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?|\d{3,6}`;
/** An offset after a time: `Z`, `+09:00`, `-0500`. */
const ZONE = String.raw`Z|[+-]\d{2}:?\d{2}`;
// the same, its parts captured, the cell ending after it or after an offset
const CLOCK_RE = new RegExp(
  String.raw`^(?:(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?|(\d{1,2})(\d{2})(\d{2})?)(?=\s*(?:${ZONE})?$)`,
  'i',
);

// a date (2024-01-02, 2024/1/2, 20240102), then an optional time of day, then an optional zone
const DATE_RE = new RegExp(
  String.raw`^(?:(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})|(\d{4})(\d{2})(\d{2}))` +
    String.raw`(?:[ T]+(${CLOCK}))?\s*(${ZONE})?$`,
  'i',
);

interface Clock {
  h: number;
  mi: number;
  s: number;
  ms: number;
}

/**
 * A time of day (CLOCK, an offset after it allowed: a `Time` column's cell), or why it is none: `hour 24 is past 23`,
 * `minute 75 is past 59`; undefined when it is not written as one.
 */
export function readClock(raw: string): Clock | string | undefined {
  const m = CLOCK_RE.exec(raw.trim());
  if (!m) return undefined;
  const colon = m[1] !== undefined;
  const [h, mi, s] = (colon ? [m[1], m[2], m[3]] : [m[5], m[6], m[7]]).map((v) => Number(v ?? '0'));
  if (h > 23) return `hour ${h} is past 23`;
  if (mi > 59) return `minute ${mi} is past 59`;
  if (s > 59) return `second ${s} is past 59`;
  return { h, mi, s, ms: Number((m[4] ?? '0').padEnd(3, '0')) };
}

/**
 * Whether a time cell says its own zone, so `--tz` does not apply to it: `utc` for epoch numbers, `Z` and `+00:00`,
 * `offset` for another offset, undefined for a wall-clock time (read in `--tz`) or no time at all.
 */
export function timeZoneOfCell(raw: string): 'utc' | 'offset' | undefined {
  const s = raw.trim();
  if (/^(\d{10}|\d{13}|\d{16})$/.test(s)) return 'utc';
  const offset = DATE_RE.exec(s)?.[8];
  if (offset === undefined) return undefined;
  return /^(z|[+-]00:?00)$/i.test(offset) ? 'utc' : 'offset';
}

/** Parses a time cell into ms UTC, or NaN. Wall-clock times without an offset are read in `tz`. */
export function parseCsvTime(raw: string, tz: string, fmt: Intl.DateTimeFormat): number {
  const t = readCsvTime(raw, tz, fmt);
  return typeof t === 'number' ? t : NaN;
}

/**
 * A time cell read into ms UTC (NaN when it is none), or why its time of day is impossible (readClock). Wall-clock
 * times without an offset are read in `tz`.
 */
export function readCsvTime(raw: string, tz: string, fmt: Intl.DateTimeFormat): number | string {
  const s = raw.trim();
  if (/^\d{13}$/.test(s)) return Number(s);
  // Binance's spot dumps count microseconds since 2025
  if (/^\d{16}$/.test(s)) return Math.floor(Number(s) / 1000);
  if (/^\d{10}$/.test(s)) return Number(s) * 1000;
  // Kiwoom's minute charts: YYYYMMDDHHMMSS (not 12 digits, YYYYMMDDHHMM: as many as epoch ms before 2001)
  const compact = /^(\d{8})(\d{6})$/.exec(s);
  const m = DATE_RE.exec(compact ? `${compact[1]} ${compact[2]}` : s);
  if (!m) return NaN;
  const [y, mo, d] = (m[1] !== undefined ? [m[1], m[2], m[3]] : [m[4], m[5], m[6]]).map(Number);
  const clock = m[7] !== undefined ? readClock(m[7]) : { h: 0, mi: 0, s: 0, ms: 0 };
  if (typeof clock === 'string') return clock;
  if (clock === undefined || mo < 1 || mo > 12 || d < 1 || d > 31) return NaN;
  const { h, mi, s: sec, ms } = clock;
  const offset = m[8];
  if (offset) {
    const utc = calendarUtc(y, mo, d, h, mi, sec, ms);
    if (offset.toUpperCase() === 'Z') return utc;
    const om = /^([+-])(\d{2}):?(\d{2})$/.exec(offset)!;
    const sign = om[1] === '-' ? -1 : 1;
    return utc - sign * (Number(om[2]) * 60 + Number(om[3])) * 60_000;
  }
  return wallToUtc(y, mo, d, h, mi, sec, ms, tz, fmt);
}

/**
 * Date.UTC of a calendar date and time (month 1–12), or NaN for a day the month does not have: Date.UTC rolls
 * 2024-02-30 over to 2024-03-01.
 */
function calendarUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  return new Date(t).getUTCDate() === d ? t : NaN;
}

function wallToUtc(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  tz: string,
  fmt: Intl.DateTimeFormat,
): number {
  const wall = calendarUtc(y, mo, d, h, mi, s, ms);
  if (tz === 'UTC' || Number.isNaN(wall)) return wall;
  let guess = wall - zoneOffsetMs(wall, tz, fmt);
  guess = wall - zoneOffsetMs(guess, tz, fmt);
  return guess;
}

/**
 * For an instant read from a wall-clock time in `tz` (wallToUtc takes the later of two readings), the earlier reading
 * when that wall time occurs twice, as the hour after a daylight saving fall-back does (02:00 on 2024-10-27 in
 * Europe/Berlin is 00:00Z and 01:00Z); undefined when it occurs once.
 */
export function earlierReading(ts: number, tz: string, fmt: Intl.DateTimeFormat): number | undefined {
  if (tz === 'UTC') return undefined;
  const now = zoneOffsetMs(ts, tz, fmt);
  // the offset before a change within the last 3 hours (fall-backs move clocks back by at most 2)
  const before = zoneOffsetMs(ts - 3 * 3_600_000, tz, fmt);
  if (before <= now) return undefined;
  const earlier = ts - (before - now);
  return zoneOffsetMs(earlier, tz, fmt) === before ? earlier : undefined;
}

/** "02:00 occurs twice on 2024-10-27 in Europe/Berlin (daylight saving ends)" for an instant earlierReading has. */
export function describeFold(ts: number, tz: string, fmt: Intl.DateTimeFormat): string {
  const wall = new Date(ts + zoneOffsetMs(ts, tz, fmt)).toISOString();
  return `${wall.slice(11, 16)} occurs twice on ${wall.slice(0, 10)} in ${tz} (daylight saving ends)`;
}

/**
 * Rows (in file order) at a wall-clock time that occurs twice, with their earlier readings (`folds`): where exactly
 * two rows with different values share one such time, the one first in time order of the file (the first line of an
 * ascending file, the last of a descending one) takes the earlier reading. Returns the times left ambiguous (more or
 * fewer rows, or the same values), for the duplicate-time error to explain.
 */
export function readFoldsInOrder(rows: LinedRow[], folds: ReadonlyMap<LinedRow, number>): Set<number> {
  const byTime = new Map<number, LinedRow[]>();
  for (const r of rows) if (folds.has(r)) byTime.set(r.ts, [...(byTime.get(r.ts) ?? []), r]);
  const ascending = rows.length < 2 || rows[0].ts <= rows[rows.length - 1].ts;
  const left = new Set<number>();
  for (const [ts, group] of byTime) {
    if (group.length !== 2 || sameValues(group[0], group[1])) {
      left.add(ts);
      continue;
    }
    const first = ascending ? group[0] : group[1];
    first.ts = folds.get(first)!;
  }
  return left;
}
