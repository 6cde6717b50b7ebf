/**
 * The on-policy losses given once (onPolicyLoss): tfjs ops (policy surrogate, value loss, the Gaussian policy's terms),
 * the hand-derived gradient the block trainer uses, and the stable-baselines3 diagnostics read from the step's outputs.
 */
import type { AgentNet } from '../../nn/agent-net.ts';
import type { LossGradient } from '../../nn/block-trainer.ts';
import type { HeadLoss } from '../../nn/head-loss.ts';
import type { HeadOutputs } from '../../nn/head-outputs.ts';
import * as tf from '@tensorflow/tfjs';
import type { OnPolicyParams } from './onpolicy-params.ts';

export const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** A minibatch's per-row arrays (rows [0, size) are used). */
export interface OnPolicyMinibatch {
  act: Int32Array;
  /** Continuous policy: the sampled position. */
  pos: Float32Array;
  oldLogp: Float32Array;
  adv: Float32Array;
  ret: Float32Array;
}

/**
 * The on-policy loss of `net` on a minibatch, given once: tfjs ops for any policy head (discrete softmax or logits,
 * continuous Gaussian with the learned `logStd`) and, for a discrete softmax head, the hand-derived gradient.
 * `observed` receives approxKl, clipFraction (clip > 0), entropy from the step's outputs.
 */
export function onPolicyLoss(
  net: AgentNet,
  mb: OnPolicyMinibatch,
  size: number,
  p: OnPolicyParams,
  logStd: tf.Variable | undefined,
  observed?: Record<string, number>,
): HeadLoss {
  const { act, pos, oldLogp, adv, ret } = mb;
  const continuous = net.continuous;
  const handGradient = !continuous && net.policyOutput === 'softmax';
  // the log-std the step starts from (the tape path observes after the optimiser moved it)
  const logStdBefore = observed && logStd ? (logStd.dataSync() as Float32Array)[0] : 0;
  return {
    tf: (out) => {
      const advT = tf.tensor1d(adv.subarray(0, size));
      const retT = tf.tensor1d(ret.subarray(0, size));
      const oldT = tf.tensor1d(oldLogp.subarray(0, size));
      if (!continuous) {
        const actT = tf.oneHot(tf.tensor1d(act.subarray(0, size), 'int32'), 3);
        return discreteLoss(net.logProbs(out.policy as tf.Tensor2D), out.value, actT, oldT, advT, retT, p);
      }
      // a Gaussian around the policy's mean position with the learned log standard deviation
      const ls = logStd as tf.Variable;
      const actT = tf.tensor1d(pos.subarray(0, size));
      const mean = net.positionMean(out.policy as tf.Tensor2D);
      const z = tf.div(tf.sub(actT, mean), tf.exp(ls));
      const logp = tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), ls), LOG_SQRT_2PI) as tf.Tensor1D;
      const entropy = tf.add(ls, 0.5 + LOG_SQRT_2PI) as tf.Scalar;
      let total = tf.sub(surrogate(logp, oldT, advT, p), tf.mul(p.entropyCoef, entropy));
      if (out.value) total = tf.add(total, valueLoss(out.value, retT, p));
      return total as tf.Scalar;
    },
    ...(handGradient ? { grad: discreteLossGradient(act, oldLogp, adv, ret, p) } : {}),
    ...(observed
      ? {
          observe: (out: HeadOutputs, n: number) =>
            Object.assign(observed, policyDiagnostics(net, out.policy!, mb, n, p.clip, logStdBefore)),
        }
      : {}),
  };
}

/**
 * stable-baselines3's PPO diagnostics from the policy outputs of an update's forward pass and the rollout's old
 * log-probabilities: approxKl = mean((r − 1) − log r) with r = π_new(a)/π_old(a) (the low-variance estimator
 * stable-baselines3 uses, after Schulman's note on approximating KL), clipFraction = share of rows with |r − 1| > clip
 * (reported when clip > 0), entropy = mean policy entropy.
 */
export function policyDiagnostics(
  net: Pick<AgentNet, 'continuous' | 'policyOutput' | 'heads'>,
  policy: Float32Array,
  mb: OnPolicyMinibatch,
  n: number,
  clip: number,
  logStd: number,
): Record<string, number> {
  const width = net.heads.policy ?? 3;
  let kl = 0;
  let clipped = 0;
  let entropy = 0;
  for (let i = 0; i < n; i++) {
    let logp: number;
    if (net.continuous) {
      const z = (mb.pos[i] - policy[i * width]) / Math.exp(logStd);
      logp = -0.5 * z * z - logStd - LOG_SQRT_2PI;
      entropy += logStd + 0.5 + LOG_SQRT_2PI;
    } else {
      const o = i * 3;
      let max = -Infinity;
      if (net.policyOutput === 'logits') for (let j = 0; j < 3; j++) max = Math.max(max, policy[o + j]);
      let sum = 0;
      const prob = [0, 0, 0];
      const logits = net.policyOutput === 'logits';
      for (let j = 0; j < 3; j++) sum += prob[j] = logits ? Math.exp(policy[o + j] - max) : policy[o + j];
      let h = 0;
      for (let j = 0; j < 3; j++) {
        const q = prob[j] / sum + 1e-8;
        h -= q * Math.log(q);
      }
      entropy += h;
      logp = Math.log(prob[mb.act[i]] / sum + 1e-8);
    }
    const logRatio = logp - mb.oldLogp[i];
    const ratio = Math.exp(logRatio);
    kl += ratio - 1 - logRatio;
    if (Math.abs(ratio - 1) > clip) clipped++;
  }
  return { approxKl: kl / n, ...(clip > 0 ? { clipFraction: clipped / n } : {}), entropy: entropy / n };
}

/** 1 − Var(returns − values) / Var(returns), as stable-baselines3 reports it (NaN when the returns do not vary). */
export function explainedVariance(values: Float32Array, returns: Float32Array): number {
  const n = returns.length;
  if (n < 2) return NaN;
  let mr = 0;
  let md = 0;
  for (let i = 0; i < n; i++) {
    mr += returns[i];
    md += returns[i] - values[i];
  }
  mr /= n;
  md /= n;
  let vr = 0;
  let vd = 0;
  for (let i = 0; i < n; i++) {
    vr += (returns[i] - mr) ** 2;
    vd += (returns[i] - values[i] - md) ** 2;
  }
  return vr === 0 ? NaN : 1 - vd / vr;
}

/** The policy term: PPO's clipped surrogate (clip > 0) or the plain policy gradient, negated and averaged. */
function surrogate(logp: tf.Tensor1D, oldT: tf.Tensor1D, advT: tf.Tensor1D, p: OnPolicyParams): tf.Scalar {
  if (p.clip > 0) {
    const ratio = tf.exp(tf.sub(logp, oldT));
    const surr = tf.minimum(tf.mul(ratio, advT), tf.mul(tf.clipByValue(ratio, 1 - p.clip, 1 + p.clip), advT));
    return tf.neg(tf.mean(surr)) as tf.Scalar;
  }
  return tf.neg(tf.mean(tf.mul(logp, advT))) as tf.Scalar;
}

function valueLoss(value: tf.Tensor2D, retT: tf.Tensor1D, p: OnPolicyParams): tf.Scalar {
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
