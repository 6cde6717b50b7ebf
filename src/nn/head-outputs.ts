/**
 * What a network's heads put out, as arrays (JS engines) or tensors (tfjs): the shape every engine and learner shares.
 */
import type * as tf from '@tensorflow/tfjs';

/** Network outputs for one or more observations: row-major [batch × n] per head. */
export interface HeadOutputs {
  value?: Float32Array;
  policy?: Float32Array;
}

export interface HeadTensors {
  value?: tf.Tensor2D;
  policy?: tf.Tensor2D;
}
