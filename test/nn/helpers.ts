import * as tf from '@tensorflow/tfjs';
import type { NetworkSpec } from '../../src/nn/index.ts';
import { Rng } from '../../src/core/random.ts';

/** Tiny specs of every kind, fast enough for many steps in tests. */
export function tinySpecs(seed = 7): NetworkSpec[] {
  const base = { window: 6, features: 4, stateSize: 3, heads: { value: 1, policy: 3 }, seed };
  return [
    { ...base, kind: 'dnn', hidden: [8, 4] },
    { ...base, kind: 'lstm', hidden: [6, 4] },
    { ...base, kind: 'lstm', rnn: 'gru', hidden: [5] },
    { ...base, kind: 'cnn', hidden: [6, 4] },
    { ...base, kind: 'cnnrnn', image: { frames: 2, height: 8, width: 6, channels: 1 }, hidden: [2], rnnUnits: 3 },
  ];
}

export function label(spec: NetworkSpec): string {
  return spec.kind === 'lstm' && spec.rnn === 'gru' ? 'lstm(gru)' : spec.kind;
}

export function inputSize(spec: NetworkSpec): number {
  const im = spec.image;
  return spec.kind === 'cnnrnn' && im ? im.frames * im.height * im.width * im.channels : spec.window * spec.features;
}

export function inputShape(spec: NetworkSpec): number[] {
  const im = spec.image;
  return spec.kind === 'cnnrnn' && im ? [im.frames, im.height, im.width, im.channels] : [spec.window, spec.features];
}

export function randomArray(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** A random batch: inputs in the network's order and targets for each head. */
export function randomBatch(spec: NetworkSpec, batch: number, seed: number): { xs: tf.Tensor[]; ys: tf.Tensor[] } {
  const rng = new Rng(seed);
  const xs = [tf.tensor(randomArray(batch * inputSize(spec), rng), [batch, ...inputShape(spec)])];
  if (spec.stateSize > 0) xs.push(tf.tensor(randomArray(batch * spec.stateSize, rng), [batch, spec.stateSize]));
  const ys: tf.Tensor[] = [];
  if (spec.heads.value) ys.push(tf.tensor(randomArray(batch * spec.heads.value, rng), [batch, spec.heads.value]));
  if (spec.heads.policy) {
    const idx = Array.from({ length: batch }, () => rng.int(spec.heads.policy!));
    ys.push(tf.oneHot(tf.tensor1d(idx, 'int32'), spec.heads.policy));
  }
  return { xs, ys };
}

/** The loss learners minimise, in their style: mean squared error on value + cross-entropy on policy. */
export function lossOf(model: tf.LayersModel, xs: tf.Tensor[], ys: tf.Tensor[], training: boolean): tf.Scalar {
  const out = model.apply(xs.length === 1 ? xs[0] : xs, { training }) as tf.Tensor | tf.Tensor[];
  const outs = Array.isArray(out) ? out : [out];
  let loss = tf.scalar(0);
  model.outputNames.forEach((name, i) => {
    const term =
      name === 'value'
        ? tf.losses.meanSquaredError(ys[i], outs[i])
        : tf.losses.softmaxCrossEntropy(ys[i], tf.log(tf.add(outs[i], 1e-7)));
    loss = tf.add(loss, term);
  });
  return loss as tf.Scalar;
}
