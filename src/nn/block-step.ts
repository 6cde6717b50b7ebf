/** The state one batch step of the block trainer shares between its blocks: row slots, the step, weight helpers. */
import * as tf from '@tensorflow/tfjs';
import type { ArrayGradient } from './adam.ts';
import type { ElementwisePasses } from './backend/elementwise-passes.ts';

/** Rows of one layer output for the current batch, the tensor the next product reads, and dLoss/d(output). */
export interface Slot {
  width: number;
  data: Float32Array;
  tensor: tf.Tensor2D | undefined;
  grad: Float32Array | undefined;
  /** Model inputs take no gradient. */
  isInput: boolean;
}

export interface Step {
  n: number;
  /** false: inference (batch norm from its moving statistics, no dropout, nothing kept for a backward pass). */
  training: boolean;
  /** Element-wise passes and this step's scratch arrays. */
  passes: ElementwisePasses;
  /** Tensors freed when the step ends. */
  held: tf.Tensor[];
  grads: ArrayGradient[];
  updates: { variable: tf.LayerVariable; values: Float32Array }[];
  /** Work a block handed to the helper thread: each call waits for it and adds its gradients (training steps only). */
  pending?: (() => void)[];
}

export type { LayerConfig } from './graph.ts';

/** The tf.Variable behind a layer weight (what the optimiser updates). */
export function variableOf(w: tf.LayerVariable): tf.Variable {
  return w.read() as tf.Variable;
}

export function tensorOf(slot: Slot, step: Step): tf.Tensor2D {
  if (!slot.tensor) {
    slot.tensor = tf.tensor2d(slot.data, [step.n, slot.width]);
    step.held.push(slot.tensor);
  }
  return slot.tensor;
}

export function addGrad(slot: Slot, src: Float32Array): void {
  if (!slot.grad) {
    slot.grad = src;
    return;
  }
  const g = slot.grad;
  for (let i = 0; i < g.length; i++) g[i] += src[i];
}

/** Batch statistics of a block's batch norm, kept from forward to backward. */
export interface NormState {
  mean: Float64Array;
  rstd: Float64Array;
  /** gamma · rstd per channel. */
  scale: Float64Array;
}
