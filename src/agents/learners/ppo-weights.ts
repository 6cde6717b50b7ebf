/**
 * PPO over portfolio weights (issue 14): Schulman et al. 2017's clipped surrogate with GAE, several passes of
 * minibatches per rollout, several environments stepped together with one batched forward pass, on the action
 * distribution of logit-gaussian.ts (a diagonal Gaussian on logits through a softmax with one logit pinned at 0; the
 * seed's one-number split when two markets stay fully invested).
 */
import * as tf from '@tensorflow/tfjs';
import type { Observation } from '../../core/policy.ts';
import { Rng } from '../../core/random.ts';
import { JsAdam } from '../../nn/adam.ts';
import type { AgentNet } from '../../nn/agent-net.ts';
import type { HeadLoss } from '../../nn/head-loss.ts';
import type { PortfolioLearningEnv } from '../learning-env.ts';
import type { PortfolioEpochStats, PortfolioLearner, PortfolioLearnerBuild } from './learner.ts';
import {
  gaussianEntropy,
  gaussianEntropyTf,
  gaussianLogProb,
  gaussianLogProbTf,
  latentSize,
  weightsFromLatent,
} from './logit-gaussian.ts';
import { ON_POLICY_DEFAULTS, type OnPolicyParams } from './onpolicy-params.ts';
import type { PpoWeightsRecipe } from './onpolicy-recipes.ts';
import { gae, normalise } from './returns.ts';

const DEFAULTS: OnPolicyParams = {
  ...ON_POLICY_DEFAULTS,
  advantage: 'gae',
  gaeLambda: 0.95,
  clip: 0.2,
  rolloutSteps: 64,
  epochsPerRollout: 4,
  minibatchSize: 128,
  learningRate: 1e-3,
  entropyCoef: 0.001,
  initialLogStd: -0.5,
};

class PpoWeightsLearner implements PortfolioLearner {
  readonly kind = 'ppo-weights';
  private readonly optimizer: JsAdam;
  private readonly rng: Rng;
  private readonly d: number;
  private readonly logStd: tf.Variable;
  private logStdValue: Float32Array;

  constructor(
    readonly net: AgentNet,
    readonly params: OnPolicyParams,
    seed: number,
    private readonly markets: number,
    cash: boolean,
    logStd?: number[],
  ) {
    this.d = latentSize(markets, cash);
    if (net.heads.policy !== this.d || net.heads.value !== 1)
      throw new Error(`ppo-weights needs a value head of 1 and a linear policy head of ${this.d}`);
    this.optimizer = new JsAdam(params.learningRate);
    net.useTape('the Gaussian-on-logits loss has no hand-derived gradient');
    this.rng = new Rng(seed);
    this.logStdValue = Float32Array.from(logStd ?? new Array<number>(this.d).fill(params.initialLogStd));
    // tidy frees the tensor the variable is made from (the variable keeps its own reference to the data)
    const v = this.logStdValue;
    this.logStd = tf.tidy(() => tf.variable(tf.tensor1d(v), true));
  }

  weights(obs: Observation): number[] {
    const mean = this.net.forwardOne(obs).policy as Float32Array;
    return weightsFromLatent(mean, 0, this.d, this.markets);
  }

  runEpoch(envs: PortfolioLearningEnv[]): PortfolioEpochStats {
    const p = this.params;
    const n = envs.length;
    const xs = this.net.xSize;
    const ss = this.net.stateSize;
    const d = this.d;
    const obs = envs.map((e) => e.reset());
    const live = new Array<boolean>(n).fill(true);
    const finals = envs.map((e) => e.initialValue);
    let steps = 0;
    let rewardSum = 0;
    let lossSum = 0;
    let updates = 0;
    while (live.some(Boolean)) {
      const r = new Rollout(n, p.rolloutSteps, xs, ss, d);
      for (let t = 0; t < p.rolloutSteps && live.some(Boolean); t++) {
        const bx = new Float32Array(n * xs);
        const bs = new Float32Array(n * ss);
        for (let e = 0; e < n; e++) {
          bx.set(this.net.inputOf(obs[e]), e * xs);
          bs.set(obs[e].state, e * ss);
        }
        const out = this.net.forward(bx, bs, n);
        const mean = out.policy as Float32Array;
        for (let e = 0; e < n; e++) {
          if (!live[e]) continue;
          const slot = e * p.rolloutSteps + t;
          r.x.set(bx.subarray(e * xs, (e + 1) * xs), slot * xs);
          r.state.set(bs.subarray(e * ss, (e + 1) * ss), slot * ss);
          for (let k = 0; k < d; k++)
            r.u[slot * d + k] = mean[e * d + k] + Math.exp(this.logStdValue[k]) * this.rng.normal();
          r.logp[slot] = gaussianLogProb(r.u, slot * d, mean, e * d, this.logStdValue);
          r.value[slot] = (out.value as Float32Array)[e];
          const step = envs[e].step(weightsFromLatent(r.u, slot * d, d, this.markets));
          r.reward[slot] = step.reward * p.rewardScale;
          r.done[slot] = step.done ? 1 : 0;
          r.length[e] = t + 1;
          rewardSum += step.reward;
          steps++;
          finals[e] = step.value;
          obs[e] = step.observation;
          if (step.done) live[e] = false;
        }
      }
      const lastValue = new Float32Array(n);
      for (let e = 0; e < n; e++) if (live[e]) lastValue[e] = (this.net.forwardOne(obs[e]).value as Float32Array)[0];
      lossSum += this.update(r, lastValue);
      updates++;
    }
    let meanFinal = 0;
    for (let e = 0; e < n; e++) meanFinal += finals[e] / envs[e].initialValue / n;
    return {
      steps,
      meanReward: rewardSum / Math.max(1, steps),
      loss: lossSum / Math.max(1, updates),
      entropy: gaussianEntropy(this.logStdValue),
      meanFinalValue: meanFinal,
    };
  }

  /** GAE per env segment, normalised advantages, then `epochsPerRollout` passes of shuffled minibatches. */
  private update(r: Rollout, lastValue: Float32Array): number {
    const p = this.params;
    const { xs, ss, d } = r;
    let total = 0;
    for (let e = 0; e < r.envs; e++) total += r.length[e];
    const x = new Float32Array(total * xs);
    const st = new Float32Array(total * ss);
    const u = new Float32Array(total * d);
    const oldLogp = new Float32Array(total);
    const adv = new Float32Array(total);
    const ret = new Float32Array(total);
    let k = 0;
    for (let e = 0; e < r.envs; e++) {
      const len = r.length[e];
      if (!len) continue;
      const from = e * r.steps;
      const val = r.value.subarray(from, from + len);
      const a = adv.subarray(k, k + len);
      gae(
        r.reward.subarray(from, from + len),
        val,
        r.done.subarray(from, from + len),
        p.gamma,
        p.gaeLambda,
        lastValue[e],
        a,
      );
      for (let i = 0; i < len; i++) ret[k + i] = a[i] + val[i];
      x.set(r.x.subarray(from * xs, (from + len) * xs), k * xs);
      st.set(r.state.subarray(from * ss, (from + len) * ss), k * ss);
      u.set(r.u.subarray(from * d, (from + len) * d), k * d);
      oldLogp.set(r.logp.subarray(from, from + len), k);
      k += len;
    }
    if (p.normaliseAdvantages && total > 1) normalise(adv);
    const order = Int32Array.from({ length: total }, (_, i) => i);
    const mb = Math.min(p.minibatchSize, total);
    const mbX = new Float32Array(mb * xs);
    const mbS = new Float32Array(mb * ss);
    const mbU = new Float32Array(mb * d);
    const mbOld = new Float32Array(mb);
    const mbAdv = new Float32Array(mb);
    const mbRet = new Float32Array(mb);
    let lossSum = 0;
    let lossN = 0;
    for (let pass = 0; pass < p.epochsPerRollout; pass++) {
      this.rng.shuffle(order);
      for (let start = 0; start < total; start += mb) {
        const size = Math.min(mb, total - start);
        for (let i = 0; i < size; i++) {
          const row = order[start + i];
          mbX.set(x.subarray(row * xs, (row + 1) * xs), i * xs);
          mbS.set(st.subarray(row * ss, (row + 1) * ss), i * ss);
          mbU.set(u.subarray(row * d, (row + 1) * d), i * d);
          mbOld[i] = oldLogp[row];
          mbAdv[i] = adv[row];
          mbRet[i] = ret[row];
        }
        const loss = this.loss(mbU, mbOld, mbAdv, mbRet, size);
        lossSum += this.net.train(mbX, mbS, size, loss, this.optimizer, {
          clipNorm: p.clipNorm,
          extraVars: [this.logStd],
        });
        lossN++;
      }
    }
    this.logStdValue = this.logStd.dataSync().slice() as Float32Array;
    return lossSum / Math.max(1, lossN);
  }

  /** Clipped surrogate on the Gaussian's log-density, minus the entropy bonus, plus the value loss. */
  private loss(u: Float32Array, old: Float32Array, adv: Float32Array, ret: Float32Array, size: number): HeadLoss {
    const p = this.params;
    const d = this.d;
    return {
      tf: (out) => {
        const uT = tf.tensor2d(u.subarray(0, size * d), [size, d]);
        const oldT = tf.tensor1d(old.subarray(0, size));
        const advT = tf.tensor1d(adv.subarray(0, size));
        const retT = tf.tensor1d(ret.subarray(0, size));
        const logp = gaussianLogProbTf(uT, out.policy as tf.Tensor2D, this.logStd as tf.Tensor1D);
        const ratio = tf.exp(tf.sub(logp, oldT));
        const surr = tf.minimum(tf.mul(ratio, advT), tf.mul(tf.clipByValue(ratio, 1 - p.clip, 1 + p.clip), advT));
        const policy = tf.neg(tf.mean(surr));
        const entropy = gaussianEntropyTf(this.logStd as tf.Tensor1D);
        const value = tf.mean(tf.square(tf.sub(retT, tf.reshape(out.value as tf.Tensor2D, [-1]))));
        return tf.add(tf.sub(policy, tf.mul(p.entropyCoef, entropy)), tf.mul(p.valueCoef, value)) as tf.Scalar;
      },
    };
  }

  extraState(): Record<string, number[]> {
    return { logStd: [...this.logStdValue] };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.logStd.dispose();
  }
}

/** Rollout storage, env-major (row = env·T + t). */
class Rollout {
  readonly x: Float32Array;
  readonly state: Float32Array;
  readonly u: Float32Array;
  readonly logp: Float32Array;
  readonly value: Float32Array;
  readonly reward: Float32Array;
  readonly done: Float32Array;
  readonly length: Int32Array;

  constructor(
    readonly envs: number,
    readonly steps: number,
    readonly xs: number,
    readonly ss: number,
    readonly d: number,
  ) {
    const n = envs * steps;
    this.x = new Float32Array(n * xs);
    this.state = new Float32Array(n * ss);
    this.u = new Float32Array(n * d);
    this.logp = new Float32Array(n);
    this.value = new Float32Array(n);
    this.reward = new Float32Array(n);
    this.done = new Float32Array(n);
    this.length = new Int32Array(envs);
  }
}

/** How ppo-weights is built: a value head of 1, a linear policy head of D = markets + cash − 1. */
export const ppoWeightsBuild: PortfolioLearnerBuild<PpoWeightsRecipe> = {
  heads: (markets, cash) => ({ value: 1, policy: latentSize(markets, cash) }),
  create: ({ kind: _k, envs: _e, ...params }, { net, seed, markets, cash, extra }) =>
    new PpoWeightsLearner(net, { ...DEFAULTS, ...params }, seed, markets, cash, extra?.logStd),
};
