/**
 * What a sweep's report and saved winner claim, from a real plan over synthetic candles, a real SQLite store and the
 * real report writer; only the jobs' results are made up (training is not what these tests check): the saved recipe
 * trains what was ranked, the deflated Sharpe counts earlier sweeps' configurations on the same windows and each
 * return date once, the console shows every baseline and says when nothing beat flat or buy-and-hold or the windows
 * are too short to annualise, and the equity pictures are named after their markets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadStrategy } from '../../src/agents/strategy.ts';
import { loadConfig } from '../../src/config/load.ts';
import { Rng } from '../../src/core/random.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { earlierOutcomes, uncomparedEarlier } from '../../src/sweep/earlier.ts';
import { parseGridFlag, type SweepRequest } from '../../src/sweep/grid.ts';
import { trialKey, windowKey, type JobResult, type JobSpec } from '../../src/sweep/jobs.ts';
import { configurations, planSweep, type SweepPlan } from '../../src/sweep/plan.ts';
import { sweepSummaryText, writeSweepReport } from '../../src/sweep/report.ts';
import { meanSd, UNCOMPARED_WHY, windowsMetrics, type JobOutcome } from '../../src/sweep/select.ts';
import { SWEEP_SCHEMA, SweepStore } from '../../src/sweep/store.ts';
import { CandleStore } from '../../src/data/store.ts';
import { migrate } from '../../src/data/migrations.ts';
import { buildSweepReport } from '../../src/sweep/summary.ts';
import { recipeCosts, recipeSelection } from '../../src/agents/setup.ts';
import { BASELINE_NAMES, runBaselines } from '../../src/backtest/baselines.ts';
import { metricsToJson } from '../../src/market/metrics.ts';
import { purgedSplit } from '../../src/agents/selection.ts';
import { rangesText, type IndexRange } from '../../src/agents/splits.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';

const settings = loadConfig({});
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'sweep-honesty-'));

async function planOf(
  grid: string,
  o: { symbols?: string[]; epochs?: number; dataSeed?: number; count?: number; seeds?: number; seed?: number } = {},
): Promise<{ req: SweepRequest; plan: SweepPlan }> {
  const strategy = await loadStrategy('dqn-dnn');
  if (strategy.kind !== 'agent') throw new Error('dqn-dnn is not an agent strategy');
  const req: SweepRequest = {
    strategy: 'dqn-dnn',
    grid: [parseGridFlag(grid)],
    seeds: o.seeds ?? 1,
    seed: o.seed ?? 1,
    folds: 2,
    ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
  };
  const series = (o.symbols ?? ['SYN/KRW']).map((symbol, i) => ({
    candles: syntheticCandles({ seed: (o.dataSeed ?? 3) + i, count: o.count ?? 400, symbol }),
    label: symbol,
    fromGiven: false,
  }));
  return { req, plan: planSweep(req, configurations(req, strategy.recipe), series, settings, 'c0de') };
}

/** A made-up result of a job: validation returns around `drift`, one per epoch window candle but its first. */
function resultOf(job: JobSpec, drift: number): JobResult {
  const rng = new Rng(job.seed * 1009 + job.fold.index * 31 + Math.round(drift * 1e5) + job.market.candles);
  const n = purgedSplit(job.fold, recipeSelection(job.recipe)).validation.reduce((k, w) => k + w.to - w.from - 1, 0);
  const returns = Array.from({ length: n }, () => drift + (rng.next() - 0.5) * 0.02);
  const mean = returns.reduce((a, b) => a + b, 0) / n;
  return {
    jobId: job.id,
    validation: { sharpe: mean * 100, totalReturn: mean * n },
    test: { sharpe: 0.1, totalReturn: 0.01 },
    validationReturns: returns,
    validationOn: 'epochWindows',
    trialSharpes: [0.01, 0.03],
    testEquity: Array.from({ length: job.fold.test.to - job.fold.test.from }, (_, i) => 1000 + i),
    training: { bestEpoch: 1, bestSharpe: 0, stoppedEarly: false, seconds: 0, epochs: [] },
    ...{ modelHash: '', backend: 'cpu', worker: 'test:1', code: 'c0de', seconds: 0 },
  };
}

/** The plan's outcomes as run.ts builds them, each configuration's drift from `drift` (its index). */
function outcomesOf(plan: SweepPlan, drift: (config: number) => number): JobOutcome[] {
  const keys = plan.configurations.map((c) => c.key);
  return plan.jobs.map((j) => ({
    jobId: j.id,
    configKey: j.configKey,
    params: j.params,
    label: plan.configurations.find((c) => c.key === j.configKey)!.label,
    market: plan.markets.findIndex((m) => m.ref.dataKey === j.market.dataKey),
    fold: j.fold.index,
    seed: j.seed,
    result: resultOf(j, drift(keys.indexOf(j.configKey))),
  }));
}

test('the winner saved by --save-strategy carries the epochs its jobs trained, not the recipe default', async () => {
  const { req, plan } = await planOf('learner.learningRate=0.01,0.001', { epochs: 3 });
  assert.ok(plan.jobs.every((j) => j.epochs === 3));
  const report = buildSweepReport(
    plan,
    req,
    outcomesOf(plan, (i) => 0.001 * (i + 1)),
    settings,
  );
  // before: the recipe as the strategy file has it (epochs 20), which bot backtest --strategy then trained
  assert.equal((report.winner?.recipe as { epochs?: number }).epochs, 3);
});

test('a grid over epochs trains each configuration with its own epochs (before: all with the first one)', async () => {
  const { plan } = await planOf('epochs=1,2');
  const byConfig = plan.configurations.map((c) => [
    c.epochs,
    new Set(plan.jobs.filter((j) => j.configKey === c.key).map((j) => j.epochs)),
  ]);
  assert.deepEqual(byConfig, [
    [1, new Set([1])],
    [2, new Set([2])],
  ]);
});

test(`the deflated Sharpe counts the configurations earlier sweeps tried on the same windows; narrowing the grid \
does not raise it`, async () => {
  const store = SweepStore.open(path.join(tmp(), 'bot.db'));
  try {
    const wide = await planOf('learner.learningRate=0.01,0.001,0.0001,0.00001');
    const drift = (lr: number) => [0.0004, 0.0012, -0.0002, 0.0001][lr];
    store.saveSweep(wide.plan.id, wide.plan.name, 'dqn-dnn', wide.req, wide.plan.jobs);
    for (const o of outcomesOf(wide.plan, drift)) store.saveResult(o.configKey, o.result!);
    const wideReport = buildSweepReport(wide.plan, wide.req, outcomesOf(wide.plan, drift), settings);

    const narrow = await planOf('learner.learningRate=0.001');
    store.saveSweep(narrow.plan.id, narrow.plan.name, 'dqn-dnn', narrow.req, narrow.plan.jobs);
    const outcomes = outcomesOf(narrow.plan, () => drift(1));
    const earlier = earlierOutcomes(store, narrow.plan);
    assert.equal(new Set(earlier.map((o) => o.configKey)).size, 3, 'the 3 configurations the narrow grid dropped');
    const report = buildSweepReport(narrow.plan, narrow.req, outcomes, settings, earlier);
    // before: 1 trial, and a probabilistic Sharpe ratio as if nothing had been selected
    assert.equal(report.statistics.trials, 4);
    assert.equal(report.statistics.earlierTrials, 3);
    assert.equal(report.statistics.dsr?.trials, wideReport.statistics.dsr?.trials);
    assert.ok(report.statistics.dsr!.dsr <= wideReport.statistics.dsr!.dsr + 1e-9, 'no higher than the wide grid');
    assert.ok(
      report.verdict.some((v) =>
        /Deflated Sharpe ratio .*4 configuration\(s\) tried, 3 of them by earlier sweeps/.test(v),
      ),
      report.verdict.join('\n'),
    );
    // other candles are not the same windows: nothing counted
    const other = await planOf('learner.learningRate=0.001', { dataSeed: 9 });
    assert.equal(earlierOutcomes(store, other.plan).length, 0);
  } finally {
    store.close();
  }
});

/** A sweep run and stored: its jobs and a made-up result for each (configuration i's drift `drift(i)`). */
async function storedSweep(store: SweepStore, grid: string, drift: (config: number) => number, count?: number) {
  const sweep = await planOf(grid, count !== undefined ? { count } : {});
  store.saveSweep(sweep.plan.id, sweep.plan.name, 'dqn-dnn', sweep.req, sweep.plan.jobs);
  for (const o of outcomesOf(sweep.plan, drift)) store.saveResult(o.configKey, o.result!);
  return { ...sweep, report: buildSweepReport(sweep.plan, sweep.req, outcomesOf(sweep.plan, drift), settings) };
}

test(`narrowing the grid on window, which lays every fold out after a smaller warm-up, still counts the \
configurations the wider sweep tried on the shifted windows`, async () => {
  const store = SweepStore.open(path.join(tmp(), 'bot.db'));
  try {
    const drift = (i: number) => [0.0012, 0.0004, -0.0002][i];
    const wide = await storedSweep(store, 'window=5,10,20', drift);
    const narrow = await planOf('window=5');
    const validation = (p: SweepPlan) => p.markets[0].folds.map((f) => f.validation);
    assert.notDeepEqual(validation(narrow.plan), validation(wide.plan), 'dropping window=20 moved the folds');
    const earlier = earlierOutcomes(store, narrow.plan);
    assert.equal(new Set(earlier.map((o) => o.configKey)).size, 2, 'window=10 and window=20');
    const outcomes = outcomesOf(narrow.plan, () => drift(0));
    const report = buildSweepReport(narrow.plan, narrow.req, outcomes, settings, earlier);
    // before: 1 configuration tried, earlierTrials 0, a DSR above the wide sweep's
    assert.equal(report.statistics.trials, 3);
    assert.equal(report.statistics.earlierTrials, 2);
    assert.equal(report.statistics.dsr?.trials, wide.report.statistics.dsr?.trials);
    assert.ok(Number.isFinite(report.statistics.dsr?.dsr), "the earlier windows' own lengths, not NaN");
    assert.ok(
      report.verdict.some((v) =>
        v.includes('3 configuration(s) tried, 2 of them by earlier sweeps in this database on overlapping candles'),
      ),
      report.verdict.join('\n'),
    );
  } finally {
    store.close();
  }
});

test(`an earlier sweep's configurations count whatever its seed: narrowing the grid under another --seed on the same \
candles still counts them, each with its own seed`, async () => {
  const store = SweepStore.open(path.join(tmp(), 'bot.db'));
  try {
    const drift = (i: number) => [0.0012, 0.0004][i];
    await storedSweep(store, 'window=5,10', drift);
    const sameSeed = await planOf('window=5');
    const sameReport = buildSweepReport(
      sameSeed.plan,
      sameSeed.req,
      outcomesOf(sameSeed.plan, () => drift(0)),
      settings,
      earlierOutcomes(store, sameSeed.plan),
    );
    const reseeded = await planOf('window=5', { seed: 3 });
    const earlier = earlierOutcomes(store, reseeded.plan);
    // before: nothing counted (the earlier jobs' seed 1 is not this sweep's 3), and nothing said
    assert.equal(new Set(earlier.map((o) => o.configKey)).size, 1, 'window=10, tried with seed 1');
    assert.deepEqual([...new Set(earlier.map((o) => o.seed))], [1], 'its own seed');
    const outcomes = outcomesOf(reseeded.plan, () => drift(0));
    const report = buildSweepReport(reseeded.plan, reseeded.req, outcomes, settings, earlier);
    assert.equal(report.statistics.trials, 2);
    assert.equal(report.statistics.earlierTrials, 1);
    assert.equal(report.statistics.dsr?.trials, sameReport.statistics.dsr?.trials);
    assert.ok(
      report.verdict.some((v) => v.includes('2 configuration(s) tried, 1 of them by earlier sweeps in this database')),
      report.verdict.join('\n'),
    );
  } finally {
    store.close();
  }
});

test(`after a store refresh appends candles the earlier sweep still counts while the validation windows share at \
least half their candles; the same candles under another name count, other candles named alike do not`, async () => {
  const store = SweepStore.open(path.join(tmp(), 'bot.db'));
  try {
    await storedSweep(store, 'learner.learningRate=0.01,0.001,0.0001', (i) => [0.0004, 0.0012, -0.0002][i]);
    const counted = async (o: { count?: number; symbols?: string[]; dataSeed?: number }) => {
      const later = await planOf('learner.learningRate=0.001', o);
      return new Set(earlierOutcomes(store, later.plan).map((e) => e.configKey)).size;
    };
    // 40 candles more: each window moves by a few candles (before: nothing counted, the data hash changed)
    assert.equal(await counted({ count: 440 }), 2);
    // twice the candles: the windows no longer overlap, so the user did not choose on these candles
    assert.equal(await counted({ count: 800 }), 0);
    assert.equal(await counted({ count: 440, symbols: ['RENAMED/KRW'] }), 2, 'the very candles, renamed');
    assert.equal(await counted({ dataSeed: 9 }), 0, 'other candles named alike');
  } finally {
    store.close();
  }
});

test(`an earlier window partly outside this series (--to moved earlier) counts when the market's exchange, symbol and \
timeframe are the same`, async () => {
  const store = SweepStore.open(path.join(tmp(), 'bot.db'));
  try {
    const later = await planOf('learner.learningRate=0.001');
    const wide = await planOf('learner.learningRate=0.01');
    // the earlier sweep's windows, as they were on a series that went on past this one's last candle
    const end = later.plan.markets[0].candles.ts.at(-1)! + 2 * 3_600_000;
    const beyond = (j: JobSpec, symbol: string): JobSpec => ({
      ...j,
      market: { ...j.market, symbol, dataKey: 'longer' },
      validationSpan: { ...j.validationSpan, to: end, dataKey: 'not held here' },
    });
    const save = (id: string, symbol: string) => {
      const jobs = wide.plan.jobs.map((j) => ({ ...beyond(j, symbol), id: `${id}-${j.id}` }));
      store.saveSweep(id, id, 'dqn-dnn', wide.req, jobs);
      for (const j of jobs) store.saveResult(j.configKey, { ...resultOf(j, 0.001), jobId: j.id });
    };
    save('other', 'OTHER/KRW');
    assert.equal(earlierOutcomes(store, later.plan).length, 0, 'another market by name');
    save('same', 'SYN/KRW');
    assert.equal(new Set(earlierOutcomes(store, later.plan).map((e) => e.jobId.split('-')[0])).size, 1);
    assert.ok(earlierOutcomes(store, later.plan).every((e) => e.jobId.startsWith('same-')));
  } finally {
    store.close();
  }
});

test(`jobs an earlier sweep stored before sweep schema 4 on this market, which cannot be matched by overlap once a \
narrowed grid moved the windows, are named as not counted in the verdict and report.html`, async () => {
  const file = path.join(tmp(), 'bot.db');
  const old = CandleStore.open(file);
  // a database of sweep schema 3: its jobs hold window and trial keys, no market identity or validation span
  migrate(old.db, { ...SWEEP_SCHEMA, migrations: SWEEP_SCHEMA.migrations.slice(0, 3) });
  const drift = (i: number) => [0.0012, 0.0004, -0.0002][i];
  const stored = async (id: string, symbol: string, dataSeed: number) => {
    const wide = await planOf('window=5,10,20', { symbols: [symbol], dataSeed });
    old.db
      .prepare(
        `INSERT INTO sweep_runs (id, name, strategy, request, jobs, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 0, 0)`,
      )
      .run(id, `wide-${symbol}`, 'dqn-dnn', JSON.stringify(wide.req), wide.plan.jobs.length);
    const job = old.db.prepare(
      `INSERT INTO sweep_jobs (sweep_id, job_id, config_key, params, seed, market, fold, window_key, trial_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const result = old.db.prepare(
      `INSERT INTO sweep_results (job_id, config_key, result, worker, code, finished_at)
       VALUES (?, ?, ?, 'w', 'c0de', 0)`,
    );
    for (const o of outcomesOf(wide.plan, drift)) {
      const j = wide.plan.jobs.find((x) => x.id === o.jobId)!;
      job.run(
        id,
        j.id,
        j.configKey,
        JSON.stringify(j.params),
        j.seed,
        j.market.label,
        j.fold.index,
        windowKey(j),
        trialKey(j),
      );
      // stored before sweep schema 5: validated over the fold's whole validation window
      result.run(j.id, j.configKey, JSON.stringify({ ...o.result, validationOn: undefined }));
    }
    return wide.plan.jobs.length;
  };
  const wideJobs = await stored('sw-old', 'SYN/KRW', 3);
  await stored('sw-other', 'OTHER/KRW', 9); // another market: nothing to say about it
  old.close();
  const store = SweepStore.open(file);
  try {
    const narrow = await planOf('window=5');
    store.saveSweep(narrow.plan.id, narrow.plan.name, 'dqn-dnn', narrow.req, narrow.plan.jobs);
    const earlier = earlierOutcomes(store, narrow.plan);
    assert.equal(earlier.length, 0, 'the windows moved: the old rows have no span to overlap');
    const uncompared = uncomparedEarlier(store, narrow.plan);
    // the window=10 and window=20 jobs; window=5 is this sweep's own configuration
    assert.deepEqual(uncompared, { jobs: (wideJobs * 2) / 3, sweeps: ['wide-SYN/KRW'] });
    // under another --seed they are named all the same (before: nothing said)
    assert.deepEqual(uncomparedEarlier(store, (await planOf('window=5', { seed: 3 })).plan), uncompared);
    const outcomes = outcomesOf(narrow.plan, () => drift(0));
    const report = buildSweepReport(narrow.plan, narrow.req, outcomes, settings, earlier, uncompared);
    const clause =
      `; ${uncompared.jobs} job(s) of earlier sweep(s) on this market, stored ${UNCOMPARED_WHY}, could not be ` +
      'compared and are not counted (the figure may be too high): rerun wide-SYN/KRW to count them.';
    // before: "Only one configuration was run, so nothing was selected", with nothing said of the earlier sweep
    const line = report.verdict.find((v) => /Sharpe ratio/.test(v)) ?? '';
    assert.ok(line.endsWith(clause), report.verdict.join('\n'));
    const dir = path.join(tmp(), 'out');
    await writeSweepReport(dir, report);
    assert.ok(sweepSummaryText(report, dir).includes(clause));
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    assert.ok(html.includes(`not counted: ${uncompared.jobs} job(s) stored ${UNCOMPARED_WHY}`), 'report.html');
    // once the old sweep is run again its jobs carry their span, but their results were validated over the fold's
    // whole validation window (before sweep schema 5): still named until newer code stores theirs
    const wide = await planOf('window=5,10,20');
    store.saveSweep('sw-old', 'wide-SYN/KRW', 'dqn-dnn', wide.req, wide.plan.jobs);
    assert.deepEqual(uncomparedEarlier(store, narrow.plan), uncompared);
    assert.deepEqual(earlierOutcomes(store, narrow.plan), []);
    // run again by this code: other job ids (the code fingerprint is in them) with results over the epoch windows
    const rerun = wide.plan.jobs.map((j) => ({ ...j, id: `new-${j.id}` }));
    store.saveSweep('sw-new', 'wide-SYN/KRW', 'dqn-dnn', wide.req, rerun);
    for (const o of outcomesOf(wide.plan, drift))
      store.saveResult(o.configKey, { ...o.result!, jobId: `new-${o.jobId}` });
    assert.deepEqual(uncomparedEarlier(store, narrow.plan), { jobs: 0, sweeps: [] });
    assert.equal(new Set(earlierOutcomes(store, narrow.plan).map((o) => o.configKey)).size, 2);
  } finally {
    store.close();
  }
});

test('with two markets over the same dates the DSR counts each return date once (T), not each market', async () => {
  const { req, plan } = await planOf('learner.learningRate=0.01,0.001', { symbols: ['A/KRW', 'B/KRW'] });
  const report = buildSweepReport(
    plan,
    req,
    outcomesOf(plan, (i) => 0.001 * (i + 1)),
    settings,
  );
  const dates = plan.markets[0].folds.reduce((n, f) => n + f.validation.to - f.validation.from - 1, 0);
  // before: 2 × dates, the second market's returns on the same dates counted as independent observations
  assert.equal(report.statistics.dsr?.observations, dates);
});

test(`the console shows every baseline, says in a line of its own when nothing beat flat or buy-and-hold on \
validation, and notes windows too short to annualise`, async () => {
  const { req, plan } = await planOf('learner.learningRate=0.01,0.001');
  const report = buildSweepReport(
    plan,
    req,
    outcomesOf(plan, (i) => -0.002 * (i + 1)),
    settings,
  );
  const text = sweepSummaryText(report, tmp());
  // before: buy-and-hold only
  // dqn-dnn's minHold 48: random traded under it (the winner's rule), and its line says so
  for (const name of ['buy-and-hold', 'flat', 'random \\(under every 1, minHold 48\\)', 'sma-cross'])
    assert.match(text, new RegExp(`^ {6}\\S.* {2}${name} \\(baseline\\)$`, 'm'), name);
  assert.ok(report.winner && report.leaderboard[0].score < 0);
  assert.match(text, /^No configuration beat flat on validation: the best validation Sharpe is -\d/m);
  const bh = report.baselines.buy_and_hold.validation.mean.sharpe;
  if (report.leaderboard[0].score <= bh) assert.match(text, /^No configuration beat buy-and-hold on validation: /m);
  // 400 hourly candles in 2 folds: windows of a few days, too short for an annualised Sharpe to mean much
  assert.match(text, /^note: \d+ candles over [\d.]+ days are too short \(under 30 returns or a month\)/m);
  const winning = buildSweepReport(
    plan,
    req,
    outcomesOf(plan, (i) => 0.01 * (i + 1)),
    settings,
  );
  assert.doesNotMatch(winning.verdict.join('\n'), /beat flat/);
});

/** The random baseline's metrics on a range of the plan's first market, under every 1 and `minHold`. */
function randomOn(plan: SweepPlan, req: SweepRequest, recipe: AgentRecipe, range: IndexRange, minHold: number) {
  return runBaselines({
    candles: plan.markets[0].candles,
    range,
    costs: recipeCosts(recipe, settings.account),
    balance: settings.account.balance,
    sizing: { kind: 'all' },
    rule: { every: 1, minHold },
    randomSeeds: settings.backtest.randomSeeds,
    seed: req.seed,
  }).random.metrics;
}

/** The plan's report (outcomes as outcomesOf makes them) written by the real writer into a new folder. */
async function writtenReport(req: SweepRequest, plan: SweepPlan, drift: (config: number) => number) {
  const dir = tmp();
  return { dir, report: await writeSweepReport(dir, buildSweepReport(plan, req, outcomesOf(plan, drift), settings)) };
}

test('a sweep over two markets names each winner equity picture after its market', async () => {
  const { req, plan } = await planOf('learner.learningRate=0.01,0.001', { symbols: ['A/KRW', 'B/KRW'] });
  const { dir, report } = await writtenReport(req, plan, (i) => 0.001 * (i + 1));
  // before: equity-winner-1.png and equity-winner-2.png, which the README did not mention
  assert.deepEqual(report.files.equity, ['equity-winner-A-KRW.png', 'equity-winner-B-KRW.png']);
  for (const f of report.files.equity) assert.ok(existsSync(path.join(dir, f)), f);
});

test(`the Windows of a sweep's report show what training used, the purged split's segments and epoch windows as \
bot backtest prints them, per configuration where the grid moves them (before: the fold's windows only)`, async () => {
  const { req, plan } = await planOf('window=5,10', { count: 2000 });
  const { dir, report } = await writtenReport(req, plan, () => 0.001);
  const m = plan.markets[0];
  const text = (rs: IndexRange | readonly IndexRange[]) => rangesText(m.candles.ts, rs);
  report.markets[0].folds.forEach((f, i) => {
    const fold = m.folds[i];
    assert.equal(f.train, text(fold.train));
    assert.equal(f.test, text(fold.test));
    // dqn-dnn's three selection windows: training runs over the fold's train + validation span between them
    const splits = plan.configurations.map((c) => purgedSplit(fold, recipeSelection(c.recipe)));
    assert.notDeepEqual(splits[0].train, splits[1].train, 'the window moves the embargo');
    assert.ok(
      splits[0].train.some((s) => s.to > fold.validation.from),
      'a segment inside the validation window',
    );
    assert.equal(
      f.trainingSegments,
      plan.configurations.map((c, k) => `${c.label}: ${text(splits[k].train)}`).join('; '),
    );
    // the windows themselves do not move: one text for both
    assert.deepEqual(splits[0].validation, splits[1].validation);
    assert.equal(f.epochWindows, text(splits[0].validation));
  });
  const html = readFileSync(path.join(dir, report.files.html), 'utf8');
  assert.match(html, /<th>training segments<\/th><th>epoch windows \(ranked on\)<\/th>/);
  const one = await planOf('learner.learningRate=0.01,0.001', { count: 2000 });
  const shared = buildSweepReport(
    one.plan,
    one.req,
    outcomesOf(one.plan, () => 0.001),
    settings,
  );
  const split = purgedSplit(one.plan.markets[0].folds[0], recipeSelection(one.plan.configurations[0].recipe));
  assert.equal(shared.markets[0].folds[0].trainingSegments, rangesText(one.plan.markets[0].candles.ts, split.train));
});

test(`the random baseline trades under the chosen configuration's decision rule, named in report.json, the console \
and report.html; with rules that differ each leaderboard row has random under its own`, async () => {
  const { req, plan } = await planOf('decision.minHold=0,48');
  const keyOf = (minHold: number) => plan.configurations.find((c) => c.recipe.decision?.minHold === minHold)!.key;
  const random = (minHold: number, recipe = plan.configurations.find((c) => c.key === keyOf(minHold))!.recipe) => {
    // what the report's random column should be: under that rule, on that configuration's epoch windows
    const fold = (f: (typeof plan.markets)[number]['folds'][number]) =>
      windowsMetrics(
        purgedSplit(f, recipeSelection(recipe)).validation.map((range) =>
          metricsToJson(randomOn(plan, req, recipe, range, minHold)),
        ),
      );
    return meanSd(plan.markets[0].folds.map(fold));
  };
  const drifts = { [keyOf(0)]: 0.001, [keyOf(48)]: 0.01 };
  const keys = plan.configurations.map((c) => c.key);
  const { dir, report } = await writtenReport(req, plan, (i) => drifts[keys[i]]);
  assert.equal(report.winner?.key, keyOf(48));
  // before: plain random (deciding every candle) whatever the winner's rule, and no rule named
  assert.deepEqual(report.baselines.random.rule, { every: 1, minHold: 48 });
  assert.match(report.baselines.random.description, /under the strategy's decision rule: every 1, minHold 48/);
  assert.deepEqual(report.baselines.random.validation, random(48));
  const rows = Object.fromEntries(report.leaderboard.map((c) => [c.key, c.random]));
  assert.deepEqual(rows[keyOf(48)], { rule: { every: 1, minHold: 48 }, validation: random(48) });
  assert.deepEqual(rows[keyOf(0)], { rule: { every: 1, minHold: 0 }, validation: random(0) });
  assert.ok(random(0).mean.trades > random(48).mean.trades, 'the rules make different coin-flippers');
  const json = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8'));
  assert.deepEqual(json.baselines.random.rule, { every: 1, minHold: 48 });
  const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
  assert.match(html, /<td>random \(under every 1, minHold 48\)<\/td>/);
  assert.match(html, /<th>random under its rule \(validation Sharpe\)<\/th>/);
  assert.match(sweepSummaryText(report, dir), /minHold=0; random under its rule -?\d.* \(every 1, minHold 0\)$/m);
  // the other configuration chosen: random decides every candle, as that one does
  const other = buildSweepReport(
    plan,
    req,
    outcomesOf(plan, (i) => 0.011 - drifts[keys[i]]),
    settings,
  );
  assert.equal(other.winner?.key, keyOf(0));
  assert.equal(other.baselines.random.rule, undefined);
  assert.deepEqual(other.baselines.random.validation, random(0));
});

test(`with learnerChoice each job trades the rule of the learner its validation chose: the random baseline follows \
each job's (per fold, per job when a fold's seeds chose differently), named in report.json and the console; a \
configuration whose jobs chose otherwise has random under its own on its row`, async () => {
  const { req, plan } = await planOf('learner.learningRate=0.01,0.001', { seeds: 2 });
  const [a, b] = plan.configurations.map((c) => c.key);
  // what the jobs' chosen learners traded by (run-job.ts stores it): a's fold 1 seeds chose differently
  const hold = (o: JobOutcome) => (o.configKey === b ? 48 : o.fold === 0 && o.seed === 1 ? 48 : 0);
  const outcomes = outcomesOf(plan, (i) => (i === 0 ? 0.01 : 0.001)).map((o) => ({
    ...o,
    result: { ...o.result!, rule: { every: 1, minHold: hold(o) } },
  }));
  const report = buildSweepReport(plan, req, outcomes, settings);
  assert.equal(report.winner?.key, a);
  const m = plan.markets[0];
  const recipe = plan.configurations[0].recipe;
  const random = (range: IndexRange, minHold: number) => randomOn(plan, req, recipe, range, minHold);
  // one random per job (fold, seed), under that job's rule, as the agent's runs are aggregated
  const jobs = m.folds.flatMap((f) => [1, 2].map((seed) => ({ f, minHold: f.index === 0 && seed === 1 ? 48 : 0 })));
  const validation = meanSd(
    jobs.map((j) =>
      windowsMetrics(
        purgedSplit(j.f, recipeSelection(recipe)).validation.map((r) => metricsToJson(random(r, j.minHold))),
      ),
    ),
  );
  const test = meanSd(jobs.map((j) => metricsToJson(random(j.f.test, j.minHold))));
  // before: random under the recipe's rule (minHold 48) on every window, whatever each job's learner traded by
  assert.deepEqual(report.baselines.random.validation, validation);
  assert.deepEqual(report.baselines.random.test, test);
  const rules = [48, 0, 0, 0].map((minHold) => ({ every: 1, minHold }));
  assert.deepEqual(
    report.baselines.random.rules,
    ['fold 1 seed 1', 'fold 1 seed 2', 'fold 2 seed 1', 'fold 2 seed 2'].map((run, i) => ({ run, rule: rules[i] })),
  );
  assert.equal(report.baselines.random.rule, undefined);
  assert.match(report.baselines.random.description, /fold 1 seed 1: every 1, minHold 48; fold 1 seed 2: every 1, /);
  const rows = Object.fromEntries(report.leaderboard.map((c) => [c.key, c.random]));
  assert.deepEqual(rows[b]?.rule, { every: 1, minHold: 48 });
  assert.deepEqual(rows[a]?.rules, report.baselines.random.rules);
  assert.deepEqual(rows[a]?.validation, validation);
  assert.match(sweepSummaryText(report, tmp()), /random \(under fold 1 seed 1: every 1, minHold 48; fold 1 seed 2: /);
});

test(`a grid over sizing: the baselines trade with the winner's sizing whatever the grid's order, and each row's \
random with its own (before: all with the first configuration's)`, async () => {
  const reportOf = async (grid: string) => {
    const { req, plan } = await planOf(grid);
    const target = plan.configurations.findIndex((c) => c.params.sizing === 'target');
    return buildSweepReport(
      plan,
      req,
      outcomesOf(plan, (i) => (i === target ? 0.002 : 0.0005)),
      settings,
    );
  };
  const first = await reportOf('sizing=target,all');
  const second = await reportOf('sizing=all,target');
  assert.equal(first.winner?.params.sizing, 'target');
  assert.equal(second.winner?.params.sizing, 'target');
  const sharpe = (r: typeof first) => BASELINE_NAMES.map((n) => r.baselines[n].validation.mean.sharpe);
  assert.deepEqual(sharpe(second), sharpe(first), 'the baselines do not depend on which sizing the grid lists first');
  for (const r of [first, second]) {
    const rows = Object.fromEntries(r.leaderboard.map((c) => [String(c.params.sizing), c.random]));
    assert.equal(rows.all?.sizing, 'all');
    assert.equal(rows.target?.sizing, 'target');
    assert.deepEqual(rows.target?.validation, r.baselines.random.validation, "the winner's row: the baseline random");
    assert.notDeepEqual(rows.all?.validation, rows.target?.validation, 'each sizing its own random');
  }
});

/** The report of a sweep over `learner.gamma=0.9,0.99`, from made-up results. */
async function gammaReport(): Promise<ReturnType<typeof buildSweepReport>> {
  const { req, plan } = await planOf('learner.gamma=0.9,0.99');
  return buildSweepReport(
    plan,
    req,
    outcomesOf(plan, (i) => 0.001 * (i + 1)),
    settings,
  );
}

/** A report of two configurations whose request is the 500 × 2 grid `window=2..501 × learner.gamma=0.9,0.99`. */
async function wideGridReport(): Promise<ReturnType<typeof buildSweepReport>> {
  const report = await gammaReport();
  const req = report.request;
  const windows = Array.from({ length: 500 }, (_, i) => i + 2);
  return {
    ...report,
    request: { ...req, grid: [parseGridFlag(`window=${windows.join(',')}`), parseGridFlag('learner.gamma=0.9,0.99')] },
    // a random search that ran two of the grid's configurations
    leaderboard: report.leaderboard.map((c, i) => ({ ...c, params: { ...c.params, window: [7, 300][i] } })),
  };
}

test(`the heatmaps of a 500 × 2 grid: sized by the values the sweep ran, and a pair over too many values is a note, \
not a crash that loses the report (before: "exceeds 32767x32767 pixel limit" after every job had run)`, async () => {
  const dir = tmp();
  const random = await writeSweepReport(dir, await wideGridReport());
  assert.deepEqual(random.files.heatmaps, ['heatmap-window-learner.gamma.png']);
  const { width, height } = await sharp(path.join(dir, random.files.heatmaps[0])).metadata();
  assert.ok(width! <= 1000 && height! <= 1000, `2 × 2 cells: ${width} × ${height}`);
  assert.equal(random.chartNotes, undefined);

  // every configuration of the grid ran: 500 windows is too many for one picture
  const wide = await wideGridReport();
  const all = Array.from({ length: 500 }, (_, w) =>
    wide.leaderboard.map((c) => ({ ...c, key: `${c.key}-${w}`, params: { ...c.params, window: w + 2 } })),
  ).flat();
  const full = await writeSweepReport(tmp(), { ...wide, leaderboard: all });
  assert.deepEqual(full.files.heatmaps, []);
  assert.deepEqual(full.chartNotes, [
    'heatmap window × learner.gamma not drawn: window has 500 values (at most 50 per axis)',
  ]);
});

test(`a picture that cannot be drawn costs that picture, not report.json, report.html or the rest (before: the \
sweep ended with the renderer's error and no report)`, async () => {
  const dir = tmp();
  // the equity picture's name taken by a folder: the renderer cannot write it
  mkdirSync(path.join(dir, 'equity-winner.png'));
  const r = await writeSweepReport(dir, await gammaReport());
  assert.deepEqual(r.files.equity, []);
  assert.match(r.chartNotes?.[0] ?? '', /^equity picture equity-winner\.png not drawn: /);
  const json = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as typeof r;
  assert.deepEqual(json.chartNotes, r.chartNotes);
  assert.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), /Pictures not drawn:.*equity-winner\.png/s);
});
