/** The sweep tables: their own migrations in the bot's file, and exactly one stored result per job. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CandleStore } from '../../src/data/store.ts';
import { schemaVersion, latestVersion } from '../../src/data/migrations.ts';
import { SWEEP_SCHEMA, SweepStore } from '../../src/sweep/store.ts';
import type { JobResult, JobSpec } from '../../src/sweep/jobs.ts';

function result(jobId: string, sharpe: number): JobResult {
  return {
    jobId,
    validation: { sharpe },
    test: { sharpe: 0 },
    validationReturns: [0.01],
    trialSharpes: [0.1],
    testEquity: [1, 1.01],
    training: { bestEpoch: 1, bestSharpe: sharpe, stoppedEarly: false, seconds: 0.1, epochs: [] },
    modelHash: 'h',
    backend: 'cpu',
    worker: 'here:1',
    code: 'c0de',
    seconds: 0.1,
  };
}

const job = (id: string): JobSpec =>
  ({
    id,
    configKey: 'c1',
    params: { window: 3 },
    seed: 1,
    market: { label: 'syn' },
    fold: { index: 0 },
  }) as unknown as JobSpec;

test('sweep tables migrate under their own owner, beside the candle tables', () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sweep-store-')), 'bot.db');
  const candles = CandleStore.open(file);
  assert.equal(schemaVersion(candles.db, SWEEP_SCHEMA), 0);
  candles.close();
  const s = SweepStore.open(file);
  assert.equal(schemaVersion(s.db, SWEEP_SCHEMA), latestVersion(SWEEP_SCHEMA));
  s.close();
  const again = SweepStore.open(file); // reopening applies nothing twice
  assert.equal(schemaVersion(again.db, SWEEP_SCHEMA), 3);
  again.close();
});

test('a job result is stored once: a second result for the same job (a stalled job finished twice) is ignored', () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sweep-store-')), 'bot.db');
  const s = SweepStore.open(file);
  s.saveSweep('sw1', 'n', 'tiny', {}, [job('j1'), job('j2')]);
  s.saveSweep('sw1', 'n', 'tiny', {}, [job('j1'), job('j2')]);
  s.saveFailure('j1', 'boom', 1);
  assert.equal(s.saveResult('c1', result('j1', 1.5)), true);
  assert.equal(s.saveResult('c1', result('j1', 9.9)), false);
  assert.equal(s.resultCount('j1'), 1);
  const code = s.db.prepare('SELECT code FROM sweep_results WHERE job_id = ?').pluck().get('j1');
  assert.equal(code, 'c0de', 'the result records the code fingerprint of the process that made it');
  assert.deepEqual([...s.finished(['j1', 'j2'])], ['j1']);
  s.saveFailure('j2', 'it broke', 3);
  const jobs = s.jobs('sw1');
  assert.equal(jobs.length, 2);
  assert.equal(jobs.find((j) => j.jobId === 'j1')?.result?.validation.sharpe, 1.5, 'the first result is kept');
  assert.equal(jobs.find((j) => j.jobId === 'j1')?.error, undefined, 'a success clears an earlier failure');
  assert.equal(jobs.find((j) => j.jobId === 'j2')?.error, 'it broke');
  s.close();
});
