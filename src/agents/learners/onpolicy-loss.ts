/** The on-policy losses: tfjs ops (policy surrogate, value loss) and the hand-derived gradient the block trainer uses. */
import type { LossGradient } from '../../nn/block-trainer.ts';
import * as tf from '@tensorflow/tfjs';
import type { OnPolicyParams } from './onpolicy-params.ts';

/** The policy term: PPO's clipped surrogate (clip > 0) or the plain policy gradient, negated and averaged. */
export function surrogate(logp: tf.Tensor1D, oldT: tf.Tensor1D, advT: tf.Tensor1D, p: OnPolicyParams): tf.Scalar {
  if (p.clip > 0) {
    const ratio = tf.exp(tf.sub(logp, oldT));
    const surr = tf.minimum(tf.mul(ratio, advT), tf.mul(tf.clipByValue(ratio, 1 - p.clip, 1 + p.clip), advT));
    return tf.neg(tf.mean(surr)) as tf.Scalar;
  }
  return tf.neg(tf.mean(tf.mul(logp, advT))) as tf.Scalar;
}

export function valueLoss(value: tf.Tensor2D, retT: tf.Tensor1D, p: OnPolicyParams): tf.Scalar {
  return tf.mul(p.valueCoef, tf.mean(tf.square(tf.sub(retT, tf.reshape(value, [-1]))))) as tf.Scalar;
}

/**
 * The discrete on-policy loss (PG, A2C, PPO) from the policy's log-probabilities `lp` (log(p + 1e-8) of the softmax
 * head): the policy term, minus the entropy bonus, plus the value term.
 */
export function discreteLoss(
  lp: tf.Tensor2D,
  value: tf.Tensor2D | undefined,
  actOneHot: tf.Tensor,
  oldT: tf.Tensor1D,
  advT: tf.Tensor1D,
  retT: tf.Tensor1D,
  p: OnPolicyParams,
): tf.Scalar {
  const logp = tf.sum(tf.mul(lp, actOneHot), 1) as tf.Tensor1D;
  const entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(lp), lp), 1))) as tf.Scalar;
  let total = tf.sub(surrogate(logp, oldT, advT, p), tf.mul(p.entropyCoef, entropy));
  if (value) total = tf.add(total, valueLoss(value, retT, p));
  return total as tf.Scalar;
}

/**
 * `discreteLoss` and its gradient with respect to the softmax probabilities and the value, for the JS trainer (which
 * applies the softmax Jacobian itself). Where tfjs's minimum and clipByValue pick a branch, this picks the same:
 * the unclipped term when it is ≤ the clipped one, the clipped ratio's gradient only inside [1 − ε, 1 + ε].
 */
export function discreteLossGradient(
  act: Int32Array,
  oldLogp: Float32Array,
  adv: Float32Array,
  ret: Float32Array,
  p: OnPolicyParams,
): LossGradient {
  return (out, grad, n) => {
    const probs = out.policy!,
      gp = grad.policy!;
    const eps = 1e-8;
    let policy = 0,
      entropy = 0,
      value = 0;
    for (let i = 0; i < n; i++) {
      const o = i * 3;
      let rowEntropy = 0;
      for (let j = 0; j < 3; j++) {
        const q = Math.fround(probs[o + j] + eps);
        const lp = Math.log(q);
        rowEntropy -= q * lp;
        // −c_e · d(mean entropy)/dp: d(−q·lp)/dlp = −q·(lp + 1), dlp/dp = 1/q
        gp[o + j] = (p.entropyCoef * (lp + 1)) / n;
      }
      entropy += rowEntropy;
      const a = act[i];
      const qa = Math.fround(probs[o + a] + eps);
      const logp = Math.log(qa);
      let dLogp: number;
      if (p.clip > 0) {
        const ratio = Math.exp(logp - oldLogp[i]);
        const clipped = Math.min(Math.max(ratio, 1 - p.clip), 1 + p.clip);
        const unclippedTerm = ratio * adv[i],
          clippedTerm = clipped * adv[i];
        policy -= Math.min(unclippedTerm, clippedTerm);
        const inside = ratio >= 1 - p.clip && ratio <= 1 + p.clip;
        const dRatio = unclippedTerm <= clippedTerm ? adv[i] : inside ? adv[i] : 0;
        dLogp = (-dRatio * ratio) / n;
      } else {
        policy -= logp * adv[i];
        dLogp = -adv[i] / n;
      }
      gp[o + a] += dLogp / qa;
    }
    let loss = policy / n - (p.entropyCoef * entropy) / n;
    const v = out.value,
      gv = grad.value;
    if (v && gv) {
      for (let i = 0; i < n; i++) {
        const d = v[i] - ret[i];
        value += d * d;
        gv[i] = (2 * p.valueCoef * d) / n;
      }
      loss += (p.valueCoef * value) / n;
    }
    return loss;
  };
}
