/** The sweep leaderboard's mean ± sd: a configuration with one run has no spread to report (not "± 0.000"). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanSd, rankConfigurations, type JobOutcome } from '../../src/sweep/select.ts';
import type { JobResult } from '../../src/sweep/jobs.ts';

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
