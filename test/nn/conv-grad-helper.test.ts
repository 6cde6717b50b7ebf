/**
 * The helper thread (src/nn/conv-grad-helper.ts): cnnrnn training steps with the widest image block's weight gradient
 * on the second core give the same weights as steps on the main thread alone, and leave no tensor behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { buildNetwork, type NetworkSpec } from '../../src/nn/index.ts';
import { BlockTrainer } from '../../src/nn/block-trainer.ts';
import { convGradHelper, helperReady } from '../../src/nn/conv-grad-helper.ts';
import type { ArrayGradient, ArrayGradientOptimizer } from '../../src/nn/adam.ts';
import { Rng } from '../../src/core/random.ts';
import { assertClose, squared } from './grad-check.ts';

await initBackend('wasm');

/** Plain SGD that keeps each step's gradients by the weight's place in the model. */
class RecordingSgd implements ArrayGradientOptimizer {
  readonly steps: Map<number, Float32Array>[] = [];

  constructor(private readonly model: tf.LayersModel) {}

  applyGradientArrays(entries: readonly ArrayGradient[]): void {
    const vars = this.model.weights.map((w) => w.read());
    this.steps.push(new Map(entries.map((e) => [vars.indexOf(e.variable), e.grad.slice()])));
    for (const { variable, grad } of entries) {
      const x = variable.dataSync() as Float32Array;
      const t = tf.tensor(
        x.map((v, i) => v - 0.05 * grad[i]),
        variable.shape,
      );
      variable.assign(t);
      t.dispose();
    }
  }
}

test('helper thread: the same weights as the main thread alone, numTensors flat', async () => {
  assert.ok(await helperReady(), 'the helper thread started its backend');
  // 3 frames of 32×30, 4 then 8 filters: the second block's im2col rows (batch 32) pass the helper's threshold
  const spec: NetworkSpec = {
    kind: 'cnnrnn',
    window: 0,
    features: 0,
    image: { frames: 3, height: 32, width: 30, channels: 1 },
    hidden: [4, 8],
    rnnUnits: 8,
    embedding: 16,
    stateSize: 2,
    heads: { value: 1, policy: 3 },
    seed: 11,
  };
  const [a, b] = [buildNetwork(spec), buildNetwork(spec)];
  const withHelper = BlockTrainer.tryCreate(a)!,
    alone = BlockTrainer.tryCreate(b, { helperThread: false })!;
  const rng = new Rng(4);
  const n = 32;
  const x = Float32Array.from({ length: n * 3 * 32 * 30 }, () => rng.normal());
  const state = Float32Array.from({ length: n * 2 }, () => rng.normal());
  const [oa, ob] = [new RecordingSgd(a), new RecordingSgd(b)];
  const before = tf.memory().numTensors;
  const jobs = convGradHelper().done;
  for (let i = 0; i < 3; i++) {
    const la = withHelper.step(x, state, n, squared, oa);
    const lb = alone.step(x, state, n, squared, ob);
    assert.ok(Math.abs(la - lb) <= 1e-6 * (1 + Math.abs(lb)), `loss at step ${i}: ${la} vs ${lb}`);
  }
  // per step: half of each block's forward convolution, and the second block's weight gradient
  assert.equal(convGradHelper().done - jobs, 9, 'three jobs a step on the helper');
  assert.equal(tf.memory().numTensors, before, 'numTensors flat');
  oa.steps.forEach((grads, i) => {
    assert.deepEqual([...grads.keys()].sort(), [...ob.steps[i].keys()].sort(), `the same weights at step ${i}`);
    for (const [w, g] of ob.steps[i])
      assertClose(grads.get(w)!, g, `step ${i}: gradient of ${a.weights[w].name}`, 1e-6);
  });
  a.weights.forEach((w, i) =>
    assertClose(w.read().dataSync() as Float32Array, b.weights[i].read().dataSync() as Float32Array, w.name, 1e-6),
  );
  a.dispose();
  b.dispose();
});
