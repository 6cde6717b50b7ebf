/** FeatureMatrix, the dense row-per-candle feature table, and the FeatureSet contract. */
import type { Candles } from '../core/candles.ts';

/** A dense, row-major feature table: row t holds the features of candle t. */
export interface FeatureMatrix {
  /** The feature-set spec that produced it, e.g. `rltrader-v1+ta`. */
  spec: string;
  /** Version of the spec, e.g. `rltrader-v1@1+ta@1`; saved models record it. */
  version: string;
  names: string[];
  rows: number;
  cols: number;
  /** rows × cols, finite everywhere; warm-up rows (before `firstValidRow`) are 0. */
  data: Float32Array;
  /** First row whose every column has its full look-back window. */
  firstValidRow: number;
}

/** One named feature set: writes its columns for every candle into a Float64 scratch, column by column. */
export interface FeatureSet {
  name: string;
  version: number;
  description: string;
  columns: readonly string[];
  /** Rows before this index lack a full look-back for at least one column. */
  warmup: number;
  /**
   * Candles after the warm-up until every column forgets where the data started: 0 for fixed windows; recursive
   * smoothing (EMA, Wilder) keeps a trace of its seed that fades geometrically. A paper run loads this much history,
   * so its rows equal those of a backtest over a longer file (src/agents/setup.ts recipeHistory).
   */
  settle: number;
  /**
   * Candles back a row still draws on by more than a trace: the warm-up for fixed windows (absent: the warm-up); for
   * recursive smoothing (EMA, Wilder), until all the candles before weigh under 1% in every column. Selection embargoes
   * at least this after a validation window (src/agents/setup.ts recipeReach), so a training row does not carry a
   * window's candles in its smoothed columns.
   */
  reach?: number;
  /**
   * Fills `out[c]` (one Float64Array of length n per column) with values for every candle. Values at warm-up rows
   * and undefined values (division by zero) may be anything; the caller zeroes them.
   */
  compute(candles: Candles, out: Float64Array[]): void;
}

/** The value of row `row`, column `name`. */
export function featureValue(m: FeatureMatrix, row: number, name: string): number {
  const c = m.names.indexOf(name);
  if (c < 0) throw new Error(`no feature column "${name}" in ${m.spec}`);
  return m.data[row * m.cols + c];
}
