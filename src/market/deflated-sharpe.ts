/**
 * The deflated Sharpe ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio", 2014) and what it is made of (pure
 * functions, no I/O): normal CDF and quantile, a return series' moments, the Sharpe ratio the best of N trials reaches
 * by luck, and the probabilistic Sharpe ratio. Sharpe ratios here are per period (per candle), not annualised. Used by
 * a sweep's selection report (src/sweep) and by an agent's validation gate (src/agents/validation-gate.ts).
 */
import { sampleVariance } from '../core/numbers.ts';

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
export interface ReturnMoments {
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
  /** Why `dsr` is NaN, when it is: what the data lacks for the test to mean anything. */
  missing?: string;
}

/**
 * Why a deflated Sharpe ratio cannot be computed, if it cannot. A series without spread has no Sharpe ratio to test
 * (PSR would read its 0 as a coin flip); with more than one trial and their spread unknown (NaN `variance`: fewer
 * than two of their Sharpe ratios known), SR₀ is unknown, not 0 (a DSR against 0 would be the PSR passed off as
 * deflated).
 */
function whyMissing(m: ReturnMoments, trials: number, variance: number): string | undefined {
  if (m.n < 2) return `${m.n} return(s): a Sharpe ratio needs at least 2`;
  if (!(m.sd > 0)) return 'the returns do not vary (no position was held), so there is no Sharpe ratio to test';
  if (trials > 1 && !Number.isFinite(variance))
    return (
      `${trials} trials, but the spread of their Sharpe ratios, and so what the best of them reaches by luck, ` +
      'is unknown'
    );
  return undefined;
}

/**
 * Deflated Sharpe ratio of the selected series among trials whose per-period Sharpe ratios are `trialSharpes`.
 * `trials` (default: as many as there are Sharpe ratios) is N, the number of trials selection chose among; it may
 * exceed the Sharpe ratios known (trials that failed were still tried, and selection would have taken them).
 * NaN, with `missing` saying why, when the data cannot support the test (whyMissing).
 */
export function deflatedSharpe(
  selected: ArrayLike<number>,
  trialSharpes: readonly number[],
  trials = trialSharpes.length,
): DeflatedSharpe {
  const k = Math.max(trials, trialSharpes.length);
  // one trial: nothing selected, no spread needed
  return deflatedSharpeOfMoments(returnMoments(selected), k, k > 1 ? sampleVariance(trialSharpes) : 0);
}

/**
 * The deflated Sharpe ratio of a Sharpe ratio given by its moments (`n` the observations T) with N (`trials`) and V
 * (`variance` of the trials' per-period Sharpe ratios, NaN when unknown), for a caller that estimates V itself and
 * whose tested Sharpe is not one series' (a sweep's nested selections; a model's Sharpe, the mean over its seeds).
 */
export function deflatedSharpeOfMoments(m: ReturnMoments, trials: number, variance: number): DeflatedSharpe {
  const missing = whyMissing(m, trials, variance);
  const expectedMax = Number.isFinite(variance) ? expectedMaxSharpe(trials, variance) : NaN;
  return {
    sharpe: m.sharpe,
    expectedMax,
    trials,
    trialVariance: variance,
    observations: m.n,
    skewness: m.skewness,
    kurtosis: m.kurtosis,
    dsr: missing ? NaN : probabilisticSharpe(m.sharpe, expectedMax, m.n, m.skewness, m.kurtosis),
    ...(missing ? { missing } : {}),
  };
}
