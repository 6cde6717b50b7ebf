/**
 * The portfolio policy's action distribution (issue 14): a diagonal Gaussian on logits, mapped to weights through a
 * softmax with one logit pinned at 0.
 *
 * K categories: the N markets, plus cash (last) unless the account stays fully invested. The action is a latent
 * u ∈ R^D, D = K − 1, drawn u ~ N(μ(s), diag(σ²)) with μ(s) the network's linear policy head and σ = exp(logStd) a
 * learned, state-independent vector. Weights = softmax([u_1, …, u_D, 0]): identifiable (no shift freedom) and always on
 * the simplex, so every sample is a valid spot allocation. PPO's ratio is taken on u's density, a proper policy
 * over u; the environment is a deterministic function of u. With two markets fully invested (D = 1) the first weight
 * is sigmoid(u): the PPO ETF-pair seed's one number (the leveraged share, the rest inverse).
 *
 *   log π(u|s) = Σ_d [ −½ ((u_d − μ_d) / σ_d)² − log σ_d − ½ log 2π ]
 *   H(π(·|s))  = Σ_d [ log σ_d + ½ + ½ log 2π ]
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.ts';
import { LOG_SQRT_2PI } from './onpolicy-loss.ts';

/** D: the number of free logits for `markets` markets with or without a cash category. */
export function latentSize(markets: number, cash: boolean): number {
  const d = markets + (cash ? 1 : 0) - 1;
  if (d < 1) throw new UserError(`a portfolio policy needs at least 2 categories (markets + cash), got ${d + 1}`);
  return d;
}

/** The N market weights of latent `u` (rows of `u` from `offset`, D values): softmax([u, 0]) without the cash part. */
export function weightsFromLatent(u: ArrayLike<number>, offset: number, d: number, markets: number): number[] {
  let max = 0; // the pinned logit
  for (let k = 0; k < d; k++) max = Math.max(max, u[offset + k]);
  let sum = Math.exp(-max);
  const e = new Array<number>(d);
  for (let k = 0; k < d; k++) sum += e[k] = Math.exp(u[offset + k] - max);
  const w = new Array<number>(markets);
  // the K-th category (pinned logit) is cash with cash, else the last market
  for (let m = 0; m < markets; m++) w[m] = (m < d ? e[m] : Math.exp(-max)) / sum;
  return w;
}

/** log π(u) of a diagonal Gaussian in float64 over D = logStd.length values (u from `uAt`, the mean from `meanAt`). */
export function gaussianLogProb(
  u: ArrayLike<number>,
  uAt: number,
  mean: ArrayLike<number>,
  meanAt: number,
  logStd: ArrayLike<number>,
): number {
  let lp = 0;
  for (let k = 0; k < logStd.length; k++) {
    const z = (u[uAt + k] - mean[meanAt + k]) / Math.exp(logStd[k]);
    lp += -0.5 * z * z - logStd[k] - LOG_SQRT_2PI;
  }
  return lp;
}

/** H(π) of a diagonal Gaussian: Σ log σ + D (½ + ½ log 2π). */
export function gaussianEntropy(logStd: ArrayLike<number>): number {
  let h = 0;
  for (let k = 0; k < logStd.length; k++) h += logStd[k] + 0.5 + LOG_SQRT_2PI;
  return h;
}

/** log π(u) per row as tfjs ops: u and mean [batch, D], logStd [D] → [batch]. */
export function gaussianLogProbTf(u: tf.Tensor2D, mean: tf.Tensor2D, logStd: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const z = tf.div(tf.sub(u, mean), tf.exp(logStd));
    const perDim = tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), logStd), LOG_SQRT_2PI);
    return tf.sum(perDim, 1) as tf.Tensor1D;
  });
}

/** H(π) as a tfjs scalar (the same for every state: σ does not depend on it). */
export function gaussianEntropyTf(logStd: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.add(tf.sum(logStd), logStd.shape[0] * (0.5 + LOG_SQRT_2PI)) as tf.Scalar);
}
