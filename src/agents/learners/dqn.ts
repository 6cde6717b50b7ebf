import * as tf from '@tensorflow/tfjs';
import { JsAdam, type GradientOptimizer } from '../../ml/adam.ts';
import { Rng } from '../../util/random.ts';
import type { LearningEnv } from '../env.ts';
import type { Decision, Observation } from '../policy.ts';
import { argmax, EpochCounter, greedyDecision, sigmoid, type EpochStats, type EpochTrace, type Learner } from './learner.ts';
import { trainStep, type AgentNet } from './net.ts';
import { ReplayBuffer } from './replay.ts';

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
  private readonly optimizer: GradientOptimizer;
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
      this.replay.push(this.prevX, this.prevState, action, step.reward * this.params.rewardScale, this.net.inputOf(step.observation), step.observation.state, step.done);
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
    this.updates++;
    if (p.target.kind === 'periodic') {
      if (this.updates % p.target.every === 0) this.target.copyWeightsFrom(this.net);
    } else {
      this.target.softUpdateFrom(this.net, p.target.tau);
    }
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
