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
  if (rows.length === 0) return undefined;
  const pairs = [
    { row: rows[0], stored: around.before, side: 'before' as const },
    { row: rows[rows.length - 1], stored: around.after, side: 'after' as const },
  ];
  for (const { row, stored, side } of pairs) {
    if (stored === undefined) continue;
    const ratio = Math.max(row.close / stored.close, stored.close / row.close);
    if (ratio > WILD_MOVE) return { row, stored, side, ratio };
  }
  return undefined;
}

/** A jump for people: "candle … closes at 93000 and the stored candle … before it at 50000000: 537× apart". */
export function describeJump(j: PriceJump, series: string): string {
  const side = j.side === 'before' ? 'before' : 'after';
  return (
    `candle ${isoTime(j.row.ts)} closes at ${j.row.close} and the stored ${series} candle ${isoTime(j.stored.ts)} ` +
    `${side} it at ${j.stored.close}: ${Math.round(j.ratio)}× apart, more than the ${WILD_MOVE}× no market moves ` +
    'between two candles'
  );
}

/** The first way `rows` (ascending) do not fit the stored series, or undefined when they do (or nothing is stored). */
export function misfitOf(
  store: CandleStore,
  series: { exchange: string; symbol: string; timeframe: string },
  rows: readonly CandleRow[],
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
  const around = store.neighbours(exchange, symbol, timeframe, rows[0].ts, rows[rows.length - 1].ts);
  const jump = priceJump(rows, around);
  return jump === undefined ? undefined : { kind: 'price', jump };
}
