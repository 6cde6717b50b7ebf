/** The DQN learner (replay, target network, Huber loss, double DQN) and its loss gradient. */
import * as tf from '@tensorflow/tfjs';
import { JsAdam } from '../../nn/adam.ts';
import { clipByGlobalNorm } from '../../nn/clip-norm.ts';
import { BlockTrainer, type LossGradient } from '../../nn/block-trainer.ts';
import { Rng } from '../../core/random.ts';
import type { LearningEnv } from '../learning-env.ts';
import type { Decision, Observation } from '../../core/policy.ts';
import { argmax, sigmoid } from '../../nn/head-math.ts';
import { EpochCounter, type EpochStats, type EpochTrace } from './epoch-trace.ts';
import { greedyDecision } from '../greedy-decision.ts';
import type { Learner } from './learner.ts';
import { trainStep, type AgentNet } from '../../nn/agent-net.ts';
import { ReplayBuffer, type ReplayBatch as Batch } from './replay.ts';

export interface DqnParams {
  gamma: number;
  learningRate: number;
  batchSize: number;
  replayCapacity: number;
  /** Transitions collected before the first update. */
  warmup: number;
  /** One update every this many env steps … */
  trainEvery: number;
  /** … of this many gradient steps. */
  gradientSteps: number;
  /** Target network: hard copy every `every` updates, or Polyak averaging with rate `tau` after each update. */
  target: { kind: 'periodic'; every: number } | { kind: 'soft'; tau: number };
  /** Double DQN: the online network picks the next action, the target network values it. */
  double: boolean;
  huberDelta: number;
  /** Rewards are multiplied by this before learning (log returns per candle are tiny). */
  rewardScale: number;
  clipNorm: number;
}

export const DQN_DEFAULTS: DqnParams = {
  gamma: 0.9,
  learningRate: 1e-3,
  batchSize: 64,
  replayCapacity: 50_000,
  warmup: 256,
  trainEvery: 8,
  gradientSteps: 1,
  target: { kind: 'periodic', every: 100 },
  double: true,
  huberDelta: 1,
  rewardScale: 100,
  clipNorm: 0,
};

/** Deep Q-learning (Mnih et al. 2015) with replay, a target network, Huber loss and optional double-DQN targets. */
export class DqnLearner implements Learner {
  readonly kind = 'dqn' as const;
  private readonly optimizer: JsAdam;
  /** The hand-written backward pass and inference for dense networks (block-trainer.ts); others use tfjs. */
  private readonly trainer: BlockTrainer | undefined;
  private readonly targetTrainer: BlockTrainer | undefined;
  private readonly replay: ReplayBuffer;
  private readonly rng: Rng;
  private readonly prevX: Float32Array;
  private readonly prevState: Float32Array;
  private readonly probs = new Float32Array(3);
  private envSteps = 0;
  private updates = 0;

  constructor(
    readonly net: AgentNet,
    private readonly target: AgentNet,
    readonly params: DqnParams,
    seed: number,
  ) {
    if (net.heads.value !== 3) throw new Error('DQN needs a value head of 3 (buy, sell, hold)');
    this.optimizer = new JsAdam(params.learningRate);
    this.trainer = BlockTrainer.tryCreate(net.model);
    this.targetTrainer = this.trainer && BlockTrainer.tryCreate(target.model);
    this.replay = new ReplayBuffer(params.replayCapacity, net.xSize, net.stateSize, params.batchSize);
    this.rng = new Rng(seed);
    this.prevX = new Float32Array(net.xSize);
    this.prevState = new Float32Array(net.stateSize);
    this.target.copyWeightsFrom(net);
  }

  runEpoch(envs: LearningEnv[], epsilon: number, trace: EpochTrace): EpochStats {
    const env = envs[0];
    const counter = new EpochCounter();
    let obs = env.reset();
    let value = env.initialValue;
    for (;;) {
      const outs = this.net.forwardOne(obs);
      const q = outs.value as Float32Array;
      const explored = this.rng.next() < epsilon;
      const action = explored ? this.rng.int(3) : argmax(q, 0, 3);
      const confidence = explored ? 0.5 : sigmoid(q[action]);
      const t = obs.t;
      this.prevX.set(this.net.inputOf(obs));
      this.prevState.set(obs.state);
      const step = env.step(action, confidence);
      counter.count(action, explored);
      trace.push(t, action, explored, step.units, step.portfolioValue, outs);
      value = step.portfolioValue;
      this.replay.push(
        this.prevX,
        this.prevState,
        action,
        step.reward * this.params.rewardScale,
        this.net.inputOf(step.observation),
        step.observation.state,
        step.done,
      );
      this.envSteps++;
      if (this.replay.size >= this.params.warmup && this.envSteps % this.params.trainEvery === 0) {
        for (let g = 0; g < this.params.gradientSteps; g++) counter.addLoss(this.learn());
        trace.learnedAt.push(t);
      }
      if (step.done) break;
      obs = step.observation;
    }
    return counter.stats(value);
  }

  private learn(): number {
    const p = this.params;
    const b = this.replay.sample(this.rng);
    const loss = this.trainer && this.targetTrainer ? this.learnJs(b) : this.learnTf(b);
    this.updates++;
    if (p.target.kind === 'periodic') {
      if (this.updates % p.target.every === 0) this.target.copyWeightsFrom(this.net);
    } else {
      this.target.softUpdateFrom(this.net, p.target.tau);
    }
    return loss;
  }

  /** Targets r + γ·(1 − done)·Q_target(s', a*) with a* from the online net (double) or the target's own max. */
  private targets(b: Batch, qNext: Float32Array, onlineNext: Float32Array | undefined): Float32Array {
    const y = new Float32Array(b.size);
    for (let i = 0; i < b.size; i++) {
      const o = i * 3;
      const best = onlineNext ? qNext[o + argmax(onlineNext, o, 3)] : Math.max(qNext[o], qNext[o + 1], qNext[o + 2]);
      y[i] = b.reward[i] + this.params.gamma * (1 - b.done[i]) * best;
    }
    return y;
  }

  private learnJs(b: Batch): number {
    const n = b.size;
    const qNext = this.targetTrainer!.predict(b.nextX, b.nextState, n).value!;
    const onlineNext = this.params.double ? this.trainer!.predict(b.nextX, b.nextState, n).value! : undefined;
    const y = this.targets(b, qNext, onlineNext);
    const loss = this.trainer!.step(
      b.x,
      b.state,
      n,
      dqnLossGradient(y, b.action, this.params.huberDelta),
      clipByGlobalNorm(this.optimizer, this.params.clipNorm),
    );
    this.net.sync();
    return loss;
  }

  private learnTf(b: Batch): number {
    const p = this.params;
    const n = b.size;
    const y = tf.tidy(() => {
      const nextIn = this.target.tensors(b.nextX, b.nextState, n);
      const qNext = this.target.apply(nextIn, false).value as tf.Tensor2D;
      let best: tf.Tensor1D;
      if (p.double) {
        const onlineNext = this.net.apply(this.net.tensors(b.nextX, b.nextState, n), false).value as tf.Tensor2D;
        best = tf.sum(tf.mul(qNext, tf.oneHot(tf.argMax(onlineNext, 1) as tf.Tensor1D, 3)), 1);
      } else {
        best = tf.max(qNext, 1);
      }
      const live = tf.sub(1, tf.tensor1d(b.done));
      return tf.add(tf.tensor1d(b.reward), tf.mul(p.gamma, tf.mul(live, best)));
    });
    const inputs = this.net.tensors(b.x, b.state, n);
    const mask = tf.tidy(() => tf.oneHot(tf.tensor1d(b.action, 'int32'), 3));
    const loss = trainStep(
      this.net,
      this.optimizer,
      () => {
        const q = this.net.apply(inputs, true).value as tf.Tensor2D;
        const qa = tf.sum(tf.mul(q, mask), 1);
        return tf.losses.huberLoss(y, qa, undefined, p.huberDelta) as tf.Scalar;
      },
      p.clipNorm,
    );
    tf.dispose([y, mask, ...inputs]);
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
    this.target.dispose();
  }
}

/**
 * The DQN loss, mean Huber(Q(s, a) − y) over the batch as tf.losses.huberLoss computes it, and its gradient: on each
 * row only the taken action's output gets one, (Q − y) inside ±δ, δ·sign(Q − y) outside, over n.
 */
export function dqnLossGradient(y: Float32Array, actions: Int32Array, delta: number): LossGradient {
  return (out, grad, n) => {
    const q = out.value!,
      g = grad.value!;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const k = i * 3 + actions[i];
      const e = q[k] - y[i];
      const abs = Math.abs(e);
      const quadratic = Math.min(abs, delta);
      loss += 0.5 * quadratic * quadratic + delta * (abs - quadratic);
      g[k] = (abs <= delta ? e : delta * Math.sign(e)) / n;
    }
    return loss / n;
  };
}
