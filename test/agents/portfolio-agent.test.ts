/**
 * A trained portfolio agent in the engine (issue 14): no look-ahead — rewriting the future of ONE series, traded or
 * informative, leaves every earlier decision unchanged — and a saved model folder gives the same decisions as the
 * agent that was saved; for a feature-window agent and for one that also reads chart-image frames (cnnrnn).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  agentPolicy,
  createPortfolioAgent,
  portfolioFeatures,
  trainPortfolioAgent,
  type PortfolioAgent,
} from '../../src/agents/portfolio-agent.ts';
import { PortfolioObservationBuilder } from '../../src/market/portfolio-observation.ts';
import { aimPortfolioAgent, loadPortfolioAgent, savePortfolioAgent } from '../../src/agents/portfolio-model.ts';
import { readPortfolioModelInfo } from '../../src/agents/portfolio-model-meta.ts';
import { featureHistory } from '../../src/features/index.ts';
import { sliceCandles, type Candles } from '../../src/core/candles.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';
import { runPortfolioBacktest } from '../../src/market/portfolio-engine.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { tempDir } from '../data/helpers.ts';
import type { PortfolioRecipe } from '../../src/agents/portfolio-recipe.ts';
import { alternatingPair, imageRecipe, pairRecipe } from './portfolio-helpers.ts';

const costs = { ...COST_PRESETS['upbit-krw'], minOrderValue: 0 };

/** A portfolio agent trained on the pair A, B reading I, over `range` (both markets at zero-fee Upbit costs). */
function trainPair(
  recipe: PortfolioRecipe,
  d: { a: Candles; b: Candles; index: Candles },
  seed: number,
  range = { from: 0, to: 300 },
): PortfolioAgent {
  return trainPortfolioAgent({
    recipe,
    traded: [d.a, d.b],
    informative: [d.index],
    costs: [costs, costs],
    balance: 1e6,
    band: 0.01,
    range,
    seed,
  });
}

/** Saves `agent` as model folder `model` in a fresh temporary folder; its path. */
async function saveTiny(agent: PortfolioAgent, prefix: string): Promise<string> {
  const dir = path.join(tempDir(prefix), 'model');
  await savePortfolioAgent(dir, agent, {
    name: 'm',
    strategy: 'test',
    seed: 3,
    trainingWindow: { from: 'a', to: 'b' },
    market: { exchange: 'synthetic', timeframe: '1h' }, // alternatingPair's series
  });
  return dir;
}

function decisions(agent: PortfolioAgent, traded: Candles[]): (readonly number[] | null)[] {
  return runPortfolioBacktest({
    series: traded,
    costs: [costs, costs],
    balance: 1e6,
    band: 0.01,
    policy: agentPolicy('agent', (ts) => (ts >= traded[0].ts[300] ? agent : null), 30),
  }).decisions;
}

/** Candles after index `cut` changed beyond recognition; nothing at or before it. */
function rewriteAfter(c: Candles, cut: number): Candles {
  const x = { ...c, open: c.open.slice(), high: c.high.slice(), low: c.low.slice(), close: c.close.slice() };
  for (let i = cut + 1; i < c.ts.length; i++) {
    const f = i % 2 ? 1.3 : 0.75;
    x.open[i] *= f;
    x.close[i] *= 1 / f;
    x.high[i] = Math.max(x.open[i], x.close[i]) * 1.01;
    x.low[i] = Math.min(x.open[i], x.close[i]) * 0.99;
  }
  return x;
}

const RECIPES: [string, PortfolioRecipe][] = [
  ['feature windows', pairRecipe({ epochs: 2 })],
  // frames of the informative series too, so its rewrite reaches the images as well as the features
  ['chart images', imageRecipe({ epochs: 2, image: { spec: 'ohlc:16x9:3', frames: 2, informative: true } })],
];

for (const [what, recipe] of RECIPES)
  test(`${what}: saved = trained, and no look-ahead in any one series (traded or informative)`, async () => {
    await savedAndCausal(recipe);
  });

async function savedAndCausal(recipe: PortfolioRecipe): Promise<void> {
  await initBackend('wasm');
  const d = alternatingPair(600, 7);
  const trained = trainPair(recipe, d, 3);
  try {
    const dir = await saveTiny(trained, 'bot-pfmodel-');
    const reference = decisions(trained, [d.a, d.b]);
    const loaded = await loadPortfolioAgent(dir, [d.a, d.b], [d.index]);
    try {
      assert.deepEqual(decisions(loaded, [d.a, d.b]), reference, 'the saved model decides as the trained one');
    } finally {
      loaded.dispose();
    }
    // a paper run loads the model on the candles of its first tick and re-aims it at longer ones on the next
    const short = (c: Candles) => sliceCandles(c, 0, 400);
    const aimed = await loadPortfolioAgent(dir, [short(d.a), short(d.b)], [short(d.index)]);
    try {
      aimPortfolioAgent(aimed, [d.a, d.b], [d.index]);
      assert.deepEqual(decisions(aimed, [d.a, d.b]), reference, 'the re-aimed model decides as the trained one');
    } finally {
      aimed.dispose();
    }
    const cut = 450;
    for (const which of ['B', 'I'] as const) {
      const b = which === 'B' ? rewriteAfter(d.b, cut) : d.b;
      const index = which === 'I' ? rewriteAfter(d.index, cut) : d.index;
      const agent = await loadPortfolioAgent(dir, [d.a, b], [index]);
      try {
        const got = decisions(agent, [d.a, b]);
        // decisions[t] is made at the close of t: everything up to the cut's close is unchanged
        assert.deepEqual(got.slice(0, cut + 1), reference.slice(0, cut + 1), `${which}: an earlier decision changed`);
        assert.notDeepEqual(got.slice(cut + 1), reference.slice(cut + 1), `${which}: the rewrite changed nothing`);
      } finally {
        agent.dispose();
      }
    }
  } finally {
    trained.dispose();
  }
}

for (const [what, recipe] of RECIPES)
  test(`${what}: training reads no candle after its range — rewriting every series (traded and informative) \
from the first test time leaves scalers and weights`, async () => {
    await initBackend('wasm');
    const d = alternatingPair(420, 7);
    const range = { from: 0, to: 300 };
    const train = (cut: number) => {
      const rewritten = { a: rewriteAfter(d.a, cut), b: rewriteAfter(d.b, cut), index: rewriteAfter(d.index, cut) };
      const agent = trainPair(recipe, rewritten, 5, range);
      try {
        return {
          scalers: agent.scalers,
          weights: agent.learner.net.model.getWeights().map((w) => Array.from(w.dataSync())),
        };
      } finally {
        agent.dispose();
      }
    };
    const clean = train(d.a.ts.length);
    // the first test time is range.to: its candles (and all later ones) rewritten
    assert.deepEqual(train(range.to - 1), clean, 'a rewritten future changed the training');
    // and the check can fail: the range's last candle reaches the scalers
    assert.notDeepEqual(train(range.to - 2).scalers, clean.scalers, 'the last training candle is read');
  });

test(`a model reading recursive features (ta) asks a paper run for the history they need: loaded on candles cut that \
far back it decides as over the whole series`, async () => {
  await initBackend('wasm');
  const d = alternatingPair(1000, 9);
  const recipe = pairRecipe({ features: 'rltrader-v1+ta', epochs: 1 });
  const trained = trainPair(recipe, d, 3);
  let dir: string;
  try {
    dir = await saveTiny(trained, 'bot-pfhistory-');
  } finally {
    trained.dispose();
  }
  const history = readPortfolioModelInfo(dir).warmup;
  assert.equal(history, featureHistory(recipe.features) + recipe.window);
  const start = 800;
  const run = async (from: number) => {
    const cut = (c: Candles) => sliceCandles(c, from, c.ts.length);
    const agent = await loadPortfolioAgent(dir, [cut(d.a), cut(d.b)], [cut(d.index)]);
    try {
      return runPortfolioBacktest({
        series: [cut(d.a), cut(d.b)],
        costs: [costs, costs],
        balance: 1e6,
        band: 0.01,
        policy: agentPolicy('agent', (ts) => (ts >= d.a.ts[start] ? agent : null), recipe.episodeLength),
      }).decisions.slice(start - from);
    } finally {
      agent.dispose();
    }
  };
  assert.deepEqual(await run(start - history), await run(0), 'the paper run decides as the backtest');
});

test('a portfolio agent whose network outputs are not finite keeps what it holds', async () => {
  await initBackend('wasm');
  const d = alternatingPair(400, 7);
  const recipe = pairRecipe({});
  const { features, scalers } = portfolioFeatures(recipe, [d.a, d.b, d.index], d.a.ts[300]);
  const agent = createPortfolioAgent(recipe, new PortfolioObservationBuilder(features, 2, recipe.window), scalers, 1);
  try {
    const head = agent.learner.net.model.getLayer('policy');
    const [kernel, bias] = head.getWeights();
    const nan = tf.fill(bias.shape, NaN);
    head.setWeights([kernel, nan]);
    nan.dispose();
    agent.learner.net.sync();
    const made = decisions(agent, [d.a, d.b]);
    assert.ok(made.length > 0);
    assert.deepEqual(
      made.filter((w) => w !== null),
      [],
      'every decision keeps the holding',
    );
  } finally {
    agent.dispose();
  }
});
