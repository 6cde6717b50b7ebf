/**
 * AgentNet, a tfjs model as the learners and policies see it (inputs, heads, single and batched forward), and
 * trainStep.
 */
import * as tf from '@tensorflow/tfjs';
import type { Observation } from '../core/policy.ts';
import { TrunkCache } from './trunk-cache.ts';
import { BlockTrainer } from './block-trainer.ts';
import { FrameCache } from './frame-cache.ts';
import { jsForward, tfForward } from './fast-forward.ts';
import { plan, refuse, type NetPlan } from './plan.ts';
import type { HeadOutputs, HeadTensors } from './head-outputs.ts';
import type { ArrayGradientOptimizer, GradientOptimizer } from './adam.ts';
import { clipByGlobalNorm } from './clip-norm.ts';
import type { HeadLoss, StepStats } from './head-loss.ts';

/** How the policy head's numbers are read: probabilities, logits, or a sigmoid mean (continuous target position). */
type PolicyOutput = 'softmax' | 'logits' | 'sigmoid';

/**
 * A single-observation forward pass that allocates nothing per call (fast-forward.ts's FastForward fits this shape).
 */
interface SingleForward {
  predict(x: Float32Array, state: Float32Array): HeadOutputs;
  /** Re-reads weights after training. */
  sync(): void;
  dispose(): void;
}

interface AgentNetOptions {
  heads: { value?: number; policy?: number };
  /**
   * Continuous target position: the policy head's first output is the mean fraction of value held in the asset
   * (a 2-way softmax, i.e. sigmoid(a − b), or a single sigmoid).
   */
  continuous?: boolean;
}

function activationOf(layer: tf.layers.Layer): string {
  const cfg = layer.getConfig() as { activation?: unknown };
  return typeof cfg.activation === 'string' ? cfg.activation : 'linear';
}

/** One observation through the block engine's inference (batch norm from moving statistics, no dropout). */
function blockForward(trainer: BlockTrainer): SingleForward {
  const none = new Float32Array(0);
  return {
    predict: (x, state) => trainer.predict(x, state ?? none, 1),
    // the blocks read the layers' weights on every call
    sync: () => undefined,
    dispose: () => undefined,
  };
}

/** One observation through the frame cache (frame-cache.ts), which watches the weights itself. */
function cachedForward(cache: FrameCache): SingleForward {
  const none = new Float32Array(0);
  return { predict: (x, state) => cache.predict(x, state ?? none), sync: () => undefined, dispose: () => undefined };
}

/**
 * A model as the learners see it: inputs [x, state?] where x is the feature window or the image sequence, outputs
 * [value?, policy?]. Shapes come from the model itself, so any network kind (dnn, lstm, cnn, cnnrnn) fits.
 */
export class AgentNet {
  readonly xShape: number[];
  readonly xSize: number;
  readonly stateSize: number;
  readonly heads: { value?: number; policy?: number };
  readonly policyOutput: PolicyOutput;
  readonly continuous: boolean;
  /** The engines this network runs on (plan.ts), decided once here; training records keep it. */
  readonly plan: NetPlan;
  private single: SingleForward;
  private trunkCache: TrunkCache | undefined;
  private cacheOn = false;
  private trainer: BlockTrainer | undefined;
  private trainerBuilt = false;

  constructor(
    readonly model: tf.LayersModel,
    private readonly options: AgentNetOptions,
  ) {
    this.heads = options.heads;
    this.continuous = options.continuous ?? false;
    this.xShape = model.inputs[0].shape.slice(1) as number[];
    this.xSize = this.xShape.reduce((a, b) => a * b, 1);
    this.stateSize = model.inputs.length > 1 ? (model.inputs[1].shape[1] as number) : 0;
    const expected = (this.heads.value ? 1 : 0) + (this.heads.policy ? 1 : 0);
    if (model.outputs.length !== expected)
      throw new Error(`network has ${model.outputs.length} outputs, the learner expects ${expected}`);
    if (this.heads.policy) {
      const name = model.outputs[model.outputs.length - 1].sourceLayer;
      const act = activationOf(name);
      this.policyOutput = act === 'softmax' ? 'softmax' : act === 'sigmoid' ? 'sigmoid' : 'logits';
    } else {
      this.policyOutput = 'logits';
    }
    this.plan = plan(model);
    this.single = this.singleForward();
  }

  /** The planned single-observation pass; model.predict when the plain-JS or block one fails to build. */
  private singleForward(): SingleForward {
    if (this.plan.single === 'blocks') {
      // cnnrnn: only the frames not seen at the previous call go through the convolutions (frame-cache.ts)
      const cache = FrameCache.tryCreate(this.model);
      if (cache) return cachedForward(cache);
      const trainer = BlockTrainer.tryCreate(this.model);
      if (trainer) return blockForward(trainer);
      refuse(this.plan, 'single-blocks', 'the block engine did not build', this.model.name);
    }
    if (this.plan.single === 'js-forward') {
      try {
        return jsForward(this.model);
      } catch (e) {
        refuse(this.plan, 'js-forward', (e as Error).message, this.model.name);
      }
    }
    return tfForward(this.model);
  }

  /**
   * The hand-written trainer when the plan runs training on blocks (built once, on first use), else undefined and
   * training runs on tfjs's tape.
   */
  blockTrainer(): BlockTrainer | undefined {
    if (!this.trainerBuilt && this.plan.train === 'blocks') {
      this.trainerBuilt = true;
      this.trainer = BlockTrainer.tryCreate(this.model);
      if (!this.trainer) refuse(this.plan, 'blocks', 'the block trainer did not build', this.model.name);
    }
    return this.plan.train === 'blocks' ? this.trainer : undefined;
  }

  /** Training runs on tfjs's tape for this network from now on (e.g. its loss has no hand-derived gradient). */
  useTape(why: string): void {
    if (this.plan.train === 'blocks') refuse(this.plan, 'blocks', why, this.model.name);
  }

  /** The array the network's first input reads from an observation. */
  inputOf(obs: Observation): Float32Array {
    const x = obs.images ?? obs.features;
    if (x.length !== this.xSize)
      throw new Error(
        `observation has ${x.length} inputs, the network expects ${this.xSize} (${this.xShape.join('×')})`,
      );
    return x;
  }

  forwardOne(obs: Observation): HeadOutputs {
    if (this.cacheOn && !obs.images && obs.featureRows && obs.features.length === this.xSize) {
      const out = this.trunkCache?.predict(obs.t, obs.featureRows, obs.state);
      if (out) return out;
    }
    return this.single.predict(this.inputOf(obs), obs.state);
  }

  /**
   * While the weights stay fixed (greedy backtests, an RLTrader epoch), compute the feature trunk for chunks of candles
   * in one batched call and only the heads per step (see trunk-cache.ts). Off by default: learners that update every
   * few steps would recompute chunks for nothing.
   */
  setTrunkCache(on: boolean): void {
    if (on && !this.trunkCache && this.plan.batch !== 'tfjs') {
      this.trunkCache = TrunkCache.tryCreate(this.model);
      if (!this.trunkCache) refuse(this.plan, 'trunk-cache', 'the trunk cache did not build', this.model.name);
    }
    this.trunkCache?.sync();
    this.cacheOn = on;
  }

  /**
   * One training step on rows [0, n) of `x` and `state` for `loss`, on the planned engine: the block trainer when the
   * loss brings its hand-derived gradient, else tfjs's tape. Gradients clipped to `clipNorm` (0: not clipped);
   * `extraVars` are trained too (tape only); `stats` gets the gradient norm. Returns the loss.
   */
  train(
    x: Float32Array,
    state: Float32Array,
    n: number,
    loss: HeadLoss,
    optimizer: GradientOptimizer & ArrayGradientOptimizer,
    options: { clipNorm?: number; extraVars?: tf.Variable[]; stats?: StepStats } = {},
  ): number {
    const { clipNorm = 0, extraVars = [], stats } = options;
    const trainer = loss.grad && !extraVars.length ? this.blockTrainer() : undefined;
    if (trainer && loss.grad) {
      const grad = loss.grad;
      const observe = loss.observe;
      const withObserve: typeof grad = observe ? (out, g, rows) => (observe(out, rows), grad(out, g, rows)) : grad;
      const onNorm = stats ? (norm: number) => (stats.gradNorm = norm) : undefined;
      const value = trainer.step(x, state, n, withObserve, clipByGlobalNorm(optimizer, clipNorm, onNorm));
      this.sync();
      return value;
    }
    const inputs = this.tensors(x, state, n);
    let seen: HeadTensors | undefined;
    try {
      const value = trainStep(
        this,
        optimizer,
        () => {
          const out = this.apply(inputs, true);
          if (loss.observe) {
            seen = { value: out.value && tf.keep(out.value), policy: out.policy && tf.keep(out.policy) };
          }
          return loss.tf(out);
        },
        clipNorm,
        extraVars,
        stats,
      );
      if (loss.observe && seen) {
        const arrays: HeadOutputs = {};
        if (seen.value) arrays.value = seen.value.dataSync() as Float32Array;
        if (seen.policy) arrays.policy = seen.policy.dataSync() as Float32Array;
        loss.observe(arrays, n);
      }
      return value;
    } finally {
      tf.dispose([...inputs, ...(seen?.value ? [seen.value] : []), ...(seen?.policy ? [seen.policy] : [])]);
    }
  }

  /** Call after every weight change so the fast forward sees the new weights. */
  sync(): void {
    this.single.sync();
    if (this.cacheOn) this.trunkCache?.sync();
  }

  /** Batched forward in inference mode into fresh arrays. */
  forward(x: Float32Array, state: Float32Array, batch: number): HeadOutputs {
    const out: HeadOutputs = {};
    tf.tidy(() => {
      const t = this.apply(this.tensors(x, state, batch), false);
      if (t.value) out.value = t.value.dataSync() as Float32Array;
      if (t.policy) out.policy = t.policy.dataSync() as Float32Array;
    });
    return out;
  }

  tensors(x: Float32Array, state: Float32Array, batch: number): tf.Tensor[] {
    const inputs: tf.Tensor[] = [tf.tensor(x.subarray(0, batch * this.xSize), [batch, ...this.xShape])];
    if (this.stateSize) inputs.push(tf.tensor2d(state.subarray(0, batch * this.stateSize), [batch, this.stateSize]));
    return inputs;
  }

  /** Symbolic-free call for losses: use inside tf.tidy / variableGrads. */
  apply(inputs: tf.Tensor[], training: boolean): HeadTensors {
    const res = this.model.apply(this.stateSize ? inputs : inputs.slice(0, 1), { training }) as tf.Tensor | tf.Tensor[];
    const arr = (Array.isArray(res) ? res : [res]) as tf.Tensor2D[];
    const out: HeadTensors = {};
    let k = 0;
    if (this.heads.value) out.value = arr[k++];
    if (this.heads.policy) out.policy = arr[k];
    return out;
  }

  /** The continuous policy's mean position, [batch]. */
  positionMean(policy: tf.Tensor2D): tf.Tensor1D {
    return tf.reshape(tf.slice(policy, [0, 0], [-1, 1]), [-1]) as tf.Tensor1D;
  }

  /** Log-probabilities of the discrete policy head, from whatever the head outputs. */
  logProbs(policy: tf.Tensor2D): tf.Tensor2D {
    return (this.policyOutput === 'softmax' ? tf.log(tf.add(policy, 1e-8)) : tf.logSoftmax(policy)) as tf.Tensor2D;
  }

  variables(): tf.Variable[] {
    return this.model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  copyWeightsFrom(other: AgentNet): void {
    this.model.setWeights(other.model.getWeights());
    this.sync();
  }

  /** target ← τ·online + (1 − τ)·target */
  softUpdateFrom(other: AgentNet, tau: number): void {
    const mine = this.model.weights;
    const theirs = other.model.weights;
    tf.tidy(() => {
      for (let i = 0; i < mine.length; i++)
        mine[i].write(tf.add(tf.mul(theirs[i].read(), tau), tf.mul(mine[i].read(), 1 - tau)) as tf.Tensor2D);
    });
    this.sync();
  }

  dispose(): void {
    this.single.dispose();
    this.trunkCache?.dispose();
    this.model.dispose();
  }
}

/**
 * One optimiser step on `loss`, gradients clipped to a global norm. Returns the loss value; `stats` gets the gradient's
 * global norm before clipping. The caller's loss closure builds everything from tensors it creates inside; all of it
 * is freed here.
 */
export function trainStep(
  net: AgentNet,
  optimizer: GradientOptimizer,
  loss: () => tf.Scalar,
  clipNorm = 0,
  extraVars: tf.Variable[] = [],
  stats?: StepStats,
): number {
  const vars = [...net.variables(), ...extraVars];
  const [value, norm] = tf.tidy(() => {
    const { value: l, grads } = tf.variableGrads(loss, vars);
    let g = grads;
    const names = Object.keys(grads);
    const norm = clipNorm > 0 || stats ? tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))))) : undefined;
    if (clipNorm > 0 && norm) {
      const scale = tf.minimum(1, tf.div(clipNorm, tf.add(norm, 1e-6)));
      g = {};
      for (const n of names) g[n] = tf.mul(grads[n], scale);
    }
    optimizer.applyGradients(g);
    return [l, norm] as const;
  });
  const v = value.dataSync()[0];
  if (stats && norm) stats.gradNorm = norm.dataSync()[0];
  tf.dispose([value, ...(norm ? [norm] : [])]);
  net.sync();
  return v;
}
