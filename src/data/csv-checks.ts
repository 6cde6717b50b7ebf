/**
 * Checks on the candles of a CSV file once read: prices no market prints (refused with the line), exact duplicate
 * rows (dropped and counted), same-time rows that differ (refused), and moves so wild they are more likely a broken
 * row than a market (counted for one warning; flash crashes of 1000× do happen, so they are not refused).
 */
import { UserError } from '../core/errors.ts';
import type { CandleRow } from '../core/candles.ts';
import { isoTime } from './timeframe.ts';

/** A row of the file with the line it came from (for messages). */
export type LinedRow = CandleRow & { line: number };

/**
 * The price bounds. The largest is the largest balance (src/market/config.ts MAX_BALANCE: money sums stay exact and
 * finite through a run below it); the smallest is far under any traded coin's. A high of 1e300 used to import and a
 * backtest on it printed an annual return of 17715290135591.53%.
 */
const MAX_PRICE = 1e15;
const MIN_PRICE = 1e-12;
/** `1e15`, `1e-12`: a bound as people write it. */
const bound = (x: number) => x.toExponential().replace('+', '');

/** A move more than this many times within a candle (high or low against open/close) or between closes is flagged. */
export const WILD_MOVE = 100;

/**
 * A candle no market can print: a price outside MIN_PRICE…MAX_PRICE, high below low, open or close outside them, a
 * price of 0 (negatives are refused as the row is read).
 */
export function checkPrices(row: CandleRow, where: string): void {
  for (const f of ['open', 'high', 'low', 'close'] as const) {
    if (row[f] === 0) throw new UserError(`${where}: ${f} is 0 (a price must be above 0)`);
    if (row[f] > MAX_PRICE)
      throw new UserError(`${where}: ${f} ${row[f]} is above ${bound(MAX_PRICE)}, the largest price`);
    if (row[f] < MIN_PRICE)
      throw new UserError(`${where}: ${f} ${row[f]} is below ${bound(MIN_PRICE)}, the smallest price`);
  }
  if (row.high < row.low) throw new UserError(`${where}: high ${row.high} is below low ${row.low}`);
  for (const f of ['open', 'close'] as const) {
    if (row[f] > row.high) throw new UserError(`${where}: ${f} ${row[f]} is above high ${row.high}`);
    if (row[f] < row.low) throw new UserError(`${where}: ${f} ${row[f]} is below low ${row.low}`);
  }
}

export function sameValues(a: CandleRow, b: CandleRow): boolean {
  return a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.volume === b.volume;
}

/**
 * Rows sorted by time: a row repeating the one before it exactly (time and values; exports that overlap) is taken out
 * and counted; a row at the same time with other values is refused with both lines, and `why` it has that time when
 * the caller knows (a wall-clock time a daylight saving fall-back repeats).
 */
export function dropExactDuplicates(
  rows: LinedRow[],
  file: string,
  why: (ts: number) => string | undefined = () => undefined,
): number {
  // compacted in place: spreading the kept rows into splice() overflows the stack past ~120k rows
  let kept = 0;
  for (const r of rows) {
    const prev = kept > 0 ? rows[kept - 1] : undefined;
    if (prev === undefined || prev.ts !== r.ts) rows[kept++] = r;
    else if (!sameValues(prev, r)) {
      const [first, second] = [prev.line, r.line].sort((a, b) => a - b);
      const reason = why(r.ts);
      if (reason !== undefined) throw new UserError(`${file}:${second}: ${reason} (line ${first} has it too)`);
      throw new UserError(`${file}:${second}: duplicate time ${isoTime(r.ts)} with other values than line ${first}`);
    }
  }
  const dropped = rows.length - kept;
  rows.length = kept;
  return dropped;
}

/**
 * Candles (sorted by time) whose high or low lies more than WILD_MOVE times from their open and close, or whose close
 * is more than WILD_MOVE times the one before: how many, and the first line in the file of one; undefined for none.
 */
export function wildMoves(rows: readonly LinedRow[]): { count: number; firstLine: number } | undefined {
  let count = 0;
  let firstLine = Infinity;
  rows.forEach((r, i) => {
    const body = [Math.min(r.open, r.close), Math.max(r.open, r.close)];
    const prev = i > 0 ? rows[i - 1].close : r.close;
    const jump = Math.max(r.close / prev, prev / r.close);
    if (r.high > body[1] * WILD_MOVE || r.low * WILD_MOVE < body[0] || jump > WILD_MOVE) {
      count++;
      firstLine = Math.min(firstLine, r.line);
    }
  });
  return count > 0 ? { count, firstLine } : undefined;
}
