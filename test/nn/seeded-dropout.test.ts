/** SeededDropout (src/nn/seeded-dropout.ts): tfjs Dropout's numbers, but a seed fixes the masks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { SeededDropout, dropoutSeed } from '../../src/nn/seeded-dropout.ts';

await initBackend('wasm');

const ones = () => tf.ones([200, 50]);

test('training drops about `rate` of the values and scales the rest by 1/(1 − rate); inference is the identity', () => {
  const before = tf.memory().numTensors;
  const layer = new SeededDropout({ rate: 0.2, seed: 7 });
  const x = ones();
  const y = layer.apply(x, { training: true }) as tf.Tensor;
  const v = y.dataSync();
  const kept = v.filter((a) => a !== 0);
  assert.ok(Math.abs(kept.length / v.length - 0.8) < 0.02, `kept ${kept.length / v.length}`);
  for (const a of kept) assert.ok(Math.abs(a - 1.25) < 1e-6);
  const z = layer.apply(x, { training: false }) as tf.Tensor;
  assert.deepEqual(Array.from(z.dataSync()), Array.from(x.dataSync()));
  tf.dispose([x, y, z]);
  assert.equal(tf.memory().numTensors, before);
});

test('the same seed gives the same masks, another seed other masks; the gradient is the mask', () => {
  const masks = (seed: number) => {
    const layer = new SeededDropout({ rate: 0.5, seed });
    return [0, 1].map(() =>
      tf.tidy(() => Array.from((layer.apply(ones(), { training: true }) as tf.Tensor).dataSync())),
    );
  };
  const a = masks(3),
    b = masks(3),
    c = masks(4);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0], a[1], 'successive calls draw new masks');
  assert.notDeepEqual(a[0], c[0]);
  assert.notEqual(dropoutSeed(1, 'drop_1'), dropoutSeed(1, 'drop_2'));
  const layer = new SeededDropout({ rate: 0.5, seed: 9 });
  tf.tidy(() => {
    const x = tf.fill([4, 30], 3);
    const probe = new SeededDropout({ rate: 0.5, seed: 9 });
    const mask = (probe.apply(tf.ones([4, 30]), { training: true }) as tf.Tensor).dataSync();
    const g = tf
      .grad((t: tf.Tensor) => tf.sum(layer.apply(t, { training: true }) as tf.Tensor))(x)
      .dataSync();
    assert.deepEqual(Array.from(g), Array.from(mask));
  });
});

test('a model with SeededDropout serializes and loads back', async () => {
  const input = tf.input({ shape: [6] });
  const out = new SeededDropout({ rate: 0.3, seed: 5, name: 'drop' }).apply(
    tf.layers.dense({ units: 4 }).apply(input) as tf.SymbolicTensor,
  ) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(
      async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }),
    ),
  );
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  const layer = loaded.getLayer('drop') as SeededDropout;
  assert.equal(layer.getClassName(), 'SeededDropout');
  assert.equal(layer.rate, 0.3);
  assert.equal(layer.seed, 5);
  model.dispose();
  loaded.dispose();
});
