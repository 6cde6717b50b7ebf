import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildNetwork, compileFastForward, type NetworkSpec } from '../../src/nn/index.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { Rng } from '../../src/core/random.ts';
import { inputShape, inputSize, label, lossOf, randomArray, randomBatch, tinySpecs } from './helpers.ts';

await initBackend('wasm');

function tfPredict(
  model: tf.LayersModel,
  spec: NetworkSpec,
  input: Float32Array,
  state: Float32Array | undefined,
): Float32Array[] {
  return tf.tidy(() => {
    const xs = [tf.tensor(input, [1, ...inputShape(spec)])];
    if (state) xs.push(tf.tensor(state, [1, state.length]));
    const out = model.predict(xs);
    return (Array.isArray(out) ? out : [out]).map((t) => Float32Array.from(t.dataSync() as Float32Array));
  });
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A few training steps so batch-norm statistics and weights are no longer their initial constants. */
function train(model: tf.LayersModel, spec: NetworkSpec, steps: number, seed: number): void {
  const { xs, ys } = randomBatch(spec, 8, seed);
  const opt = tf.train.adam(0.05);
  for (let i = 0; i < steps; i++)
    tf.tidy(() => {
      opt.minimize(() => lossOf(model, xs, ys, true));
    });
  tf.dispose([...xs, ...ys]);
  opt.dispose();
}

const variants: NetworkSpec[] = [
  ...tinySpecs(3),
  {
    kind: 'dnn',
    window: 5,
    features: 3,
    stateSize: 0,
    heads: { value: 3 },
    hidden: [7, 5],
    activation: 'relu',
    batchNorm: false,
    seed: 4,
  },
  {
    kind: 'cnn',
    window: 7,
    features: 3,
    stateSize: 2,
    heads: { policy: 3 },
    hidden: [4, 3, 2],
    activation: 'tanh',
    seed: 5,
  },
  {
    kind: 'lstm',
    window: 5,
    features: 3,
    stateSize: 0,
    heads: { policy: 3 },
    hidden: [4, 3, 2],
    batchNorm: false,
    seed: 6,
  },
  {
    kind: 'cnnrnn',
    window: 0,
    features: 0,
    stateSize: 0,
    heads: { value: 1 },
    image: { frames: 3, height: 6, width: 4, channels: 2 },
    hidden: [2],
    rnn: 'lstm',
    rnnUnits: 2,
    seed: 8,
  },
];

for (const spec of variants) {
  test(`fast forward equals model.predict for ${label(spec)} (${spec.hidden?.join('-')}, state ${spec.stateSize}), and \
sync() follows training`, () => {
    const model = buildNetwork(spec);
    train(model, spec, 3, 1);
    const ff = compileFastForward(model, spec);
    const rng = new Rng(spec.seed);
    const probe = () => ({
      input: randomArray(inputSize(spec), rng),
      state: spec.stateSize ? randomArray(spec.stateSize, rng) : undefined,
    });
    const check = (input: Float32Array, state: Float32Array | undefined) => {
      const expected = tfPredict(model, spec, input, state);
      const got = ff.predict(input, state);
      const outs = model.outputNames.map((n) => (n === 'value' ? got.value : got.policy));
      outs.forEach((o, i) =>
        assert.ok(
          o && maxDiff(o, expected[i]) < 1e-5,
          `${model.outputNames[i]}: ${o ? maxDiff(o, expected[i]) : 'missing'}`,
        ),
      );
    };
    for (let k = 0; k < 5; k++) {
      const { input, state } = probe();
      check(input, state);
    }
    const { input, state } = probe();
    const before = model.outputNames.map((n) =>
      Float32Array.from((n === 'value' ? ff.predict(input, state).value : ff.predict(input, state).policy)!),
    );
    train(model, spec, 3, 2);
    if (spec.kind !== 'cnnrnn') {
      const stale = ff.predict(input, state);
      assert.deepEqual(
        model.outputNames.map((n) => Float32Array.from((n === 'value' ? stale.value : stale.policy)!)),
        before,
        'without sync the old weights are used',
      );
    }
    ff.sync();
    check(input, state);
    ff.dispose();
    model.dispose();
  });
}

test('wrong input or state sizes are refused', () => {
  const spec = tinySpecs()[0];
  const model = buildNetwork(spec);
  const ff = compileFastForward(model, spec);
  assert.throws(() => ff.predict(new Float32Array(3), new Float32Array(3)), /input has 3 values, the network wants 24/);
  assert.throws(() => ff.predict(new Float32Array(24), undefined), /state has 0 values, the network wants 3/);
  model.dispose();
});

test('fast forward allocates no tensors', () => {
  const spec = tinySpecs()[1];
  const model = buildNetwork(spec);
  const ff = compileFastForward(model, spec);
  const before = tf.memory().numTensors;
  const input = new Float32Array(inputSize(spec)).fill(0.5),
    state = new Float32Array(3);
  for (let i = 0; i < 100; i++) ff.predict(input, state);
  ff.sync();
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
