/**
 * `bot predict --now` of a portfolio model through the CLI: every series, traded and informative, read only up to its
 * candles closed by the clock, as for one market; `--at` after `--now` and a bad `--now` refused in the same line.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { candleRows, type Candles } from '../../src/core/candles.ts';
import { createPortfolioAgent, portfolioBuilder, portfolioFeatures } from '../../src/agents/portfolio-agent.ts';
import { savePortfolioAgent } from '../../src/agents/portfolio-model.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { pairRecipe } from '../agents/portfolio-helpers.ts';
import { tempDir } from '../data/helpers.ts';
import { runBot } from './run.ts';

const HOUR = 3_600_000;
const make = (seed: number, symbol: string, startPrice: number) =>
  syntheticCandles({ seed, count: 400, timeframe: '1h', start: Date.UTC(2024, 0, 1), symbol, startPrice });
/** A and B traded, I informative: the model's symbol order. */
const series = [make(81, 'A/KRW', 50_000_000), make(82, 'B/KRW', 3_000_000), make(83, 'I/KRW', 3_000)];

/** A seeded (untrained) portfolio model of A and B reading I, its scalers fitted on the first 300 candles. */
async function saveModel(dir: string): Promise<void> {
  await initBackend('cpu');
  const recipe = pairRecipe();
  const { features, scalers } = portfolioFeatures(recipe, series, series[0].ts[300]);
  const agent = createPortfolioAgent(recipe, portfolioBuilder(recipe, features, 2), scalers, 5);
  try {
    await savePortfolioAgent(dir, agent, {
      name: 'pf-now',
      strategy: 'ppo-portfolio',
      seed: 5,
      trainingWindow: { from: isoTime(series[0].ts[0]), to: isoTime(series[0].ts[300]) },
      market: { exchange: 'upbit', timeframe: '1h' },
    });
  } finally {
    agent.dispose();
  }
}

/** A real SQLite store holding `stored` as upbit 1h candles. */
function storeOf(db: string, stored: readonly Candles[]): string {
  const store = CandleStore.open(db);
  try {
    for (const c of stored) store.upsert('upbit', c.symbol, '1h', candleRows(c));
  } finally {
    store.close();
  }
  return db;
}

/** `c` with every candle after index `t` rewritten wildly (prices and volume). */
function corruptAfter(c: Candles, t: number): Candles {
  const out = {
    ...c,
    open: Float64Array.from(c.open),
    high: Float64Array.from(c.high),
    low: Float64Array.from(c.low),
    close: Float64Array.from(c.close),
    volume: Float64Array.from(c.volume),
  };
  for (let i = t + 1; i < c.ts.length; i++) {
    const k = i % 2 ? 3 : 0.2;
    out.open[i] = c.open[i] * k;
    out.close[i] = c.close[i] * k;
    out.high[i] = Math.max(out.open[i], out.close[i]) * 1.01;
    out.low[i] = Math.min(out.open[i], out.close[i]) * 0.99;
    out.volume[i] = 1e12;
  }
  return out;
}

interface PortfolioPredicted {
  candle: string;
  weights: Record<string, number>;
  cash: number;
}

test(`bot predict --now of a portfolio model decides on the newest common candle closed by then: every series' \
candles after it change nothing; --at after --now and a bad --now refused as for one market`, async () => {
  const dir = tempDir('bot-pf-predict-');
  const model = path.join(dir, 'models', 'pf-now');
  await saveModel(model);
  const cfg = path.join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify({ log: { file: '' } }));
  const t = 350;
  const now = series[0].ts[t] + HOUR + 10_000; // candle 350 has closed; 351 is open; the store holds up to 399
  const quiet = ['--config', cfg, '--timeframe', '1h', '--log-level', 'error', '--backend', 'cpu'];
  const predict = (db: string, extra: string[]) =>
    runBot(['predict', '--model', model, '--db', db, ...extra, ...quiet]);
  const ask = async (db: string, clock: number) => {
    const r = await predict(db, ['--now', isoTime(clock), '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as PortfolioPredicted;
  };
  const clean = storeOf(path.join(dir, 'clean.db'), series);
  const dirty = storeOf(
    path.join(dir, 'dirty.db'),
    series.map((c) => corruptAfter(c, t)),
  );

  const before = await ask(clean, now);
  // the candles after --now of A, B and I rewritten wildly: the same candle and weights
  assert.deepEqual(await ask(dirty, now), before);
  assert.equal(before.candle, isoTime(series[0].ts[t]), 'the candle closed by --now, not the newest stored');
  // the rewrite reaches the decision once the clock lets those candles in: the check above can fail
  const later = now + 5 * HOUR;
  const [cleanLater, dirtyLater] = [await ask(clean, later), await ask(dirty, later)];
  assert.equal(dirtyLater.candle, isoTime(series[0].ts[t + 5]));
  assert.notDeepEqual(dirtyLater.weights, cleanLater.weights, 'the corrupted candles change the weights');

  const text = await predict(clean, ['--now', isoTime(now)]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`\\ncandle {6}${isoTime(series[0].ts[t])} `));
  const late = await predict(clean, ['--now', isoTime(now), '--at', isoTime(now + HOUR)]);
  assert.equal(late.code, 1);
  assert.equal(
    late.stderr,
    `error: --at ${isoTime(now + HOUR)} is after --now ${isoTime(now)}: predict decides on candles closed by then\n`,
  );
  const bad = await predict(clean, ['--now', 'yesterday']);
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr,
    'error: --now: cannot read "yesterday" as a date (use e.g. 2024-01-01 or 2024-03-01T00:00Z)\n',
  );
  const early = await predict(clean, ['--now', isoTime(series[0].ts[0])]);
  assert.equal(early.code, 1);
  assert.match(early.stderr, /^error: no candle of upbit A\/KRW 1h \(store\) has closed by --now \S+; the first opens/);
});
