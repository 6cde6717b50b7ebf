/**
 * What a sweep job ranks on (src/sweep/run-job.ts): a real dqn-dnn training on synthetic candles, run as a sweep
 * worker runs it. With the recipe's selection windows the jobs train on segments inside the fold's validation window,
 * so the validation figures and returns must come from the purged split's epoch windows alone, the candles no
 * training segment touches.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadStrategy } from '../../src/agents/strategy.ts';
import { recipeSelection } from '../../src/agents/setup.ts';
import { purgedSplit } from '../../src/agents/selection.ts';
import type { IndexRange } from '../../src/agents/splits.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/core/log.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { parseGridFlag } from '../../src/sweep/grid.ts';
import { configurations, planSweep } from '../../src/sweep/plan.ts';
import { runSweepJob } from '../../src/sweep/run-job.ts';
import { buildSweepReport } from '../../src/sweep/summary.ts';
import '../helpers/state-dir.ts';

const logger = createLogger({ level: 'warn', file: '' });
const settings = loadConfig({ overrides: { agent: { patience: 0, summaryEvery: 0 } } });

before(async () => {
  await initBackend('wasm');
});

/** A one-fold, one-seed sweep of a tiny dqn-dnn over 2,000 synthetic candles, `grid` added. */
async function plan(...grid: string[]) {
  const strategy = await loadStrategy('dqn-dnn');
  if (strategy.kind !== 'agent') throw new Error('dqn-dnn is not an agent strategy');
  const req = {
    strategy: 'dqn-dnn',
    grid: ['network.hidden=[8]', 'learner.warmup=32', 'learner.batchSize=16', ...grid].map(parseGridFlag),
    seeds: 1,
    seed: 1,
    folds: 1,
    epochs: 1,
  };
  const candles = syntheticCandles({ seed: 4, count: 2000, sine: { period: 30, amplitude: 0.04 } });
  const series = [{ candles, label: 'syn', fromGiven: false }];
  return { req, candles, plan: planSweep(req, configurations(req, strategy.recipe), series, settings, 'c0de') };
}

const inside = (t: number, r: IndexRange) => t >= r.from && t < r.to;

test(`a sweep job with selection windows ranks on its epoch windows only, never on the training segments inside \
the fold's validation window (before: one run over that whole window)`, async () => {
  const { req, candles, plan: p } = await plan();
  const [job] = p.jobs;
  const split = purgedSplit(job.fold, recipeSelection(job.recipe));
  assert.ok(split.validation.length > 1, 'dqn-dnn splits the fold into several epoch windows');
  assert.ok(
    split.train.some((s) => s.to > job.fold.validation.from),
    'a training segment lies inside the fold validation window',
  );
  const result = await runSweepJob(job, candles, logger, 'wasm', 'c0de');
  // the ranked Sharpe is the chosen epoch's and margin's over the windows its epoch was scored on (train-fold.ts)
  assert.equal((result.validation.sharpe as number).toFixed(9), result.training.bestSharpe.toFixed(9));
  // the returns ranked and fed to PBO and the DSR: one per candle of each epoch window after its first
  const heldOut = split.validation.reduce((n, w) => n + w.to - w.from - 1, 0);
  assert.equal(result.validationReturns.length, heldOut);
  assert.notEqual(heldOut, job.fold.validation.to - job.fold.validation.from - 1);
  assert.equal(result.validationOn, 'epochWindows');
  // the schedule its agent traded by (with learnerChoice the chosen learner's): the random baseline follows it
  assert.deepEqual(result.rule, { every: 1, minHold: 48 });
  // the report's ranking reads exactly those candles: T counts their return dates, none in a training segment
  const outcome = { jobId: job.id, configKey: job.configKey, params: job.params, label: '', market: 0, fold: 0 };
  const report = buildSweepReport(p, req, [{ ...outcome, seed: job.seed, result }], settings);
  assert.equal(report.statistics.dsr?.observations, heldOut);
  assert.equal(report.leaderboard[0].score, result.validation.sharpe);
  const times = split.validation.flatMap((w) => Array.from(candles.ts.subarray(w.from + 1, w.to)));
  const trained = split.train.map((s) => ({ from: candles.ts[s.from], to: candles.ts[s.to - 1] + 1 }));
  assert.ok(times.every((t) => !trained.some((s) => inside(t, s))));
});

test(`with one selection window the split is train | validation and the job ranks on the fold's validation window, \
as before`, async () => {
  const { candles, plan: p } = await plan('selection.windows=1', 'selection.purge=0');
  const [job] = p.jobs;
  const split = purgedSplit(job.fold, recipeSelection(job.recipe));
  assert.deepEqual(split.validation, [job.fold.validation]);
  assert.deepEqual(split.train, [job.fold.train]);
  const result = await runSweepJob(job, candles, logger, 'wasm', 'c0de');
  assert.equal(result.validationReturns.length, job.fold.validation.to - job.fold.validation.from - 1);
  assert.ok(Math.abs((result.validation.sharpe as number) - result.training.bestSharpe) < 1e-9);
});
