/** RLTrader's learners (value network, or value + policy networks on one trunk) and their fit loss. */
import * as tf from '@tensorflow/tfjs';
import { JsAdam } from '../../nn/adam.ts';
import type { LossGradient } from '../../nn/block-trainer.ts';
import type { HeadLoss, StepStats } from '../../nn/head-loss.ts';
import { Rng } from '../../core/random.ts';
import type { LearningEnv } from '../learning-env.ts';
import type { Decision, Observation } from '../../core/policy.ts';
import { argmax, sigmoid } from '../../nn/head-math.ts';
import { EpochCounter, type EpochStats, type EpochTrace } from './epoch-trace.ts';
import { greedyDecision } from '../greedy-decision.ts';
import type { Learner } from './learner.ts';
import type { RltraderParams } from './rltrader-params.ts';
import type { AgentNet } from '../../nn/agent-net.ts';
import type { HeadTensors } from '../../nn/head-outputs.ts';

/**
 * RLTrader's learners (quantylab/rltrader v3, seed 000): a value network (DQN) or a value + policy network (A2C)
 * fitted once per epoch on the whole epoch's memory, with targets built backwards from the epoch's P/L:
 * r_i = P/L_last − P/L_i, y_value[a_i] = r_i + γ·max V_{i+1}; A2C also y_policy[a_i] = sigmoid(y_value[a_i] − mean
 * y_value).
 * `fitOnDelayedReward` adds v2's mini-batch fits whenever the delayed reward (threshold crossed) is non-zero.
 * Exploration: with probability ε a random action, buy with probability `exploration base` ∈ [0.5, 1) drawn per epoch.
 */
export class RltraderLearner implements Learner {
  readonly kind = 'rltrader' as const;
  private readonly optimizer: JsAdam;
  private readonly stepStats: StepStats = { gradNorm: NaN };
  private readonly rng: Rng;
  private readonly probs = new Float32Array(3);
  private readonly hasPolicy: boolean;
  // epoch memory, grown by doubling
  private cap = 0;
  private len = 0;
  private fitFrom = 0;
  private x = new Float32Array(0);
  private state = new Float32Array(0);
  private action = new Int32Array(0);
  private value = new Float32Array(0);
  private policy = new Float32Array(0);
  private reward = new Float32Array(0);

  constructor(
    readonly net: AgentNet,
    readonly params: RltraderParams,
    seed: number,
  ) {
    if (net.heads.value !== 3) throw new Error('RLTrader learners need a value head of 3');
    this.hasPolicy = net.heads.policy === 3;
    this.optimizer = new JsAdam(params.learningRate);
    this.rng = new Rng(seed);
  }

  private ensure(n: number): void {
    if (n <= this.cap) return;
    const cap = Math.max(n, this.cap * 2, 256);
    const grow = <T extends Float32Array | Int32Array>(a: T, width: number): T => {
      const b = new (a.constructor as new (n: number) => T)(cap * width);
      b.set(a);
      return b;
    };
    this.x = grow(this.x, this.net.xSize);
    this.state = grow(this.state, this.net.stateSize);
    this.action = grow(this.action, 1);
    this.value = grow(this.value, 3);
    this.policy = grow(this.policy, 3);
    this.reward = grow(this.reward, 1);
    this.cap = cap;
  }

  runEpoch(envs: LearningEnv[], epsilon: number, trace: EpochTrace): EpochStats {
    const env = envs[0];
    const counter = new EpochCounter();
    const xs = this.net.xSize;
    const ss = this.net.stateSize;
    const explorationBase = 0.5 + this.rng.next() / 2;
    // the weights only change in the fit at the end of the epoch: the feature trunk can run in batches
    this.net.setTrunkCache(true);
    this.len = 0;
    this.fitFrom = 0;
    let obs = env.reset();
    let value: number;
    let lastPl: number;
    for (;;) {
      const outs = this.net.forwardOne(obs);
      const q = outs.value as Float32Array;
      const pred = this.hasPolicy ? (outs.policy as Float32Array) : q;
      const explored = this.rng.next() < epsilon;
      const action = explored ? (this.rng.next() < explorationBase ? 0 : 1 + this.rng.int(2)) : argmax(pred, 0, 3);
      const confidence = this.hasPolicy ? pred[action] : sigmoid(pred[action]);
      const i = this.len++;
      this.ensure(this.len);
      this.x.set(this.net.inputOf(obs), i * xs);
      this.state.set(obs.state, i * ss);
      this.action[i] = action;
      this.value.set(q.subarray(0, 3), i * 3);
      if (this.hasPolicy) this.policy.set(pred.subarray(0, 3), i * 3);
      const t = obs.t;
      const step = env.step(action, confidence);
      this.reward[i] = step.immediateReward;
      lastPl = step.immediateReward;
      counter.count(action, explored);
      trace.push(t, action, explored, step.units, step.portfolioValue, outs);
      value = step.portfolioValue;
      if (this.params.fitOnDelayedReward && step.delayedReward !== 0 && !step.done) {
        counter.addLoss(this.fit(this.fitFrom, this.len, step.delayedReward, counter));
        this.fitFrom = this.len;
        trace.learnedAt.push(t);
      }
      if (step.done) break;
      obs = step.observation;
    }
    counter.addLoss(this.fit(0, this.len, lastPl, counter));
    trace.learnedAt.push(obs.t);
    return counter.stats(value);
  }

  /** One gradient step on rows [from, to) with targets built backwards from `finalReward`. */
  private fit(from: number, to: number, finalReward: number, counter: EpochCounter): number {
    const n = to - from;
    if (n <= 0) return NaN;
    const { gamma } = this.params;
    const yValue = new Float32Array(n * 3);
    const yPolicy = this.hasPolicy ? new Float32Array(n * 3) : undefined;
    let valueMaxNext = 0;
    for (let k = n - 1; k >= 0; k--) {
      const i = from + k;
      const a = this.action[i];
      const r = finalReward - this.reward[i];
      for (let j = 0; j < 3; j++) yValue[k * 3 + j] = this.value[i * 3 + j];
      yValue[k * 3 + a] = r + gamma * valueMaxNext;
      if (yPolicy) {
        for (let j = 0; j < 3; j++) yPolicy[k * 3 + j] = this.policy[i * 3 + j];
        const mean = (yValue[k * 3] + yValue[k * 3 + 1] + yValue[k * 3 + 2]) / 3;
        yPolicy[k * 3 + a] = sigmoid(yValue[k * 3 + a] - mean);
      }
      valueMaxNext = Math.max(this.value[i * 3], this.value[i * 3 + 1], this.value[i * 3 + 2]);
    }
    const x = this.x.subarray(from * this.net.xSize);
    const state = this.state.subarray(from * this.net.stateSize);
    const headLoss = rltraderHeadLoss(yValue, yPolicy, n);
    const loss = this.net.train(x, state, n, headLoss, this.optimizer, { stats: this.stepStats });
    counter.addDiagnostics({ gradNorm: this.stepStats.gradNorm });
    return loss;
  }

  decide(obs: Observation): Decision {
    return greedyDecision(this.net, this.net.forwardOne(obs), obs.state[0] ?? 0, this.probs);
  }

  extraState(): Record<string, number> {
    return {};
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Keeps the policy's logit finite at probabilities 0 and 1. */
const POLICY_EPS = 1e-7;

/**
 * RLTrader's fit loss: MSE on the value head, plus (A2C) binary cross-entropy of the policy outputs against yPolicy.
 */
export function rltraderLoss(out: HeadTensors, yValue: tf.Tensor2D, yPolicy: tf.Tensor2D | undefined): tf.Scalar {
  let l = tf.losses.meanSquaredError(yValue, out.value as tf.Tensor2D) as tf.Scalar;
  if (yPolicy && out.policy) {
    // the policy head outputs probabilities; the loss wants their logits
    const logits = tf.log(tf.div(tf.add(out.policy, POLICY_EPS), tf.sub(1 + POLICY_EPS, out.policy)));
    l = tf.add(l, tf.losses.sigmoidCrossEntropy(yPolicy, logits)) as tf.Scalar;
  }
  return l;
}

/** RLTrader's fit loss given once: the tfjs ops and the hand-derived gradient the block trainer uses. */
export function rltraderHeadLoss(yValue: Float32Array, yPolicy: Float32Array | undefined, n: number): HeadLoss {
  return {
    tf: (out) => rltraderLoss(out, tf.tensor2d(yValue, [n, 3]), yPolicy ? tf.tensor2d(yPolicy, [n, 3]) : undefined),
    grad: rltraderLossGradient(yValue, yPolicy),
  };
}

/** `rltraderLoss` and its gradient with respect to the head outputs, for the JS trainer. */
export function rltraderLossGradient(yValue: Float32Array, yPolicy: Float32Array | undefined): LossGradient {
  return (out, grad) => {
    const v = out.value!,
      gv = grad.value!;
    let sum = 0;
    for (let i = 0; i < v.length; i++) {
      const d = v[i] - yValue[i];
      sum += d * d;
      gv[i] = (2 * d) / v.length;
    }
    let loss = sum / v.length;
    const p = out.policy,
      gp = grad.policy;
    if (yPolicy && p && gp) {
      // z = log(a / b), a = p + ε, b = 1 + ε − p; loss = mean(max(z, 0) − z·y + log(1 + e^−|z|)); dz/dp = 1/a + 1/b.
      // a and b rounded to float32 as tfjs computes them: near p = 1, b is mostly rounding
      let ce = 0;
      const onePlusEps = Math.fround(1 + POLICY_EPS);
      for (let i = 0; i < p.length; i++) {
        const a = Math.fround(p[i] + POLICY_EPS),
          b = Math.fround(onePlusEps - p[i]);
        const z = Math.log(a / b);
        ce += Math.max(z, 0) - z * yPolicy[i] + Math.log1p(Math.exp(-Math.abs(z)));
        gp[i] = ((a / (a + b) - yPolicy[i]) * (1 / a + 1 / b)) / p.length;
      }
      loss += ce / p.length;
    }
    return loss;
  };
}
