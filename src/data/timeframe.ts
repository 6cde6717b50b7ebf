/** Timeframe and time helpers: timeframe lengths, periods per year, parsing and printing times. */
import { UserError } from '../core/errors.ts';

const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** Milliseconds in a timeframe such as `1m`, `15m`, `1h`, `4h`, `1d`, `1w`. */
export function timeframeMs(timeframe: string): number {
  const m = /^(\d+)([mhdw])$/.exec(timeframe);
  if (!m || Number(m[1]) <= 0)
    throw new UserError(`unknown timeframe "${timeframe}" (use e.g. 1m, 5m, 1h, 4h, 1d, 1w)`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/**
 * How far a step between two stored candles may miss one timeframe and still be the next candle (one rule for the
 * importer's steps, src/data/csv-steps.ts, and the store's gaps): daily candles read in a zone with daylight saving
 * time sit an hour off across its changes; weekly candles stamped on the week's first trading day move to the Tuesday
 * (or later) after a Monday holiday, so one step is 6 days (or fewer) and the next 8.
 */
export function stepSlack(step: number): number {
  const day = UNIT_MS.d;
  return step >= UNIT_MS.w ? 3 * day : step >= day ? UNIT_MS.h : 0;
}

/** Candles per year of a timeframe, for annualising metrics (crypto trades every hour of every day). */
export function periodsPerYear(timeframe: string, tradingDaysPerYear = 365): number {
  const ms = timeframeMs(timeframe);
  if (ms >= 86_400_000) return (tradingDaysPerYear * 86_400_000) / ms;
  return (365 * 86_400_000) / ms;
}

/**
 * An ISO 8601 date, optionally with a time (`T` or a space) and a zone. Only this shape is read: `Date.parse` alone
 * takes "1" for 2001-01-01, "01/02/2010" for a US month/day in local time and rolls 2024-02-30 over to March 1, so a
 * mistyped date used to run silently on another range.
 */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses a date flag (`2024-01-01`, `2024-03-01T00:00Z`, `2024-03-01T09:00+09:00`, ms number) into ms UTC; a date or
 * time without a zone is UTC, like the candles.
 */
export function parseTime(value: string, flag: string): number {
  const trimmed = value.trim();
  if (/^\d{12,}$/.test(trimmed)) return Number(trimmed);
  const m = ISO_TIME.exec(trimmed);
  if (!m) throw new UserError(`${flag}: cannot read "${value}" as a date (use e.g. 2024-01-01 or 2024-03-01T00:00Z)`);
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const daysInMonth = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  const inRange = ([v, lo, hi]: [string, number, number]) => Number(v) >= lo && Number(v) <= hi;
  const fields: [string, number, number][] = [
    [mo, 1, 12],
    [d, 1, daysInMonth],
    [h, 0, 23],
    [mi, 0, 59],
    [s, 0, 59],
  ];
  if (!fields.every(inRange)) throw new UserError(`${flag}: "${value}" is not a date and time of the calendar`);
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  return Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac}${offset}`);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The first open time after a recorded window's end (a model's meta.json training or validation window): a day
 * ("2025-02-20", as `bot backtest --symbols` wrote for older portfolio models) covers the whole day. NaN for none.
 */
export function afterWindowEnd(to: unknown): number {
  if (typeof to !== 'string') return NaN;
  const t = Date.parse(to);
  return DAY.test(to) ? t + 86_400_000 : t + 1;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** ` in [from, to)` for an error line about a time range, or '' when neither end is given. */
export function describeRange(from?: number, to?: number): string {
  if (from === undefined && to === undefined) return '';
  return ` in [${from !== undefined ? isoTime(from) : '…'}, ${to !== undefined ? isoTime(to) : '…'})`;
}
