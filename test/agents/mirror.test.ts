/**
 * Mirror augmentation (issue 13, round ten; src/agents/mirror.ts): the inverted market negates every log return and
 * keeps candles well-formed; an agent trained with it never looks ahead (rewriting every candle after the validation
 * window leaves its weights, epoch, margin and validation decisions unchanged), and the option changes training.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import type { Candles } from '../../src/core/candles.ts';
import { UserError } from '../../src/core/errors.ts';
import { mirrorCandles } from '../../src/agents/mirror.ts';
import { checkRecipe, type AgentRecipe } from '../../src/agents/recipe.ts';
import type { Fold } from '../../src/agents/splits.ts';
import { SMALL_RECIPE } from '../trading/agents.ts';
import { learned, rewriteAfter, trainQuietly } from './helpers.ts';

before(async () => {
  await initBackend('wasm');
});

test('the mirror negates every log return, swaps high and low, keeps the pivot price, times and volumes', () => {
  const c = syntheticCandles({ seed: 8, count: 300, timeframe: '1d', start: Date.UTC(2020, 0, 1) });
  const before = structuredClone(c);
  const pivot = c.close[40];
  const m = mirrorCandles(c, pivot);
  assert.deepEqual(c, before, 'the input is untouched');
  assert.ok(Math.abs(m.close[40] - pivot) < 1e-9 * pivot, 'a candle at the pivot keeps its price');
  assert.deepEqual(Array.from(m.ts), Array.from(c.ts));
  assert.deepEqual(Array.from(m.volume), Array.from(c.volume));
  for (let i = 1; i < c.close.length; i++) {
    const real = Math.log(c.close[i] / c.close[i - 1]);
    const mirrored = Math.log(m.close[i] / m.close[i - 1]);
    assert.ok(Math.abs(real + mirrored) < 1e-12, `log return ${i}: ${real} and ${mirrored}`);
    assert.ok(Math.abs(Math.log(m.open[i] / m.close[i - 1]) + Math.log(c.open[i] / c.close[i - 1])) < 1e-12);
  }
  for (let i = 0; i < c.close.length; i++) {
    assert.ok(m.low[i] <= Math.min(m.open[i], m.close[i]) && m.high[i] >= Math.max(m.open[i], m.close[i]), `${i}`);
    assert.ok(Math.abs(m.high[i] * c.low[i] - pivot * pivot) < 1e-6 * pivot * pivot, `high ${i} is the low's mirror`);
  }
  assert.throws(() => mirrorCandles(c, 0), /mirror pivot must be a positive price/);
});

test('a bad augment option stops with one line naming the key', () => {
  const bad = { ...SMALL_RECIPE, augment: { mirror: 'yes' } } as unknown as AgentRecipe;
  assert.throws(
    () => checkRecipe('strategies/x.ts', bad),
    (e: unknown) => e instanceof UserError && /recipe\.augment\.mirror/.test(e.message) && !e.message.includes('\n'),
  );
  const unknown = { ...SMALL_RECIPE, augment: { flip: true } } as unknown as AgentRecipe;
  assert.throws(() => checkRecipe('strategies/x.ts', unknown), /recipe\.augment\.flip: unknown key/);
  assert.equal(checkRecipe('strategies/x.ts', { ...SMALL_RECIPE, augment: { mirror: true } }).augment?.mirror, true);
});

const CANDLES = syntheticCandles({ seed: 5, count: 640, timeframe: '1h', start: Date.UTC(2024, 0, 1) });
const FOLD: Fold = {
  index: 0,
  train: { from: 130, to: 440 },
  validation: { from: 440, to: 540 },
  test: { from: 540, to: 640 },
};

function recipe(mirror: boolean): AgentRecipe {
  return {
    ...SMALL_RECIPE,
    learner: { ...SMALL_RECIPE.learner, warmup: 64, batchSize: 32, trainEvery: 8 } as AgentRecipe['learner'],
    decision: { margins: [0, 0.4] },
    selection: { windows: 2, purge: 4, embargo: 4, turnoverCost: 1 },
    ...(mirror ? { augment: { mirror: true } } : {}),
  };
}

/** Trains a small DQN (seed 2, 2 epochs) on FOLD and reads its weights, choice and decisions. */
async function train(candles: Candles, mirror: boolean) {
  const agent = await trainQuietly({
    recipe: recipe(mirror),
    name: 'mirrored',
    candles,
    fold: FOLD,
    seed: 2,
    epochs: 2,
  });
  try {
    return {
      ...learned(agent),
      validation: agent.split.validation.map((w) => Array.from(agent.backtest(w).actions)),
      test: Array.from(agent.backtest(FOLD.test).actions),
    };
  } finally {
    agent.dispose();
  }
}

test('training on the mirror does not look ahead: a rewritten future leaves weights, choice and validation \
decisions', async () => {
  const a = await train(CANDLES, true);
  const b = await train(rewriteAfter(CANDLES, FOLD.validation.to - 1), true);
  assert.deepEqual(b.weights, a.weights, 'the trained weights');
  assert.equal(b.bestEpoch, a.bestEpoch);
  assert.equal(b.bestScore, a.bestScore);
  assert.deepEqual(b.rule, a.rule);
  assert.deepEqual(b.validation, a.validation, 'decisions on the validation windows');
  assert.notDeepEqual(b.test, a.test, 'the network sees the rewritten test candles');
  // and the option is not a no-op: without the mirror the same seed trains other weights
  const plain = await train(CANDLES, false);
  assert.notDeepEqual(plain.weights, a.weights, 'the mirror changes what is learned');
});
