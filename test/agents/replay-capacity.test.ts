/**
 * A DQN's replay under its memory cap (audit of chart images): the capacity it really has is exposed and logged, and a
 * learner.warmup it can never reach is refused in one line when the recipe loads and when the learner is built, not
 * after minutes of training that cannot update the network.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '../helpers/state-dir.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { checkRecipe, type AgentRecipe } from '../../src/agents/recipe.ts';
import { createLearner, networkSpec, prepareData } from '../../src/agents/setup.ts';
import type { DqnLearner } from '../../src/agents/learners/dqn.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import cnnrnnDqn from '../../strategies/cnnrnn-dqn.ts';

before(async () => {
  await initBackend('wasm');
});

/** strategies/cnnrnn-dqn.ts with another image and replay, as the audit ran it. */
function imageRecipe(spec: string, frames: number, warmup: number): AgentRecipe {
  const base = cnnrnnDqn.recipe as AgentRecipe;
  const learner = { ...base.learner, replayCapacity: 50_000, warmup } as AgentRecipe['learner'];
  return { ...base, image: { spec, frames }, learner };
}

/** The recipe's learner on its network, as a fold builds it; `lines` hears what it logs. */
function build(recipe: AgentRecipe, lines: string[]) {
  const prepared = prepareData(recipe, syntheticCandles({ seed: 5, count: 20 }), { from: 0, to: 20 });
  return createLearner(recipe, networkSpec(recipe, prepared, 1), 1, (line) => lines.push(line));
}

test(`a learner.warmup above what the memory-capped replay holds is refused in one line when the recipe loads (before \
any data) and when the learner is built, not after training; no tensor is left behind`, () => {
  // 96×180 images × 10 frames: 50,000 transitions capped at 388 by the 512 MiB replay; warm-up 512 is never reached
  const recipe = imageRecipe('ohlc:96x180:60', 10, 512);
  const refusal =
    'recipe.learner.warmup 512 is more than the replay holds (388 transitions: learner.replayCapacity 50000 capped ' +
    "by the replay's 512 MiB memory cap at 172803 numbers per observation), so the DQN would never learn: give a " +
    'learner.warmup of at most 388';
  assert.throws(() => checkRecipe('audit.ts', recipe), { name: 'UserError', message: `audit.ts: ${refusal}` });
  // a warm-up above learner.replayCapacity itself: the same line, no cap to name
  assert.throws(
    () =>
      checkRecipe('big.ts', {
        ...recipe,
        image: { spec: 'ohlc:32x15:5', frames: 5 },
        learner: { kind: 'dqn', replayCapacity: 4000, warmup: 5000 },
      }),
    /^UserError: big\.ts: recipe\.learner\.warmup 5000 is more than the replay holds \(4000 transitions: \S+\), so/,
  );
  // the learner built without the recipe check (a recipe from elsewhere) refuses too, and frees its network
  const tensors = tf.memory().numTensors;
  assert.throws(() => build(recipe, []), { name: 'UserError', message: refusal.slice('recipe.'.length) });
  assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
});

test('a replay capped by its memory cap says so in one line (from → to, and why) and exposes what it holds', () => {
  // JKX's 20-day image (64×60) × 5 frames: 50,000 asked, 3,494 held; warm-up 512 fits
  const recipe = checkRecipe('jkx.ts', imageRecipe('ohlc:64x60:20', 5, 512));
  const lines: string[] = [];
  const tensors = tf.memory().numTensors;
  const learner = build(recipe, lines) as DqnLearner;
  try {
    assert.equal(learner.replayCapacity, 3494);
    assert.deepEqual(lines, [
      "DQN replay holds 3494 transitions, not learner.replayCapacity 50000: the replay's 512 MiB memory cap at " +
        '19203 numbers per observation',
    ]);
  } finally {
    learner.dispose();
    learner.net.dispose();
  }
  assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
  // the shipped recipe's replay (4,000 of 32×15 × 5 frames) is not capped: nothing said
  const quiet: string[] = [];
  const shipped = build(cnnrnnDqn.recipe as AgentRecipe, quiet) as DqnLearner;
  assert.equal(shipped.replayCapacity, 4000);
  assert.deepEqual(quiet, []);
  shipped.dispose();
  shipped.net.dispose();
});
