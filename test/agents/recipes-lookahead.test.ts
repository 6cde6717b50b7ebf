/**
 * The look-ahead check over every shipped single-market agent recipe, and over one recipe with every issue-13 option
 * on: training one fold (features or chart images, the scaler, the learner, the epoch and margin choice on purged
 * selection windows, the gate, FinRL's learner choice) and then rewriting every candle from the test's first one on
 * leaves the trained weights, the choices and the network's outputs at every validation candle bit-identical, while
 * its outputs at the test candles see the rewrite. The tightest cut: the reward of the last training step reads the
 * close of the candle before the validation window, and the last validation fill marks at the close of the candle
 * before the test, never the test's first candle.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import type { Candles } from '../../src/core/candles.ts';
import type { Policy } from '../../src/core/policy.ts';
import { listStrategies, loadStrategy } from '../../src/agents/strategy.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import { envOptions } from '../../src/agents/setup.ts';
import { recipeWarmup } from '../../src/agents/recipe-reach.ts';
import type { Fold, IndexRange } from '../../src/agents/splits.ts';
import type { TrainedAgent } from '../../src/agents/train-fold.ts';
import { runBacktest } from '../../src/market/backtest-engine.ts';
import dqnDnn from '../../strategies/dqn-dnn.ts';
import { learned, rewriteAfter, trainQuietly } from './helpers.ts';

before(async () => {
  await initBackend('wasm');
});

type Learner = AgentRecipe['learner'];

/**
 * The learner with rollouts and replay small enough that two epochs over the training candles update the weights
 * (a few times only for chart images, whose updates are the slow part).
 */
function smallLearner(l: Learner, images: boolean): Learner {
  if (l.kind === 'dqn') return { ...l, warmup: 32, batchSize: 16, trainEvery: images ? 64 : 16 };
  if (l.kind === 'ppo') return { ...l, envs: 2, rolloutSteps: 16, minibatchSize: 32, epochsPerRollout: 1 };
  if (l.kind === 'pg' || l.kind === 'a2c') return { ...l, rolloutSteps: 16 };
  return l;
}

function small(recipe: AgentRecipe): AgentRecipe {
  const choice = recipe.learnerChoice;
  return {
    ...recipe,
    learner: smallLearner(recipe.learner, !!recipe.image),
    ...(recipe.episodeLength !== undefined ? { episodeLength: 60 } : {}),
    ...(choice
      ? {
          learnerChoice: {
            candidates: choice.candidates.map((c) => ({ ...c, learner: smallLearner(c.learner, !!recipe.image) })),
          },
        }
      : {}),
  };
}

/** dqn-dnn with every option of "Knowing when not to trade" on: margins, minHold, every, windows, gate, mirror. */
const ALL_OPTIONS: AgentRecipe = {
  ...(dqnDnn.recipe as AgentRecipe),
  network: { kind: 'dnn', hidden: [8], dropout: 0, batchNorm: false, activation: 'relu' },
  decision: { margins: [0, 0.05, 0.2], minHold: 3, every: 2 },
  reward: { kind: 'excessLogReturn', benchmark: 'buyAndHold', turnoverPenalty: 1 },
  selection: { windows: 2, purge: 6, embargo: 6, turnoverCost: 1, gate: 'heldOutWindow', smoothEpochs: 1 },
  augment: { mirror: true },
};

/**
 * The fold: 220 training, 100 validation and 80 test candles after the recipe's warm-up; chart-image recipes, whose
 * every step draws and convolves frames, half as many.
 */
function foldFor(recipe: AgentRecipe): { candles: Candles; fold: Fold } {
  const first = recipeWarmup(recipe);
  const [train, validation, test] = recipe.image ? [110, 50, 40] : [220, 100, 80];
  const count = first + train + validation + test;
  const candles = syntheticCandles({ seed: 12, count, timeframe: '1h', start: Date.UTC(2024, 0, 1) });
  const v = first + train;
  return {
    candles,
    fold: {
      index: 0,
      train: { from: first, to: v },
      validation: { from: v, to: v + validation },
      test: { from: v + validation, to: count },
    },
  };
}

/** The network's outputs at each decision of a greedy run over `range` (a policy that records and holds). */
function outputsOver(agent: TrainedAgent, range: IndexRange): number[][] {
  const seen: number[][] = [];
  const recorder: Policy = {
    name: 'recorder',
    decide(obs) {
      const out = agent.learner.net.forwardOne(obs);
      seen.push([...(out.value ?? []), ...(out.policy ?? [])]);
      return { action: 'hold', confidence: 0 };
    },
  };
  runBacktest({ ...envOptions(agent.recipe, agent.settings, agent.prepared, range), policy: recorder });
  return seen;
}

async function trained(name: string, recipe: AgentRecipe, candles: Candles, fold: Fold) {
  const agent = await trainQuietly({ recipe, name, candles, fold, seed: 3, epochs: 2 });
  try {
    return {
      ...learned(agent),
      gate: agent.gate,
      choice: agent.choice,
      split: agent.split,
      validation: agent.split.validation.map((w) => outputsOver(agent, w)),
      validationActions: agent.split.validation.map((w) => Array.from(agent.backtest(w).actions)),
      test: outputsOver(agent, fold.test),
    };
  } finally {
    agent.dispose();
  }
}

// portfolio strategies (several markets) load through src/agents/portfolio-strategy.ts: portfolio-agent.test.ts
const shipped = await Promise.all(
  listStrategies().map((n) =>
    loadStrategy(n).catch((e: Error) => {
      if (/trades several markets/.test(e.message)) return undefined;
      throw e;
    }),
  ),
);
const cases: { name: string; recipe: AgentRecipe }[] = [
  ...shipped.flatMap((s) => (s?.kind === 'agent' ? [{ name: s.name, recipe: small(s.recipe) }] : [])),
  { name: 'dqn-dnn with every decision and selection option', recipe: ALL_OPTIONS },
];

for (const { name, recipe } of cases) {
  test(`${name}: a rewritten future (from the test's first candle) leaves training, choices and validation \
outputs unchanged`, async () => {
    const { candles, fold } = foldFor(recipe);
    const a = await trained(name, recipe, candles, fold);
    const b = await trained(name, recipe, rewriteAfter(candles, fold.validation.to - 1), fold);
    assert.deepEqual(b.split, a.split);
    assert.deepEqual(b.weights, a.weights, 'the trained weights');
    assert.equal(b.bestEpoch, a.bestEpoch);
    assert.equal(b.bestScore, a.bestScore);
    assert.deepEqual(b.rule, a.rule, 'the decision rule chosen');
    assert.deepEqual(b.gate, a.gate, 'the gate verdict');
    assert.deepEqual(b.choice, a.choice, 'the learner chosen');
    assert.deepEqual(b.validation, a.validation, 'the network outputs at every validation candle');
    assert.deepEqual(b.validationActions, a.validationActions, 'the validation decisions');
    assert.notDeepEqual(b.test, a.test, 'the network sees the rewritten test candles');
  });
}
