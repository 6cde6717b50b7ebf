/**
 * Overfitting statistics for a sweep (pure functions, no I/O): the probability of backtest overfitting by
 * combinatorially symmetric cross-validation (Bailey, Borwein, López de Prado & Zhu, "The Probability of Backtest
 * Overfitting", 2015). The deflated Sharpe ratio of the selected configuration lives in src/market/deflated-sharpe.ts.
 * Sharpe ratios here are per period (per candle), not annualised.
 */
import { returnMoments } from '../market/deflated-sharpe.ts';

/** Performance of one column over some rows (CSCV's evaluation metric); default the per-period Sharpe ratio. */
type PerformanceMeasure = (returns: readonly number[]) => number;

const sharpeMeasure: PerformanceMeasure = (r) => returnMoments(r).sharpe;

export interface PboResult {
  /** Share of the splits in which the in-sample best configuration ranks at or below the median out of sample. */
  pbo: number;
  /** λ = ln(ω / (1 − ω)) per split, ω = out-of-sample rank of the in-sample best / (N + 1). */
  logits: number[];
  splits: number;
  blocks: number;
  configurations: number;
  /** Rows used (a multiple of `blocks`; the oldest remainder rows are dropped). */
  rows: number;
}

function* halves(n: number, k: number, start = 0, acc: number[] = []): Generator<number[]> {
  if (acc.length === k) {
    yield acc.slice();
    return;
  }
  for (let i = start; i <= n - (k - acc.length); i++) {
    acc.push(i);
    yield* halves(n, k, i + 1, acc);
    acc.pop();
  }
}

/** Ranks 1..N ascending (1 = worst), ties sharing their average rank. */
function rankOf(values: readonly number[], index: number): number {
  let below = 0;
  let equal = 0;
  for (const v of values) {
    if (v < values[index]) below++;
    else if (v === values[index]) equal++;
  }
  return below + (equal + 1) / 2;
}

/**
 * Probability of backtest overfitting by CSCV. `matrix[t][n]` is configuration n's return in period t (rows in time
 * order). The rows are cut into `blocks` (even) contiguous blocks; for every choice of half the blocks as in-sample
 * (the rest out-of-sample) the configuration with the best in-sample `measure` is found and its out-of-sample rank
 * ω among all N taken; PBO is the share of splits with λ = ln(ω / (1 − ω)) ≤ 0 (best in sample, median or worse
 * out of sample).
 */
export function probabilityOfOverfitting(
  matrix: readonly (readonly number[])[],
  blocks: number,
  measure: PerformanceMeasure = sharpeMeasure,
): PboResult {
  const configurations = matrix[0]?.length ?? 0;
  return cscv(matrix.length, configurations, blocks, (n, rows) => measure(rows.map((t) => matrix[t][n])));
}

/**
 * PBO by CSCV where each configuration is several models (a sweep's seeds, each a model one would deploy):
 * `models[n]` holds configuration n's models' returns, every series as long, in time order; a configuration's
 * performance over some rows is the mean of its models' `measure` there, not the measure of their averaged returns
 * (an equal-weight mix of the models, which nobody trades and whose spread averaging lowers).
 */
export function modelsProbabilityOfOverfitting(
  models: readonly (readonly (readonly number[])[])[],
  blocks: number,
  measure: PerformanceMeasure = sharpeMeasure,
): PboResult {
  const length = models[0]?.[0]?.length ?? 0;
  return cscv(length, models.length, blocks, (n, rows) => {
    const each = models[n].map((series) => measure(rows.map((t) => series[t])));
    return each.reduce((a, b) => a + b, 0) / each.length;
  });
}

/** CSCV over `length` rows of `configurations` columns; `value(n, rows)` is column n's performance over those rows. */
function cscv(
  length: number,
  configurations: number,
  blocks: number,
  value: (n: number, rows: readonly number[]) => number,
): PboResult {
  if (!(Number.isInteger(blocks) && blocks >= 2 && blocks % 2 === 0))
    throw new Error(`CSCV needs an even number of blocks ≥ 2, got ${blocks}`);
  const size = Math.floor(length / blocks);
  if (configurations < 2 || size < 1) throw new Error(`CSCV needs ≥ 2 configurations and ≥ ${blocks} rows`);
  const first = length - size * blocks;
  const rowsOf = (chosen: readonly number[]): number[] => {
    const out: number[] = [];
    for (const b of chosen) for (let t = first + b * size; t < first + (b + 1) * size; t++) out.push(t);
    return out;
  };
  const logits: number[] = [];
  for (const inSample of halves(blocks, blocks / 2)) {
    const outSample = Array.from({ length: blocks }, (_, b) => b).filter((b) => !inSample.includes(b));
    const inRows = rowsOf(inSample);
    const outRows = rowsOf(outSample);
    let best = 0;
    let bestValue = -Infinity;
    for (let n = 0; n < configurations; n++) {
      const v = value(n, inRows);
      if (v > bestValue) {
        bestValue = v;
        best = n;
      }
    }
    const oos = Array.from({ length: configurations }, (_, n) => value(n, outRows));
    const omega = rankOf(oos, best) / (configurations + 1);
    logits.push(Math.log(omega / (1 - omega)));
  }
  const overfit = logits.filter((l) => l <= 0).length;
  return { pbo: overfit / logits.length, logits, splits: logits.length, blocks, configurations, rows: size * blocks };
}

/** The largest even block count ≤ `max` that leaves at least `minRows` rows per block (0 when even 2 do not fit). */
export function cscvBlocks(rows: number, max = 16, minRows = 10): number {
  for (let s = max - (max % 2); s >= 2; s -= 2) if (rows / s >= minRows) return s;
  return 0;
}
