/**
 * cnnrnn's frame cache (src/nn/frame-cache.ts): over consecutive candles of real rendered chart sequences it runs the
 * convolutions on one new frame per call and answers as the uncached block inference does; a weight change empties it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { buildNetwork } from '../../src/nn/index.ts';
import { BlockTrainer } from '../../src/nn/block-trainer.ts';
import { FrameCache } from '../../src/nn/frame-cache.ts';
import { JsAdam } from '../../src/nn/adam.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { createImageRenderer, parseImageSpec } from '../../src/chart/index.ts';
import { Rng } from '../../src/core/random.ts';
import { assertClose, squared } from './grad-check.ts';

await initBackend('wasm');

const FRAMES = 4;
const renderer = createImageRenderer(parseImageSpec('ohlc:32x15:5'));
const candles = syntheticCandles({ seed: 3, count: 200, gapProbability: 0 });
const frameSize = 32 * 15;

function sequenceAt(t: number): Float32Array {
  const out = new Float32Array(FRAMES * frameSize);
  renderer.renderSequence(candles, t, FRAMES, out);
  return out;
}

test('frame cache: one new frame per candle, outputs as the uncached block inference, emptied by training', () => {
  const model = buildNetwork({
    kind: 'cnnrnn',
    window: 0,
    features: 0,
    image: { frames: FRAMES, height: 32, width: 15, channels: 1 },
    hidden: [4, 8],
    rnnUnits: 8,
    embedding: 16,
    stateSize: 2,
    heads: { value: 1, policy: 3 },
    seed: 5,
  });
  const trainer = BlockTrainer.tryCreate(model)!;
  const cache = FrameCache.tryCreate(model);
  assert.ok(trainer && cache, 'both engines build for cnnrnn');
  const rng = new Rng(9);
  const optimizer = new JsAdam(1e-2);
  const batch = 6;
  const trainX = new Float32Array(batch * FRAMES * frameSize),
    trainState = Float32Array.from({ length: batch * 2 }, () => rng.normal());
  for (let i = 0; i < batch; i++) trainX.set(sequenceAt(40 + 7 * i), i * FRAMES * frameSize);
  // moving statistics away from their initial values, so inference batch norm is not the identity
  for (let i = 0; i < 3; i++) trainer.step(trainX, trainState, batch, squared, optimizer);
  const before = tf.memory().numTensors;
  const check = (t: number): void => {
    const x = sequenceAt(t),
      state = Float32Array.from([Math.sin(t), Math.cos(t)]);
    const ours = cache!.predict(x, state);
    const theirs = trainer.predict(x, state, 1);
    assertClose(ours.value!, theirs.value!, `value at ${t}`, 1e-5);
    assertClose(ours.policy!, theirs.policy!, `policy at ${t}`, 1e-5);
  };
  for (let t = 100; t < 110; t++) check(t);
  assert.equal(cache!.misses, FRAMES + 9, 'all frames at the first candle, then one per candle');
  assert.equal(cache!.hits, 9 * (FRAMES - 1));
  assert.equal(tf.memory().numTensors, before, 'numTensors flat');
  // training writes new weights: the next call recomputes every frame, and still agrees
  trainer.step(trainX, trainState, batch, squared, optimizer);
  check(110);
  assert.equal(cache!.misses, FRAMES + 9 + FRAMES, 'a weight change empties the cache');
  model.dispose();
});
