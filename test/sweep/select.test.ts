/** The sweep leaderboard's mean ± sd: a configuration with one run has no spread to report (not "± 0.000"). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanSd, rankConfigurations, type JobOutcome } from '../../src/sweep/select.ts';
import type { JobResult } from '../../src/sweep/jobs.ts';
import { sweepReportJson } from '../../src/sweep/report.ts';
import type { SweepReport } from '../../src/sweep/summary.ts';

function outcome(configKey: string, seed: number, sharpe: number): JobOutcome {
  const result: JobResult = {
    jobId: `${configKey}-${seed}`,
    validation: { sharpe, totalReturn: sharpe / 10 },
    test: { sharpe: 0 },
    validationReturns: [0.01, -0.005, 0.002],
    trialSharpes: [0.1],
    testEquity: [],
    training: { bestEpoch: 1, bestSharpe: sharpe, stoppedEarly: false, seconds: 0, epochs: [] },
    ...{ modelHash: '', backend: 'cpu', worker: 'test:1', code: '', seconds: 0 },
  };
  return { jobId: result.jobId, configKey, params: {}, label: configKey, market: 0, fold: 0, seed, result };
}

test('meanSd: the sample sd over two or more runs, none from a single run', () => {
  const two = meanSd([{ sharpe: 1 }, { sharpe: 3 }]);
  assert.deepEqual(two, { mean: { sharpe: 2 }, sd: { sharpe: Math.SQRT2 } });
  assert.deepEqual(meanSd([{ sharpe: 1.5, trades: 4 }]), { mean: { sharpe: 1.5, trades: 4 }, sd: {} });
});

test('a configuration with one finished run has no score sd; with two it has the sample sd', () => {
  const windows = [{ market: 0, fold: 0, length: 3 }];
  const ranked = rankConfigurations([outcome('one', 1, 1.2), outcome('two', 1, 0.5), outcome('two', 2, 1.5)], windows);
  const one = ranked.find((c) => c.key === 'one')!;
  const two = ranked.find((c) => c.key === 'two')!;
  assert.equal(one.scoreSd, undefined);
  assert.equal(JSON.parse(JSON.stringify(one)).scoreSd, undefined, 'absent from report.json, not 0');
  assert.ok(Math.abs(two.scoreSd! - Math.SQRT1_2) < 1e-12);
});

test('a result stored before jobs recorded their trial Sharpes (a resumed sweep reuses it) counts as one trial', () => {
  const old = outcome('old', 1, 0.8);
  delete old.result!.trialSharpes;
  const ranked = rankConfigurations([old, outcome('new', 1, 0.5)], [{ market: 0, fold: 0, length: 3 }]);
  assert.equal(ranked.find((c) => c.key === 'old')?.validations, 1);
  assert.deepEqual(ranked.find((c) => c.key === 'old')?.jobTrialVariances, [0]);
});

test('a run without downside (Sortino, Calmar "Infinity") makes the mean infinite with no sd, not dropped', () => {
  // as the runs' metrics arrive (metricsToJson): an unbounded ratio is the string "Infinity"
  const runs = [
    { sortino: 'Infinity', calmar: 'Infinity', sharpe: 2 },
    { sortino: 1.5, calmar: 0.5, sharpe: 1 },
  ];
  const m = meanSd(runs);
  assert.equal(m.mean.sortino, Infinity, 'the finite run alone would read 1.5');
  assert.equal(m.mean.calmar, Infinity);
  assert.equal(m.sd.sortino, undefined);
  assert.equal(m.mean.sharpe, 1.5);
  assert.ok(m.sd.sharpe! > 0);
  assert.deepEqual(meanSd([{ sortino: 'Infinity' }, { sortino: 'Infinity' }]), { mean: { sortino: Infinity }, sd: {} });
  // report.json (and --json) writes the infinite mean as a run's metrics are written, not as null
  const json = JSON.parse(sweepReportJson({ leaderboard: [{ validation: m }] } as unknown as SweepReport));
  assert.equal(json.leaderboard[0].validation.mean.sortino, 'Infinity');
  assert.equal(json.leaderboard[0].validation.mean.sharpe, 1.5);
});

test('validation windows as long as a minute-candle series: their times are joined without spreading them', () => {
  const n = 300_000;
  const times = Array.from({ length: n }, (_, i) => i * 60_000);
  const o = outcome('long', 1, 1);
  o.result!.validationReturns = new Array<number>(n).fill(0.0001);
  const [ranked] = rankConfigurations([o], [{ market: 0, fold: 0, length: n, times }]);
  assert.equal(ranked.validationTimes.length, n);
  assert.equal(ranked.validationTimes[n - 1], (n - 1) * 60_000);
});
