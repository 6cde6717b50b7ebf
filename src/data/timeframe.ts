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

/** Candles per year of a timeframe, for annualising metrics (crypto trades every hour of every day). */
export function periodsPerYear(timeframe: string, tradingDaysPerYear = 365): number {
  const ms = timeframeMs(timeframe);
  if (ms >= 86_400_000) return (tradingDaysPerYear * 86_400_000) / ms;
  return (365 * 86_400_000) / ms;
}

/** Parses a date flag (`2024-01-01`, `2024-03-01T00:00Z`, ms number) into ms UTC. */
export function parseTime(value: string, flag: string): number {
  const trimmed = value.trim();
  if (/^\d{12,}$/.test(trimmed)) return Number(trimmed);
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? `${trimmed}T00:00:00Z` : trimmed;
  const t = Date.parse(iso);
  if (!Number.isFinite(t))
    throw new UserError(`${flag}: cannot read "${value}" as a date (use e.g. 2024-01-01 or 2024-03-01T00:00Z)`);
  return t;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
