/** A layer's weights by their leaf name (kernel, bias, gamma, moving_mean, …), and batch norm at inference. */
import type * as tf from '@tensorflow/tfjs';

function leafName(w: tf.LayerVariable): string {
  return w.originalName.split('/').pop() ?? w.originalName;
}

export function weightOf(layer: tf.layers.Layer, name: string): tf.LayerVariable | undefined {
  return layer.weights.find((w) => leafName(w) === name);
}

/** A weight's current values (read from the backend now), or undefined when the layer has none by that name. */
export function weightValues(layer: tf.layers.Layer, name: string): Float32Array | undefined {
  return weightOf(layer, name)?.read().dataSync() as Float32Array | undefined;
}

/** A BatchNormalization layer at inference as y = x·scale + shift per channel, from its moving statistics. */
export function inferenceAffine(
  bn: tf.layers.Layer,
  channels: number,
  scale: Float32Array = new Float32Array(channels),
  shift: Float32Array = new Float32Array(channels),
): [Float32Array, Float32Array] {
  const eps = (bn.getConfig() as { epsilon: number }).epsilon;
  const gamma = weightValues(bn, 'gamma');
  const beta = weightValues(bn, 'beta');
  const mean = weightValues(bn, 'moving_mean')!;
  const variance = weightValues(bn, 'moving_variance')!;
  for (let c = 0; c < channels; c++) {
    const k = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + eps);
    scale[c] = k;
    shift[c] = (beta ? beta[c] : 0) - mean[c] * k;
  }
  return [scale, shift];
}
