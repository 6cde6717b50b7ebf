import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildNetwork, resolveSpec, type NetworkSpec } from '../../src/nn/index.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { inputShape, label, lossOf, randomBatch, tinySpecs } from './helpers.ts';

await initBackend('wasm');

function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
}

test('defaults: the dnn is RLTrader-shaped 256-128-64-32 with batch norm and dropout', () => {
  const s = resolveSpec({ kind: 'dnn', window: 1, features: 28, stateSize: 3, heads: { policy: 3 }, seed: 1 });
  assert.deepEqual(s.hidden, [256, 128, 64, 32]);
  assert.equal(s.batchNorm, true);
  assert.ok(s.dropout > 0);
  const model = buildNetwork(s);
  const classes = model.layers.map((l) => l.getClassName());
  assert.equal(classes.filter((c) => c === 'BatchNormalization').length, 4);
  assert.equal(classes.filter((c) => c === 'SeededDropout').length, 4);
  assert.deepEqual(
    model.layers.filter((l) => l.getClassName() === 'Dense').map((l) => (l.getConfig() as { units: number }).units),
    [256, 128, 64, 32, 3],
  );
  model.dispose();
});

for (const spec of tinySpecs()) {
  test(`${label(spec)}: inputs [main, state], outputs [value, policy], softmax policy, state changes the \
output`, () => {
    const model = buildNetwork(spec);
    assert.deepEqual(
      model.inputs.map((i) => i.shape),
      [
        [null, ...inputShape(spec)],
        [null, spec.stateSize],
      ],
    );
    assert.deepEqual(model.outputNames, ['value', 'policy']);
    assert.deepEqual(
      model.outputs.map((o) => o.shape),
      [
        [null, 1],
        [null, 3],
      ],
    );
    const { xs } = randomBatch(spec, 4, 1);
    const [value, policy] = model.predict(xs) as tf.Tensor[];
    const p = policy.arraySync() as number[][];
    for (const row of p) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5 && row.every((v) => v >= 0));
    const otherState = tf.add(xs[1], 1);
    const [value2] = model.predict([xs[0], otherState]) as tf.Tensor[];
    assert.notDeepEqual(value.dataSync(), value2.dataSync(), 'the agent state reaches the heads');
    tf.dispose([...xs, value, policy, value2, otherState]);
    model.dispose();
  });

  test(`${label(spec)}: same seed → same weights and predictions; other seed → different`, () => {
    const a = buildNetwork(spec),
      b = buildNetwork(spec),
      c = buildNetwork({ ...spec, seed: spec.seed + 1 });
    assert.deepEqual(weightsOf(a), weightsOf(b));
    assert.notDeepEqual(weightsOf(a), weightsOf(c));
    const { xs } = randomBatch(spec, 3, 2);
    const pa = (a.predict(xs) as tf.Tensor[]).map((t) => t.arraySync());
    const pb = (b.predict(xs) as tf.Tensor[]).map((t) => t.arraySync());
    assert.deepEqual(pa, pb);
    tf.dispose(xs);
    [a, b, c].forEach((m) => m.dispose());
  });

  test(`${label(spec)}: trains on wasm (loss falls on a fixed batch)`, async () => {
    assert.equal(tf.getBackend(), 'wasm');
    const model = buildNetwork({ ...spec, dropout: 0 });
    const { xs, ys } = randomBatch(spec, 8, 3);
    const optimizer = tf.train.adam(0.02);
    const first = tf.tidy(() => lossOf(model, xs, ys, true).dataSync()[0]);
    for (let i = 0; i < 25; i++)
      tf.tidy(() => {
        optimizer.minimize(() => lossOf(model, xs, ys, true));
      });
    const last = tf.tidy(() => lossOf(model, xs, ys, true).dataSync()[0]);
    assert.ok(Number.isFinite(last) && last < first * 0.9, `loss ${first} → ${last}`);
    tf.dispose([...xs, ...ys]);
    optimizer.dispose();
    model.dispose();
  });
}

test('one head only, no state input; value-only and policy-only', () => {
  const base: NetworkSpec = {
    kind: 'dnn',
    window: 3,
    features: 2,
    stateSize: 0,
    heads: { value: 3 },
    hidden: [4],
    seed: 1,
  };
  const v = buildNetwork(base);
  assert.equal(v.inputs.length, 1);
  assert.deepEqual(v.outputNames, ['value']);
  const p = buildNetwork({ ...base, heads: { policy: 3 } });
  assert.deepEqual(p.outputNames, ['policy']);
  v.dispose();
  p.dispose();
});

test('a bad spec is a clear error', () => {
  const base: NetworkSpec = { kind: 'dnn', window: 3, features: 2, stateSize: 0, heads: { value: 1 }, seed: 1 };
  assert.throws(() => buildNetwork({ ...base, heads: {} }), /at least one head/);
  assert.throws(() => buildNetwork({ ...base, window: 0 }), /window and features/);
  assert.throws(() => buildNetwork({ ...base, kind: 'cnnrnn' }), /cnnrnn needs image/);
  assert.throws(() => buildNetwork({ ...base, dropout: 1 }), /dropout/);
});
