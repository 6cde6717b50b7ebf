import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { runBacktest, tradesFingerprint } from '../../src/market/backtest-engine.ts';
import type { AgentStrategy } from '../../src/agents/strategy.ts';
import { runAgentBacktest } from '../../src/backtest/agent-backtest.ts';
import { checkRecipe } from '../../src/agents/recipe.ts';
import { loadAgent } from '../../src/agents/load-agent.ts';
import { envOptions, prepareData } from '../../src/agents/setup.ts';
import { walkForward } from '../../src/agents/splits.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import type { Candles } from '../../src/core/candles.ts';
import { UserError } from '../../src/core/errors.ts';
import { quietLogger, testConfig } from './helpers.ts';

const recipe: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'zscore',
  window: 3,
  network: { kind: 'dnn', hidden: [16], dropout: 0, batchNorm: false, activation: 'relu' },
  learner: { kind: 'dqn', batchSize: 32, trainEvery: 16, warmup: 64 },
  exploration: { kind: 'linear', start: 0.5, end: 0.05 },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
};
const strategy: AgentStrategy = { kind: 'agent', name: 'tiny-dqn', description: 'test agent', recipe };
const candles = syntheticCandles({ seed: 5, count: 700, sine: { period: 30, amplitude: 0.04 } });
const series = { candles, label: 'synthetic SYN/KRW 1h', origin: 'file' as const };

before(async () => {
  await initBackend('wasm');
});

function copyCandles(c: Candles): Candles {
  return {
    ...c,
    ts: c.ts.slice(),
    open: c.open.slice(),
    high: c.high.slice(),
    low: c.low.slice(),
    close: c.close.slice(),
    volume: c.volume.slice(),
  };
}

test(`agent backtest: trains, selects, tests once; writes report, curves, epoch summaries and a model that reloads to \
the same decisions`, async (t) => {
  const t0 = performance.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agent-run-'));
  const config = testConfig({ modelsDir: path.join(dir, 'models'), summaryEvery: 1, maxCandles: 0 });
  const out = path.join(dir, 'run');
  const res = await runAgentBacktest({
    settings: config,
    series,
    strategy,
    flags: { epochs: 2, seeds: 2, out, name: 'tiny' },
    logger: quietLogger(),
  });

  t.diagnostic(`run ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(res.runs.length, 2);
  assert.deepEqual(
    res.runs.map((r) => r.seed),
    [1, 2],
  );
  assert.ok(typeof res.summary.sd.totalReturn === 'number');
  type Agent = {
    runs: { engines: unknown }[];
    mean: { totalReturn: number };
    sameWindows: { buyAndHold: { sharpe: { mean: number; sd?: number } }; agent: { sharpe: { sd?: number } } };
  };
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as {
    settings: Record<string, unknown>;
    extra: { agent: Agent };
  };
  assert.equal(report.extra.agent.runs.length, 2);
  // README's settings keys, as a rule strategy's report has them
  assert.equal(report.settings.costPreset, config.account.preset);
  assert.equal(report.settings.randomSeeds, config.backtest.randomSeeds);
  // one test window: buy-and-hold has one value there, no spread (absent, not a made-up 0); the two seeds have one
  const same = report.extra.agent.sameWindows;
  assert.equal(typeof same.buyAndHold.sharpe.mean, 'number');
  assert.equal(same.buyAndHold.sharpe.sd, undefined);
  assert.equal(typeof same.agent.sharpe.sd, 'number');
  // the training record says which engines the network ran on (src/nn/plan.ts)
  const engines = { single: 'js-forward', batch: 'trunk-cache+folded', train: 'blocks', refused: {} };
  for (const r of report.extra.agent.runs) assert.deepEqual(r.engines, engines);
  const metaFile = path.join(dir, 'models', 'tiny', 'meta.json');
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { learner: { engines: unknown } };
  assert.deepEqual(meta.learner.engines, engines);
  const meanReturn = (res.runs[0].metrics.totalReturn + res.runs[1].metrics.totalReturn) / 2;
  assert.ok(Math.abs(report.extra.agent.mean.totalReturn - meanReturn) < 1e-9);

  const curves = await sharp(path.join(out, 'learning_curves_seed1.png')).raw().toBuffer({ resolveWithObject: true });
  assert.equal(curves.info.width, 900);
  const summary = path.join(out, 'epoch_summary_seed1', 'epoch_summary_2.png');
  const pic = await sharp(summary).raw().toBuffer({ resolveWithObject: true });
  assert.equal(pic.info.width, 1400);
  // the picture is drawn, not blank: it has dark and light pixels
  let dark = 0;
  for (let i = 0; i < pic.data.length; i += pic.info.channels) if (pic.data[i] < 80) dark++;
  assert.ok(dark > 1000, `only ${dark} dark pixels in the epoch summary`);
  assert.ok(readFileSync(path.join(out, 'report.html'), 'utf8').includes('learning curves, seed1'));

  // the saved model, loaded the way paper trading loads it, makes the test run's exact trades
  const modelDir = path.join(dir, 'models', 'tiny');
  assert.ok(existsSync(path.join(modelDir, 'meta.json')));
  t.diagnostic(`checked report ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const agent = await loadAgent(modelDir);
  try {
    const main = res.runs.find((r) => r.seed === 1)!;
    const range = main.test.range;
    const opts = {
      ...envOptions(recipe, config, { candles, cols: 0, window: 0, firstT: 0 }, range),
      ...agent.observationSource(candles),
    };
    const again = runBacktest({ ...opts, policy: agent.policy });
    assert.equal(tradesFingerprint(again.trades), tradesFingerprint(main.test.trades));
    assert.deepEqual(Array.from(again.actions), Array.from(main.test.actions));

    // no look-ahead: corrupting every candle from k on leaves the decisions before k unchanged
    const k = range.from + Math.floor((range.to - range.from) / 2);
    const bad = copyCandles(candles);
    for (let i = k; i < bad.close.length; i++) {
      bad.open[i] *= 3;
      bad.high[i] *= 5;
      bad.low[i] *= 0.2;
      bad.close[i] *= 0.3;
      bad.volume[i] *= 100;
    }
    const corrupted = runBacktest({ ...opts, ...agent.observationSource(bad), candles: bad, policy: agent.policy });
    const n = k - range.from;
    assert.deepEqual(Array.from(corrupted.actions.subarray(0, n)), Array.from(again.actions.subarray(0, n)));
    assert.notDeepEqual(Array.from(corrupted.equity.subarray(n + 1)), Array.from(again.equity.subarray(n + 1)));
  } finally {
    agent.dispose();
  }
});

test(`walk-forward folds: train < validation < test in time, test windows consecutive and disjoint; anchored ones \
train from the start`, () => {
  const folds = walkForward(100, 1100, { train: 0.6, validation: 0.2, test: 0.2 }, 3);
  assert.equal(folds.length, 3);
  for (const f of folds) {
    assert.ok(
      f.train.from < f.train.to &&
        f.train.to === f.validation.from &&
        f.validation.to === f.test.from &&
        f.test.from < f.test.to,
    );
  }
  for (let k = 1; k < folds.length; k++) assert.equal(folds[k].test.from, folds[k - 1].test.to);
  assert.equal(folds[2].test.to, 1100);
  assert.ok(folds[0].train.from >= 100);
  const one = walkForward(0, 1000, { train: 0.6, validation: 0.2, test: 0.2 });
  assert.deepEqual(one[0], {
    index: 0,
    train: { from: 0, to: 600 },
    validation: { from: 600, to: 800 },
    test: { from: 800, to: 1000 },
  });
  // anchored: the same validation and test windows, training from the range's first candle in every fold
  const anchored = walkForward(100, 1100, { train: 0.6, validation: 0.2, test: 0.2 }, 3, 'anchored');
  for (const [k, f] of anchored.entries()) {
    assert.deepEqual(f.validation, folds[k].validation);
    assert.deepEqual(f.test, folds[k].test);
    assert.deepEqual(f.train, { from: 100, to: folds[k].train.to });
  }
  assert.ok(folds[2].train.from > 100, 'rolling windows move');
  assert.throws(
    () => walkForward(0, 200, { train: 0.6, validation: 0.2, test: 0.2 }, 10),
    (e: Error) => e instanceof UserError && /too few/.test(e.message),
  );
  // the parts named add up to the candles counted (the last test window takes the rounding remainder)
  const f = { train: 0.6, validation: 0.2, test: 0.2 };
  assert.throws(
    () => walkForward(0, 36, f),
    (e: Error) =>
      e.message.includes('36 usable candles are too few for 1 fold (train 21 + validation 7 + test 8 = 36;'),
  );
  assert.throws(
    () => walkForward(0, 61, f, 3),
    (e: Error) => e.message.includes('(train 26 + validation 8 + test windows 2 × 8 + 11 = 61;'),
  );
});

test('a broken recipe is a one-line UserError naming what is missing', () => {
  assert.throws(
    () => checkRecipe('x', { ...recipe, learner: { kind: 'sarsa' } }),
    (e: Error) => e instanceof UserError && /learner\.kind/.test(e.message),
  );
  assert.throws(
    () => checkRecipe('x', { ...recipe, sizing: 'half' }),
    (e: Error) => e instanceof UserError && /sizing/.test(e.message),
  );
  assert.throws(
    () => checkRecipe('x', undefined),
    (e: Error) => e instanceof UserError && /missing/.test(e.message),
  );
  // a recipe no network can train on is refused when loaded, not by each training after the data was read
  assert.throws(
    () => checkRecipe('x', { ...recipe, window: 0 }),
    (e: Error) => e instanceof UserError && /^x: network dnn needs feature rows: .*got window 0/.test(e.message),
  );
  assert.throws(
    () => checkRecipe('x', { ...recipe, network: { kind: 'cnnrnn' } }),
    (e: Error) => e instanceof UserError && /cnnrnn reads chart images/.test(e.message),
  );
});

test('too few candles for the recipe warm-up or the split is a clear error', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agent-run-'));
  const config = testConfig({ modelsDir: path.join(dir, 'models'), maxCandles: 0 });
  const short = { ...series, candles: syntheticCandles({ seed: 1, count: 150 }) };
  await assert.rejects(
    runAgentBacktest({
      settings: config,
      series: short,
      strategy,
      flags: { epochs: 1, out: path.join(dir, 'run') },
      logger: quietLogger(),
    }),
    (e: Error) => e instanceof UserError && /too few|warm-up/.test(e.message),
  );
  assert.ok(!existsSync(path.join(dir, 'models')), 'nothing saved on failure');
});

test('walk-forward agent backtest: one run per fold, each tested after what trained and selected it', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agent-run-'));
  const config = testConfig({ modelsDir: path.join(dir, 'models'), maxCandles: 0 });
  const out = path.join(dir, 'run');
  const res = await runAgentBacktest({
    settings: config,
    series,
    strategy,
    flags: { epochs: 1, folds: 2, out },
    logger: quietLogger(),
  });
  assert.deepEqual(
    res.runs.map((r) => r.fold),
    [0, 1],
  );
  const stored = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as {
    extra: {
      agent: { folds: { train: { to: number }; validation: { to: number }; test: { from: number; to: number } }[] };
    };
  };
  const folds = stored.extra.agent.folds;
  assert.equal(folds.length, 2);
  for (const [k, f] of folds.entries()) {
    assert.ok(f.train.to <= f.validation.to && f.validation.to <= f.test.from);
    assert.deepEqual(res.runs[k].test.range, f.test);
  }
  assert.equal(folds[1].test.from, folds[0].test.to);
  assert.ok(
    existsSync(path.join(out, 'learning_curves_fold1-seed1.png')) &&
      existsSync(path.join(out, 'learning_curves_fold2-seed1.png')),
  );
  // the headline chains both test windows on one account; fold 1's part is its own test run up to the cut
  const agentJson = stored.extra.agent as unknown as { walkForward: { range: { from: number; to: number } } };
  assert.deepEqual(agentJson.walkForward.range, { from: folds[0].test.from, to: folds[1].test.to });
  const walk = res.walk!;
  assert.deepEqual(walk.range, agentJson.walkForward.range);
  assert.equal(walk.equity.length, folds[1].test.to - folds[0].test.from);
  const cut = folds[0].test.to - folds[0].test.from;
  assert.deepEqual(Array.from(walk.equity.subarray(0, cut)), Array.from(res.runs[0].test.equity.subarray(0, cut)));
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as {
    data: { candles: number };
    trades: number;
  };
  assert.equal(report.data.candles, walk.equity.length, 'the report is the chained run');
  assert.equal(report.trades, walk.trades.length);
  assert.ok(walk.trades.length > 0, 'the agents trade');
});

test(`the scaler is fitted on training rows only: changing every later candle leaves it and the training rows \
unchanged`, () => {
  const train = { from: 130, to: 400 };
  const bad = copyCandles(candles);
  for (let i = train.to; i < bad.close.length; i++) {
    bad.close[i] *= 2;
    bad.volume[i] *= 50;
  }
  const a = prepareData(recipe, candles, train);
  const b = prepareData(recipe, bad, train);
  assert.deepEqual(b.scaler, a.scaler);
  assert.deepEqual(
    Array.from(b.data!.subarray(0, train.to * b.cols)),
    Array.from(a.data!.subarray(0, train.to * a.cols)),
  );
  assert.notDeepEqual(Array.from(b.data!.subarray(train.to * b.cols)), Array.from(a.data!.subarray(train.to * a.cols)));
});

test('a backtest never replaces a model home that holds retrained versions', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agent-run-'));
  const config = testConfig({ modelsDir: path.join(dir, 'models'), maxCandles: 0 });
  const home = path.join(dir, 'models', 'served');
  mkdirSync(path.join(home, 'versions', 'v1'), { recursive: true });
  writeFileSync(path.join(home, 'CURRENT'), 'v1\n');
  await assert.rejects(
    runAgentBacktest({
      settings: config,
      series,
      strategy,
      flags: { epochs: 1, name: 'served', out: path.join(dir, 'run') },
      logger: quietLogger(),
    }),
    (e: Error) => e instanceof UserError && /served holds CURRENT, versions besides a saved model/.test(e.message),
  );
  assert.equal(readFileSync(path.join(home, 'CURRENT'), 'utf8'), 'v1\n');
  assert.ok(existsSync(path.join(home, 'versions', 'v1')));
});
