/**
 * Whether new candles (a file's, an exchange's) fit the stored series they are about to join: on its time grid and
 * in no stored candle's span (grid.ts, CandleStore.offGrid), and at its price level. A file of another market or
 * currency (Binance's USDT prices as upbit's KRW ones, 500× apart) used to join the series without a word.
 */
import type { CandleRow } from '../core/candles.ts';
import { WILD_MOVE } from './csv-checks.ts';
import type { CandleStore } from './store.ts';
import { isoTime } from './timeframe.ts';

/** A new candle whose close is more than WILD_MOVE times from the stored candle next to it (`side` of it). */
interface PriceJump {
  row: CandleRow;
  stored: CandleRow;
  side: 'before' | 'after';
  ratio: number;
}

/** What does not fit: the first candle off the grid (with why), or a jump in price against a stored neighbour. */
type Misfit = { kind: 'grid'; ts: number; why: string; days: boolean } | { kind: 'price'; jump: PriceJump };

/**
 * The first and last of `rows` (ascending) against the nearest stored candles before and after them: a close more
 * than WILD_MOVE times away from the stored close is a jump no market makes between two candles (the file's own rows
 * are only warned about, csv-checks.ts wildMoves: a broken row, not another market).
 */
export function priceJump(
  rows: readonly CandleRow[],
  around: { before?: CandleRow; after?: CandleRow },
): PriceJump | undefined {
  return priceJumps(rows, around)[0];
}

/** Every jump priceJump looks for (at most one a side), the one before first. */
function priceJumps(rows: readonly CandleRow[], around: { before?: CandleRow; after?: CandleRow }): PriceJump[] {
  if (rows.length === 0) return [];
  const pairs = [
    { row: rows[0], stored: around.before, side: 'before' as const },
    { row: rows[rows.length - 1], stored: around.after, side: 'after' as const },
  ];
  const out: PriceJump[] = [];
  for (const { row, stored, side } of pairs) {
    if (stored === undefined) continue;
    const ratio = Math.max(row.close / stored.close, stored.close / row.close);
    if (ratio > WILD_MOVE) out.push({ row, stored, side, ratio });
  }
  return out;
}

/** A jump for people: "candle … closes at 93000 and the stored candle … before it at 50000000: 537× apart". */
export function describeJump(j: PriceJump, series: string): string {
  return `${jumpFacts(j, series)}, more than the ${WILD_MOVE}× no market moves between two candles`;
}

/** describeJump without its verdict, for a jump the exchange made itself (servedJumps). */
export function jumpFacts(j: PriceJump, series: string): string {
  return (
    `candle ${isoTime(j.row.ts)} closes at ${j.row.close} and the stored ${series} candle ${isoTime(j.stored.ts)} ` +
    `${j.side} it at ${j.stored.close}: ${Math.round(j.ratio)}× apart`
  );
}

export type Series = { exchange: string; symbol: string; timeframe: string };

/**
 * The first way `rows` (ascending) do not fit the stored series, or undefined when they do (or nothing is stored).
 * Candles from the exchange (`from`) may jump 100× from a stored candle the exchange itself served (servedJumps): a
 * redenomination, a listing's first candles or a bad print are the market's, and refusing them stalled every paper
 * and live tick for good (session 38's audit); only a jump from candles it did not serve (a file's) is a misfit.
 */
export function misfitOf(
  store: CandleStore,
  series: Series,
  rows: readonly CandleRow[],
  from: 'file' | 'exchange' = 'file',
): Misfit | undefined {
  const { exchange, symbol, timeframe } = series;
  if (rows.length === 0) return undefined;
  const off = store.offGrid(
    exchange,
    symbol,
    timeframe,
    rows.map((r) => r.ts),
  );
  if (off !== undefined) return { kind: 'grid', ...off };
  const served = from === 'exchange' ? servedBy(store, series) : () => false;
  const jump = jumpsOf(store, series, rows).find((j) => !served(j.stored.ts));
  return jump === undefined ? undefined : { kind: 'price', jump };
}

/** The 100× jumps of the exchange's `rows` from stored candles it served itself: stored, with a warning. */
export function servedJumps(store: CandleStore, series: Series, rows: readonly CandleRow[]): PriceJump[] {
  const served = servedBy(store, series);
  return jumpsOf(store, series, rows).filter((j) => served(j.stored.ts));
}

function jumpsOf(store: CandleStore, series: Series, rows: readonly CandleRow[]): PriceJump[] {
  if (rows.length === 0) return [];
  const { exchange, symbol, timeframe } = series;
  return priceJumps(rows, store.neighbours(exchange, symbol, timeframe, rows[0].ts, rows[rows.length - 1].ts));
}

/**
 * Whether the stored candle at a time is the exchange's: inside the series' download record, which downloads and
 * paper/live ticks write (CandleStore.storeDownload) and an import over their candles clears (storeImport).
 */
function servedBy(store: CandleStore, series: Series): (ts: number) => boolean {
  const fetched = store.coverage(series.exchange, series.symbol, series.timeframe);
  return (ts) => fetched.some((r) => r.from <= ts && ts < r.to);
}
