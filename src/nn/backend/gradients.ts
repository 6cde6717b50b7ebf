/**
 * Gradients registered over tfjs's own. A leaner gradient for FusedBatchNorm (tf.batchNorm, used by every batch-norm
 * layer). tfjs 4.22 builds dL/dx with tile(rsqrt(variance + ε), x.shape) before multiplying; broadcasting gives the
 * same numbers without materialising that tile, which on wasm was the largest single cost of a cnnrnn training step
 * (0.75 s of 2.2 s, measured). The other four gradients are tfjs's own formulas. Equality with tfjs's original is
 * tested in test/nn/gradients.test.ts. And Unpack's (tf.unstack), which fails for a single slice
 * (registerUnpackGradient).
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs';

let original: GradConfig | undefined;

function leanGradFunc(
  dy: tf.Tensor | tf.Tensor[],
  saved: tf.Tensor[],
  attrs: NamedAttrMap,
): Record<string, () => tf.Tensor> {
  const g = Array.isArray(dy) ? dy[0] : dy;
  const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
  const [x, mean, variance, scale] = saved;
  const scaleValue = scale == null ? tf.scalar(1) : scale;
  const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
  const reduce = (t: tf.Tensor) => (mean.rank === 1 ? tf.sum(t, reductionAxes) : t);
  const xMinusMean = tf.sub(x, mean);
  const dyTimesScale = tf.mul(g, scaleValue);
  const oneOverSqrtVariance = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
  const minusHalfRCube = tf.mul(
    tf.mul(tf.mul(oneOverSqrtVariance, oneOverSqrtVariance), oneOverSqrtVariance),
    tf.scalar(-0.5),
  );
  return {
    x: () => tf.reshape(tf.mul(tf.mul(g, oneOverSqrtVariance), scaleValue), x.shape),
    mean: () => tf.reshape(reduce(tf.mul(tf.mul(oneOverSqrtVariance, tf.scalar(-1)), dyTimesScale)), mean.shape),
    variance: () => tf.reshape(reduce(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScale)), mean.shape),
    scale: () => tf.reshape(reduce(tf.mul(g, tf.mul(xMinusMean, oneOverSqrtVariance))), mean.shape),
    offset: () => tf.reshape(reduce(g), mean.shape),
  };
}

/** tfjs's own FusedBatchNorm gradient, as it was before registerLeanGradients replaced it. */
export function originalBatchNormGradient(): GradConfig | undefined {
  return original ?? tf.getGradient(tf.FusedBatchNorm);
}

/** Replaces tfjs's FusedBatchNorm gradient by the lean one, once, for every backend. */
export function registerLeanGradients(): void {
  if (original) return;
  original = tf.getGradient(tf.FusedBatchNorm);
  tf.registerGradient({
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: leanGradFunc,
  });
}

export const leanBatchNormGradFunc = leanGradFunc;

/**
 * tfjs 4.22's Unpack gradient is stack(dy), but its engine hands an op with one output a tensor, not an array, so the
 * gradient through tf.unstack of a length-1 axis throws "Argument tensors passed to stack must be a Tensor[]". Every
 * recurrent layer unstacks its sequence: a stacked LSTM/GRU over a window of 1 candle, or cnnrnn over 1 frame on the
 * tape, could not train. Same formula, with the single dy wrapped.
 */
export function registerUnpackGradient(): void {
  tf.registerGradient({
    kernelName: tf.Unpack,
    gradFunc: (dy, _saved, attrs) => {
      const { axis } = attrs as unknown as { axis: number };
      return { value: () => tf.stack(Array.isArray(dy) ? dy : [dy], axis) };
    },
  });
}
