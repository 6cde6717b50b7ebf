/** The DQN learner (replay, target network, Huber loss, double DQN) and its loss gradient. */
import * as tf from '@tensorflow/tfjs';
import { JsAdam } from '../../nn/adam.ts';
import type { BlockTrainer, LossGradient } from '../../nn/block-trainer.ts';
import type { HeadLoss, StepStats } from '../../nn/head-loss.ts';
import type { HeadOutputs } from '../../nn/head-outputs.ts';
import { Rng } from '../../core/random.ts';
import type { LearningEnv } from '../learning-env.ts';
import type { Decision, Observation } from '../../core/policy.ts';
import { argmax, sigmoid } from '../../nn/head-math.ts';
import { EpochCounter, type EpochStats, type EpochTrace } from './epoch-trace.ts';
import { greedyDecision } from '../greedy-decision.ts';
import type { Learner } from './learner.ts';
import { replayCapNote, type DqnParams } from './dqn-params.ts';
import type { AgentNet } from '../../nn/agent-net.ts';
import { ReplayBuffer, type ReplayBatch as Batch } from './replay.ts';
import { NStepQueue, type TransitionSink } from './nstep.ts';

/** Deep Q-learning (Mnih et al. 2015) with replay, a target network, Huber loss and optional double-DQN targets. */
export class DqnLearner implements Learner {
  readonly kind = 'dqn' as const;
  private readonly optimizer: JsAdam;
  /** The block engines' batched inference for the targets, when the plan trains on blocks (see targets()). */
  private readonly trainer: BlockTrainer | undefined;
  private readonly targetTrainer: BlockTrainer | undefined;
  private readonly replay: ReplayBuffer;
  private readonly nStep: NStepQueue;
  private readonly push: TransitionSink;
  private readonly rng: Rng;
  private readonly prevX: Float32Array;
  private readonly prevState: Float32Array;
  private readonly probs = new Float32Array(3);
  private readonly stepStats: StepStats = { gradNorm: NaN };
  private envSteps = 0;
  private updates = 0;

  constructor(
    readonly net: AgentNet,
    private readonly target: AgentNet,
    readonly params: DqnParams,
    seed: number,
    log?: (line: string) => void,
  ) {
    if (net.heads.value !== 3) throw new Error('DQN needs a value head of 3 (buy, sell, hold)');
    this.optimizer = new JsAdam(params.learningRate);
    this.optimizer.weightDecay = params.weightDecay;
    this.trainer = net.blockTrainer();
    this.targetTrainer = this.trainer && target.blockTrainer();
    this.replay = new ReplayBuffer(params.replayCapacity, net.xSize, net.stateSize, params.batchSize);
    // the memory cap used to shrink the replay unsaid (audit of chart images: 50,000 → 388 for 96×180 × 10 frames)
    const capped = replayCapNote(params, net);
    if (capped) log?.(capped);
    this.nStep = new NStepQueue(params.nStep, params.gamma, net.xSize, net.stateSize);
    this.push = this.replay.push.bind(this.replay);
    this.rng = new Rng(seed);
    this.prevX = new Float32Array(net.xSize);
    this.prevState = new Float32Array(net.stateSize);
    this.target.copyWeightsFrom(net);
  }

  /** The transitions the replay holds at most: learner.replayCapacity, or fewer under its memory cap. */
  get replayCapacity(): number {
    return this.replay.capacity;
  }

  idleReason(): string {
    const { size } = this.replay;
    return `its replay holds only ${size} transitions of the learner.warmup ${this.params.warmup} it learns after`;
  }

  runEpoch(envs: LearningEnv[], epsilon: number, trace: EpochTrace): EpochStats {
    const env = envs[0];
    const counter = new EpochCounter();
    let obs = env.reset();
    let value: number;
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
      this.nStep.add(
        this.prevX,
        this.prevState,
        action,
        step.reward * this.params.rewardScale,
        this.net.inputOf(step.observation),
        step.observation.state,
        step.done,
        this.push,
      );
      this.envSteps++;
      if (this.replay.size >= this.params.warmup && this.envSteps % this.params.trainEvery === 0) {
        for (let g = 0; g < this.params.gradientSteps; g++) counter.addLoss(this.learn(counter));
        trace.learnedAt.push(t);
      }
      if (step.done) break;
      obs = step.observation;
    }
    return counter.stats(value);
  }

  private learn(counter: EpochCounter): number {
    const p = this.params;
    const b = this.replay.sample(this.rng);
    this.optimizer.learningRate = learningRateAt(p, this.updates);
    const y = this.targets(b);
    const observed = { meanQ: NaN, tdError: NaN };
    const loss = this.net.train(b.x, b.state, b.size, dqnLoss(y, b.action, p.huberDelta, observed), this.optimizer, {
      clipNorm: p.clipNorm,
      stats: this.stepStats,
    });
    counter.addDiagnostics({ ...observed, gradNorm: this.stepStats.gradNorm });
    this.updates++;
    if (p.target.kind === 'periodic') {
      if (this.updates % p.target.every === 0) this.target.copyWeightsFrom(this.net);
    } else {
      this.target.softUpdateFrom(this.net, p.target.tau);
    }
    return loss;
  }

  /**
   * Targets r + γ·(1 − done)·Q_target(s', a*) with a* from the online net (double) or the target's own max, computed
   * once in JS (double precision, rounded once) from the next states' Q-values, whichever engine produced them: the
   * block engines' batched inference when the plan trains on blocks, tfjs's batched forward otherwise (issue 11).
   */
  private targets(b: Batch): Float32Array {
    const n = b.size;
    // γ for one-step transitions, γ^n for the n-step queue's (the same number when nStep is 1)
    const discount = this.nStep.bootstrapDiscount;
    const qNext = this.nextValues(this.target, this.targetTrainer, b);
    const onlineNext = this.params.double ? this.nextValues(this.net, this.trainer, b) : undefined;
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const o = i * 3;
      const best = onlineNext ? qNext[o + argmax(onlineNext, o, 3)] : Math.max(qNext[o], qNext[o + 1], qNext[o + 2]);
      y[i] = b.reward[i] + discount * (1 - b.done[i]) * best;
    }
    return y;
  }

  /** Q-values of the batch's next states under `net`, [n × 3]. */
  private nextValues(net: AgentNet, trainer: BlockTrainer | undefined, b: Batch): Float32Array {
    return (trainer ? trainer.predict(b.nextX, b.nextState, b.size) : net.forward(b.nextX, b.nextState, b.size)).value!;
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

/** The learning rate of update `k` (counted from 0) under the recipe's schedule. */
export function learningRateAt(p: Pick<DqnParams, 'learningRate' | 'learningRateSchedule'>, k: number): number {
  const s = p.learningRateSchedule;
  if (s.kind === 'constant') return p.learningRate;
  return Math.max(s.min, p.learningRate * 0.5 ** (k / s.halfLife));
}

/**
 * The DQN loss given once: mean Huber(Q(s, a) − y) as tf.losses.huberLoss computes it, its hand-derived gradient, and
 * the diagnostics `observed` receives from the step's Q-values (dqnDiagnostics).
 */
export function dqnLoss(
  y: Float32Array,
  actions: Int32Array,
  delta: number,
  observed?: { meanQ: number; tdError: number },
): HeadLoss {
  return {
    tf: (out) => {
      const mask = tf.oneHot(tf.tensor1d(actions, 'int32'), 3);
      const qa = tf.sum(tf.mul(out.value as tf.Tensor2D, mask), 1);
      return tf.losses.huberLoss(tf.tensor1d(y), qa, undefined, delta) as tf.Scalar;
    },
    grad: dqnLossGradient(y, actions, delta),
    ...(observed
      ? { observe: (out: HeadOutputs, n: number) => Object.assign(observed, dqnDiagnostics(out.value!, y, actions, n)) }
      : {}),
  };
}

/** Mean Q(s, a) of the taken actions and mean |Q(s, a) − y| (the TD error) over a batch of `n` rows. */
export function dqnDiagnostics(
  q: Float32Array,
  y: Float32Array,
  actions: Int32Array,
  n: number,
): { meanQ: number; tdError: number } {
  let sumQ = 0;
  let sumTd = 0;
  for (let i = 0; i < n; i++) {
    const qa = q[i * 3 + actions[i]];
    sumQ += qa;
    sumTd += Math.abs(qa - y[i]);
  }
  return { meanQ: sumQ / n, tdError: sumTd / n };
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
