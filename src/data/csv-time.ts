/** Times in candle CSVs: ISO instants, dates and wall-clock times in a named time zone (Intl), epoch ms or µs. */
import { UserError } from '../core/errors.ts';

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

// date, then an optional time (with seconds and milliseconds), then an optional zone
const DATE_RE = new RegExp(
  String.raw`^(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})` +
    String.raw`(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?` +
    String.raw`\s*(Z|[+-]\d{2}:?\d{2})?$`,
  'i',
);

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
  const s = raw.trim();
  if (/^\d{8}$/.test(s))
    return wallToUtc(Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8)), 0, 0, 0, 0, tz, fmt);
  if (/^\d{13}$/.test(s)) return Number(s);
  // Binance's spot dumps count microseconds since 2025
  if (/^\d{16}$/.test(s)) return Math.floor(Number(s) / 1000);
  if (/^\d{10}$/.test(s)) return Number(s) * 1000;
  const m = DATE_RE.exec(s);
  if (!m) return NaN;
  const [y, mo, d, h, mi, sec, ms] = [
    m[1],
    m[2],
    m[3],
    m[4] ?? '0',
    m[5] ?? '0',
    m[6] ?? '0',
    (m[7] ?? '0').padEnd(3, '0'),
  ].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return NaN;
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
