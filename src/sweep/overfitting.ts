/**
 * Overfitting statistics for a sweep (pure functions, no I/O): the deflated Sharpe ratio of the selected
 * configuration (Bailey & López de Prado, "The Deflated Sharpe Ratio", 2014) and the probability of backtest
 * overfitting by combinatorially symmetric cross-validation (Bailey, Borwein, López de Prado & Zhu, "The Probability
 * of Backtest Overfitting", 2015). Sharpe ratios here are per period (per candle), not annualised.
 */

/** Euler–Mascheroni constant, in the expected maximum of N standard normals (DSR paper, eq. for SR₀). */
const EULER_GAMMA = 0.5772156649015329;

/** Standard normal CDF Φ(x), via erfc (Numerical Recipes' Chebyshev fit, |relative error| < 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Inverse standard normal CDF Φ⁻¹(p) (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** Moments of a return series: mean, sample sd, Sharpe (mean / sd), skewness and (non-excess) kurtosis. */
interface ReturnMoments {
  n: number;
  mean: number;
  sd: number;
  sharpe: number;
  /** Third standardised moment (0 for a normal). */
  skewness: number;
  /** Fourth standardised moment (3 for a normal; not the excess). */
  kurtosis: number;
}

export function returnMoments(returns: ArrayLike<number>): ReturnMoments {
  const n = returns.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += returns[i] / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = returns[i] - mean;
    m2 += (d * d) / n;
    m3 += (d * d * d) / n;
    m4 += (d * d * d * d) / n;
  }
  const sd = n > 1 ? Math.sqrt((m2 * n) / (n - 1)) : 0;
  return {
    n,
    mean,
    sd,
    sharpe: sd > 0 ? mean / sd : 0,
    skewness: m2 > 0 ? m3 / m2 ** 1.5 : 0,
    kurtosis: m2 > 0 ? m4 / (m2 * m2) : 3,
  };
}

/**
 * SR₀, the Sharpe ratio the best of `trials` independent trials reaches by luck alone when their Sharpe ratios
 * vary with `variance` around 0: √V · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))). One trial: 0 (nothing selected).
 */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (trials <= 1 || !(variance > 0)) return 0;
  return (
    Math.sqrt(variance) *
    ((1 - EULER_GAMMA) * normalQuantile(1 - 1 / trials) + EULER_GAMMA * normalQuantile(1 - 1 / (trials * Math.E)))
  );
}

/**
 * Probabilistic Sharpe ratio: the probability that the true Sharpe exceeds `benchmark`, given the estimate `sharpe`
 * from `observations` returns with this skewness and kurtosis:
 * Φ((SR − SR*) √(T − 1) / √(1 − γ₃ SR + (γ₄ − 1)/4 SR²)).
 */
export function probabilisticSharpe(
  sharpe: number,
  benchmark: number,
  observations: number,
  skewness: number,
  kurtosis: number,
): number {
  const denom = 1 - skewness * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe;
  if (observations < 2 || !(denom > 0)) return NaN;
  return normalCdf(((sharpe - benchmark) * Math.sqrt(observations - 1)) / Math.sqrt(denom));
}

export interface DeflatedSharpe {
  /** The selected configuration's per-period Sharpe. */
  sharpe: number;
  /** SR₀: what the best of the trials would reach by luck. */
  expectedMax: number;
  trials: number;
  /** Variance of the trials' per-period Sharpe ratios. */
  trialVariance: number;
  observations: number;
  skewness: number;
  kurtosis: number;
  /** DSR = PSR(SR₀): probability that the winner's true Sharpe is above what selection alone explains. */
  dsr: number;
}

/** Deflated Sharpe ratio of the selected series among trials whose per-period Sharpe ratios are `trialSharpes`. */
export function deflatedSharpe(selected: ArrayLike<number>, trialSharpes: readonly number[]): DeflatedSharpe {
  const m = returnMoments(selected);
  const k = trialSharpes.length;
  const mean = trialSharpes.reduce((a, b) => a + b, 0) / Math.max(1, k);
  const variance = k > 1 ? trialSharpes.reduce((a, b) => a + (b - mean) ** 2, 0) / (k - 1) : 0;
  const expectedMax = expectedMaxSharpe(k, variance);
  return {
    sharpe: m.sharpe,
    expectedMax,
    trials: k,
    trialVariance: variance,
    observations: m.n,
    skewness: m.skewness,
    kurtosis: m.kurtosis,
    dsr: probabilisticSharpe(m.sharpe, expectedMax, m.n, m.skewness, m.kurtosis),
  };
}

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
  if (!(Number.isInteger(blocks) && blocks >= 2 && blocks % 2 === 0))
    throw new Error(`CSCV needs an even number of blocks ≥ 2, got ${blocks}`);
  const configurations = matrix[0]?.length ?? 0;
  const size = Math.floor(matrix.length / blocks);
  if (configurations < 2 || size < 1) throw new Error(`CSCV needs ≥ 2 configurations and ≥ ${blocks} rows`);
  const first = matrix.length - size * blocks;
  const column = (n: number, chosen: readonly number[]): number[] => {
    const out: number[] = [];
    for (const b of chosen) for (let t = first + b * size; t < first + (b + 1) * size; t++) out.push(matrix[t][n]);
    return out;
  };
  const logits: number[] = [];
  for (const inSample of halves(blocks, blocks / 2)) {
    const outSample = Array.from({ length: blocks }, (_, b) => b).filter((b) => !inSample.includes(b));
    let best = 0;
    let bestValue = -Infinity;
    for (let n = 0; n < configurations; n++) {
      const v = measure(column(n, inSample));
      if (v > bestValue) {
        bestValue = v;
        best = n;
      }
    }
    const oos = Array.from({ length: configurations }, (_, n) => measure(column(n, outSample)));
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
