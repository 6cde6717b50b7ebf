/**
 * Adam (Kingma & Ba) with the update done in plain JS over each variable's numbers. tf.train.adam runs about ten
 * tfjs ops per variable per step; on the learners' small networks that dispatch cost more than the gradients
 * themselves (dqn-dnn: ~40 µs of Adam per update and variable, measured). Same formulas, same defaults and the
 * same float32 state as tfjs's AdamOptimizer; equality is tested in test/nn/adam.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { allFinite } from '../core/numbers.ts';

/** What a training step needs from an optimiser. */
export interface GradientOptimizer {
  applyGradients(grads: tf.NamedTensorMap): void;
  dispose(): void;
}

/** A gradient held in an array, for the variable it belongs to. */
export interface ArrayGradient {
  variable: tf.Variable;
  grad: Float32Array;
}

/** What the JS trainer (block-trainer.ts) needs: a step from gradients it computed itself. */
export interface ArrayGradientOptimizer {
  applyGradientArrays(entries: readonly ArrayGradient[]): void;
}

interface Moments {
  m: Float32Array;
  v: Float32Array;
}

export class JsAdam implements GradientOptimizer, ArrayGradientOptimizer {
  private readonly moments = new Map<string, Moments>();
  private accBeta1: number;
  private accBeta2: number;
  /**
   * Decoupled weight decay (AdamW, Loshchilov & Hutter 2019): each step also shrinks every kernel (`…/kernel`, and
   * `…/kernel_N` as tfjs names later networks' kernels; not biases, not batch-norm parameters) by learningRate ×
   * weightDecay of itself. 0: plain Adam.
   */
  weightDecay = 0;
  /** Steps refused because a gradient held NaN or ±Infinity (applyGradientArrays). */
  skippedSteps = 0;

  constructor(
    /** The step size; a learner with a schedule sets it between steps. */
    public learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = tf.backend().epsilon(),
  ) {
    this.accBeta1 = beta1;
    this.accBeta2 = beta2;
  }

  /** One step on every variable named in `grads` (names as tf.variableGrads returns them). */
  applyGradients(grads: tf.NamedTensorMap): void {
    const registered = tf.engine().registeredVariables;
    this.applyGradientArrays(
      Object.keys(grads).map((name) => {
        const variable = registered[name];
        if (!variable) throw new Error(`adam: no variable named ${name}`);
        return { variable, grad: grads[name].dataSync() as Float32Array };
      }),
    );
  }

  /** One step from gradients held in arrays (the JS trainer's), one entry per variable. */
  applyGradientArrays(entries: readonly ArrayGradient[]): void {
    // A NaN or infinite gradient (a diverged loss, an overflow in one batch) would make every weight it reaches NaN
    // for good, and a NaN network's argmax is action 0, buy. The whole step is refused and counted, weights and
    // moments untouched, as dynamic loss scaling skips overflowed steps (Micikevicius et al. 2018, Mixed Precision
    // Training).
    if (!entries.every(({ grad }) => allFinite(grad))) {
      this.skippedSteps++;
      return;
    }
    const c1 = 1 - this.accBeta1;
    const c2 = 1 - this.accBeta2;
    const { beta1, beta2, epsilon, learningRate } = this;
    for (const { variable, grad: g } of entries) {
      const decay =
        this.weightDecay > 0 && /\/kernel(_\d+)?$/.test(variable.name) ? learningRate * this.weightDecay : 0;
      const x = variable.dataSync() as Float32Array;
      if (g.length !== x.length)
        throw new Error(`adam: gradient of ${variable.name} has ${g.length} values, the variable ${x.length}`);
      let st = this.moments.get(variable.name);
      if (!st || st.m.length !== x.length) {
        st = { m: new Float32Array(x.length), v: new Float32Array(x.length) };
        this.moments.set(variable.name, st);
      }
      const { m, v } = st;
      // fresh every step: the cpu backend keeps the array it is given as the tensor's storage
      const next = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) {
        const gi = g[i];
        m[i] = beta1 * m[i] + (1 - beta1) * gi;
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
        next[i] = x[i] - (learningRate * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + epsilon);
      }
      if (decay > 0) for (let i = 0; i < x.length; i++) next[i] -= decay * x[i];
      const t = tf.tensor(next, variable.shape, 'float32');
      variable.assign(t);
      t.dispose();
    }
    this.accBeta1 *= beta1;
    this.accBeta2 *= beta2;
  }

  dispose(): void {
    this.moments.clear();
  }
}
