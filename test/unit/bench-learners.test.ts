/**
 * The learners bench's DQN samples/s counts the batches the learner really trained in the timed second epoch: the
 * replay and step counter carry over from the first, so it trains from its first step, not after another warm-up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../helpers/state-dir.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { dqnSampleFigures } from '../../src/bench/groups/learners.ts';
import type { Figure } from '../../src/bench/table.ts';
import dqnDnn from '../../strategies/dqn-dnn.ts';

test('learners bench: DQN batches of the timed epoch are the learner’s own count', async () => {
  await initBackend('wasm');
  const rows: Omit<Figure, 'group'>[] = [];
  await dqnSampleFigures((f) => rows.push(f), 'dqn-dnn', syntheticCandles({ seed: 5, count: 800 }));
  const samples = rows.find((r) => r.figure === 'dqn-dnn training samples/s');
  assert.ok(samples && typeof samples.value === 'number' && samples.value > 0);
  const m = /^(\d+) env steps, (\d+) batches of \d+$/.exec(samples.note ?? '');
  assert.ok(m, samples.note);
  const steps = Number(m[1]);
  const trainEvery = (dqnDnn.recipe as { learner: { trainEvery: number } }).learner.trainEvery;
  // env steps run on over both epochs: the second trains at every multiple of trainEvery in (steps, 2 × steps]
  const expected = Math.floor((2 * steps) / trainEvery) - Math.floor(steps / trainEvery);
  assert.equal(Number(m[2]), expected);
  assert.notEqual(expected, Math.floor((steps - 64) / trainEvery), 'the case tells the old guess apart');
});
