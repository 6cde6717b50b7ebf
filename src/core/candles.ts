/** Closed OHLCV candles of one series, column-wise in typed arrays. `ts` is the candle's open time, ms UTC. */
export interface Candles {
  exchange: string;
  symbol: string;
  timeframe: string;
  ts: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

export interface CandleRow {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export function emptyCandles(exchange: string, symbol: string, timeframe: string, length = 0): Candles {
  return {
    exchange,
    symbol,
    timeframe,
    ts: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
  };
}

export function candlesFromRows(
  exchange: string,
  symbol: string,
  timeframe: string,
  rows: readonly CandleRow[],
): Candles {
  const c = emptyCandles(exchange, symbol, timeframe, rows.length);
  rows.forEach((r, i) => {
    c.ts[i] = r.ts;
    c.open[i] = r.open;
    c.high[i] = r.high;
    c.low[i] = r.low;
    c.close[i] = r.close;
    c.volume[i] = r.volume;
  });
  return c;
}

/** The candles as rows (the inverse of candlesFromRows). */
export function candleRows(c: Candles): CandleRow[] {
  return Array.from(c.ts, (ts, i) => ({
    ts,
    open: c.open[i],
    high: c.high[i],
    low: c.low[i],
    close: c.close[i],
    volume: c.volume[i],
  }));
}

/** Candles [from, to) by index, sharing memory with the source. */
export function sliceCandles(c: Candles, from: number, to: number): Candles {
  return {
    exchange: c.exchange,
    symbol: c.symbol,
    timeframe: c.timeframe,
    ts: c.ts.subarray(from, to),
    open: c.open.subarray(from, to),
    high: c.high.subarray(from, to),
    low: c.low.subarray(from, to),
    close: c.close.subarray(from, to),
    volume: c.volume.subarray(from, to),
  };
}

/**
 * How many of the ascending times `ts` are below `time` (`orEqual`: at or below it), by binary search: the one search
 * the two below share.
 */
function countBelow(ts: Float64Array, time: number, orEqual: boolean): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < time || (orEqual && ts[mid] === time)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first open time ≥ `time` in ascending open times (their length when none is). */
export function firstAtOrAfter(ts: Float64Array, time: number): number {
  return countBelow(ts, time, false);
}

/** Index of the last open time ≤ `time` in ascending open times (−1 when none is). */
export function lastAtOrBefore(ts: Float64Array, time: number): number {
  return countBelow(ts, time, true) - 1;
}
