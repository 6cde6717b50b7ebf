/** Which candles a backtest run covers (a --from/--to range as indices) and which folder its report goes to. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';

/** Fewest candles a backtest range may hold (two returns make a standard deviation). */
export const MIN_RANGE_CANDLES = 3;
/** Candle indices [from, to) of the candles with open time in [fromMs, toMs); a UserError when too few. */
export function rangeIndices(
  candles: Candles,
  fromMs?: number,
  toMs?: number,
  label = 'the data',
): { from: number; to: number } {
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) {
    throw new UserError(`--to ${isoTime(toMs)} is not after --from ${isoTime(fromMs)}`);
  }
  const ts = candles.ts;
  let from = 0;
  let to = ts.length;
  if (fromMs !== undefined) while (from < to && ts[from] < fromMs) from++;
  if (toMs !== undefined) while (to > from && ts[to - 1] >= toMs) to--;
  const span = `${fromMs !== undefined ? isoTime(fromMs) : 'start'} … ${toMs !== undefined ? isoTime(toMs) : 'end'}`;
  if (to - from === 0) throw new UserError(`no candles in ${span} in ${label}`);
  if (to - from < MIN_RANGE_CANDLES) {
    throw new UserError(
      `range ${span} holds ${to - from} candle${to - from === 1 ? '' : 's'} ` +
        `of ${label}; a backtest needs at least ${MIN_RANGE_CANDLES}`,
    );
  }
  return { from, to };
}

/** A --from or --to flag: as typed, and as ms UTC. */
interface RangeFlag {
  text: string;
  ms: number;
}

/**
 * Info lines for a --from before the data's first candle or a --to after the end of its last one (its open time plus
 * the timeframe): rangeIndices clamps the range to the candles there are, which a run used to do without a word.
 */
export function rangeBeyondData(candles: Candles, from?: RangeFlag, to?: RangeFlag): string[] {
  const ts = candles.ts;
  if (ts.length === 0) return [];
  const first = ts[0];
  const last = ts[ts.length - 1];
  const lines: string[] = [];
  if (from && from.ms < first)
    lines.push(`--from ${from.text} is before the data's first candle ${isoTime(first)}: the backtest starts there`);
  if (to && to.ms > last + timeframeMs(candles.timeframe))
    lines.push(`--to ${to.text} is after the data's last candle ${isoTime(last)}: the backtest ends with it`);
  return lines;
}

function slug(s: string): string {
  return s
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
}

/** `<UTC yyyymmdd-hhmmss>-<strategy>-<symbol>`, with a counter when that folder exists already. */
export function newRunId(strategy: string, symbol: string, outDir: string, now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  const base = `${stamp}-${slug(strategy)}-${slug(symbol)}`;
  let id = base;
  for (let k = 2; existsSync(path.join(outDir, id)); k++) id = `${base}-${k}`;
  return id;
}
