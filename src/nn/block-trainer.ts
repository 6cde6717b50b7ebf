/**
 * Training steps for dense, Conv1D and cnnrnn networks (Dense or Conv1D, each optionally followed by
 * BatchNormalization, MaxPooling1D after a Conv1D, and SeededDropout; cnnrnn's per-frame Conv2D image blocks and its
 * GRU, see image-block.ts and gru-block.ts; Flatten, Concatenate, free-standing dropouts; value and policy heads) with
 * a hand-written backward pass. Under tfjs's gradient tape, RLTrader's DNN (256-128-64-32, sigmoid, batch norm and
 * dropout after every layer) took ~49 ms per 490-row fit on wasm: the matrix products were a third of it, the rest ~250
 * small element-wise and reduction kernels (batch-norm moments, sigmoid and its gradient, dropout, broadcasts). Here
 * each block costs one fused matrix product on the tfjs backend forward and two backward (a Conv1D as a product over
 * its im2col rows, see conv-rows.ts), every one untransposed (wasm's transposed products are slow, see
 * backend/wasm-fast-kernels.ts), and a few element-wise passes (backend/elementwise-passes.ts: WebAssembly SIMD, or JS
 * where that is missing).
 *
 * Same semantics as model.apply(…, {training: true}) under tf.variableGrads: batch statistics (biased variance, as
 * tf.moments) with the gradient through them, the moving averages updated as tfjs-layers does, dropout masks drawn from
 * the same SeededDropout streams, pooling gradients to each window's first maximum. Checked against tf gradients in
 * test/nn/block-trainer.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArrayGradientOptimizer } from './adam.ts';
import type { HeadOutputs } from './head-outputs.ts';
import { jsPasses, type ElementwisePasses } from './backend/elementwise-passes.ts';
import { wasmPasses } from './backend/elementwise-passes-wasm.ts';
import type { Slot, Step } from './block-step.ts';
import { type Block, parse } from './block-graph.ts';

/** Fills `grad` (zeroed, same shapes as `out`) with dLoss/dOutput for the batch of `n` rows and returns the loss. */
export type LossGradient = (out: HeadOutputs, grad: HeadOutputs, n: number) => number;

export class BlockTrainer {
  private constructor(
    private readonly blocks: Block[],
    private readonly inputs: Slot[],
    private readonly outputs: { name: 'value' | 'policy'; slot: Slot }[],
    private readonly slots: Slot[],
    readonly passes: ElementwisePasses,
    /** Whether image blocks may hand a weight gradient to the helper thread (conv-grad-helper.ts). */
    private readonly helper: boolean,
  ) {}

  /**
   * A trainer for `model`, or undefined when it has a layer the JS backward pass does not cover. The element-wise
   * passes run in WebAssembly SIMD once initBackend has compiled them, else (or with passes: 'js') in plain JS. On
   * wasm the widest image block's weight gradient goes to a helper thread while it is free (helperThread false: never).
   */
  static tryCreate(
    model: tf.LayersModel,
    options: { passes?: 'auto' | 'js'; helperThread?: boolean } = {},
  ): BlockTrainer | undefined {
    const p = parse(model);
    if (typeof p === 'string') return undefined;
    const passes = (options.passes !== 'js' ? wasmPasses() : undefined) ?? jsPasses();
    return new BlockTrainer(p.blocks, p.inputs, p.outputs, p.slots, passes, options.helperThread ?? true);
  }

  /** Inference outputs for rows [0, n) of `x` and `state` (as model.predict), in fresh arrays. */
  predict(x: Float32Array, state: Float32Array, n: number): HeadOutputs {
    const step = this.begin(x, state, n, false);
    try {
      for (const b of this.blocks) b.forward(step);
      const out: HeadOutputs = {};
      for (const { name, slot } of this.outputs) out[name] = Float32Array.from(slot.data);
      return out;
    } finally {
      this.end(step);
    }
  }

  /**
   * One optimiser step on rows [0, n) of `x` (n × features) and `state` (n × state size): forward in training mode,
   * `loss` for the output gradients, backward, the optimiser on every trainable weight, moving averages written.
   * Returns the loss.
   */
  step(x: Float32Array, state: Float32Array, n: number, loss: LossGradient, optimizer: ArrayGradientOptimizer): number {
    const step = this.begin(x, state, n, true);
    try {
      for (const b of this.blocks) b.forward(step);
      const out: HeadOutputs = {};
      const grad: HeadOutputs = {};
      for (const { name, slot } of this.outputs) {
        out[name] = slot.data;
        grad[name] = new Float32Array(slot.data.length);
      }
      const value = loss(out, grad, n);
      for (const { name, slot } of this.outputs) slot.grad = grad[name];
      for (let i = this.blocks.length - 1; i >= 0; i--) this.blocks[i].backward(step);
      for (const collect of step.pending?.splice(0) ?? []) collect();
      optimizer.applyGradientArrays(step.grads);
      for (const { variable, values } of step.updates) {
        const t = tf.tensor(values, variable.shape as number[], 'float32');
        variable.write(t);
        t.dispose();
      }
      return value;
    } finally {
      this.end(step);
    }
  }

  private begin(x: Float32Array, state: Float32Array, n: number, training: boolean): Step {
    const [main, st] = this.inputs;
    if (x.length < n * main.width) throw new Error(`block trainer: ${x.length} inputs for ${n} rows of ${main.width}`);
    if (st && state.length < n * st.width)
      throw new Error(`block trainer: ${state.length} state values for ${n} rows of ${st.width}`);
    this.passes.reset();
    this.passes.reserve(this.blocks.reduce((sum, b) => sum + b.need(n), 0));
    for (const slot of this.slots) {
      slot.tensor = undefined;
      slot.grad = undefined;
    }
    main.data = x.subarray(0, n * main.width);
    if (st) st.data = state.subarray(0, n * st.width);
    const pending = training && this.helper ? [] : undefined;
    return { n, training, passes: this.passes, held: [], grads: [], updates: [], ...(pending ? { pending } : {}) };
  }

  private end(step: Step): void {
    // after a failed step too: the helper thread's job is waited for before its buffers are reused
    for (const collect of step.pending?.splice(0) ?? []) collect();
    tf.dispose(step.held);
    for (const slot of this.slots) slot.tensor = undefined;
  }
}

/** Why `model` cannot use the JS trainer (for logs and tests), or undefined when it can. */
export function blockTrainerUnsupported(model: tf.LayersModel): string | undefined {
  const p = parse(model);
  return typeof p === 'string' ? p : undefined;
}
