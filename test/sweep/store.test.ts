/** The sweep tables: their own migrations in the bot's file, and exactly one stored result per job. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CandleStore } from '../../src/data/store.ts';
import { migrate, schemaVersion, latestVersion } from '../../src/data/migrations.ts';
import { SWEEP_SCHEMA, SweepStore, type PlanWindow } from '../../src/sweep/store.ts';
import { windowKey, type JobResult, type JobSpec } from '../../src/sweep/jobs.ts';

function result(jobId: string, sharpe: number): JobResult {
  return {
    jobId,
    validation: { sharpe },
    test: { sharpe: 0 },
    validationReturns: [0.01],
    validationOn: 'epochWindows',
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

const HOUR = 3_600_000;
const SYN = JSON.stringify(['file', 'syn', '1h']);

/** A plan's window on the `syn` market over [from, to) whose series holds nothing (earlier jobs match by identity). */
const window = (from = 0, to = HOUR): PlanWindow => ({ from, to, marketId: SYN, heldFrom: 1, heldTo: 0, held: [] });

const job = (id: string): JobSpec =>
  ({
    id,
    configKey: 'c1',
    params: { window: 3 },
    seed: 1,
    market: { label: 'syn', exchange: 'file', symbol: 'syn', timeframe: '1h', dataKey: 'd1' },
    fold: { index: 0 },
    validationSpan: { from: 0, to: 3_600_000, dataKey: 'v1' },
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
  assert.equal(schemaVersion(again.db, SWEEP_SCHEMA), 6);
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

test(`sweep schema 4 adds each job's market identity and validation span; a job stored at schema 3 keeps matching \
by its window key until a re-run of its sweep fills them in`, () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sweep-store-')), 'bot.db');
  const old = CandleStore.open(file);
  migrate(old.db, { ...SWEEP_SCHEMA, migrations: SWEEP_SCHEMA.migrations.slice(0, 3) });
  const j1 = { ...job('j1'), configKey: 'c2' };
  old.db
    .prepare(
      `INSERT INTO sweep_jobs (sweep_id, job_id, config_key, params, seed, market, fold, window_key, trial_key)
       VALUES ('sw0', 'j1', 'c2', '{"window":3}', 1, 'syn', 0, ?, 't-old')`,
    )
    .run(windowKey(j1));
  old.db
    .prepare(
      `INSERT INTO sweep_results (job_id, config_key, result, worker, code, finished_at) VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .run('j1', 'c2', JSON.stringify(result('j1', 1)), 'here:1', 'c0de', 0);
  old.close();
  const s = SweepStore.open(file);
  try {
    assert.equal(schemaVersion(s.db, SWEEP_SCHEMA), 6);
    // its result is of sweep schema 5's meaning for this test (schema 4's matching is what it checks)
    s.db.prepare(`UPDATE sweep_results SET validation_on = 'epochWindows'`).run();
    // the old row has no market or span: found by its exact window key only
    assert.deepEqual(
      s.earlierJobs([windowKey(j1)], ['t-new'], [window()]).map((e) => [e.jobId, e.marketId]),
      [['j1', undefined]],
    );
    assert.deepEqual(s.earlierJobs([], ['t-new'], [window()]), []);
    s.saveSweep('sw0', 'n', 'tiny', {}, [j1]); // a re-run of the old sweep
    const [again] = s.earlierJobs([], ['t-new'], [window()]);
    assert.equal(again.jobId, 'j1');
    assert.equal(again.marketId, JSON.stringify(['file', 'syn', '1h']));
    assert.deepEqual(again.validationSpan, { from: 0, to: 3_600_000, dataKey: 'v1' });
  } finally {
    s.close();
  }
});

test(`sweep schema 5 marks the candles each result was validated on: a result stored before (over the fold's whole \
validation window, training segments inside it) is no earlier trial, but named as uncompared until its trial is run \
again`, () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sweep-store-')), 'bot.db');
  const old = CandleStore.open(file);
  migrate(old.db, { ...SWEEP_SCHEMA, migrations: SWEEP_SCHEMA.migrations.slice(0, 4) });
  old.close();
  const s = SweepStore.open(file);
  try {
    const j1 = { ...job('j1'), configKey: 'c2' };
    s.saveSweep('sw0', 'old sweep', 'tiny', {}, [j1]);
    const { validationOn: _, ...before } = result('j1', 1);
    s.saveResult('c2', before);
    const earlier = () => s.earlierJobs([windowKey(j1)], [], [window()]).map((e) => e.jobId);
    const uncompared = () => s.uncomparedEarlierJobs(['syn'], [windowKey(j1)], [], []);
    // before: counted as a trial of a sweep on the same window, its validation Sharpe partly over training candles
    assert.deepEqual(earlier(), []);
    assert.deepEqual(uncompared(), { jobs: 1, sweeps: ['old sweep'] });
    // the same trial run again by this code (another job id): counted, and the old row no longer named
    const j2 = { ...j1, id: 'j2' };
    s.saveSweep('sw1', 'new sweep', 'tiny', {}, [j2]);
    s.saveResult('c2', result('j2', 1));
    assert.deepEqual(earlier(), ['j2']);
    assert.deepEqual(uncompared(), { jobs: 0, sweeps: [] });
  } finally {
    s.close();
  }
});

test(`earlierJobs reads only the jobs a window of the plan could match (src/sweep/earlier.ts matchOf): the same \
market's by identity, or the very candles its series holds; not other markets' or other times'`, () => {
  const s = SweepStore.open(path.join(mkdtempSync(path.join(os.tmpdir(), 'sweep-store-')), 'bot.db'));
  try {
    const at = (id: string, from: number, to: number, dataKey: string, symbol = 'syn'): JobSpec => ({
      ...job(id),
      market: { ...job(id).market, symbol, label: symbol, dataKey: `d-${symbol}` },
      validationSpan: { from, to, dataKey },
    });
    const jobs = [
      at('near', 0, 10 * HOUR, 'v-near'), // this market, inside the series: its very candles
      at('before', -6 * HOUR, 4 * HOUR, 'v-before'), // this market, partly before the series: by identity
      at('renamed', 0, 10 * HOUR, 'v-near', 'copy'), // another name for the same candles
      { ...at('far', 100 * HOUR, 110 * HOUR, 'v-far'), seed: 2 }, // this market, another time (and seed)
      at('other', -6 * HOUR, 4 * HOUR, 'v-other', 'eth'), // another market, partly before the series
      at('unlike', 0, 10 * HOUR, 'v-unlike', 'eth'), // another market inside the series: other candles
    ];
    s.saveSweep('sw1', 'one', 'tiny', {}, jobs.slice(0, 2));
    s.saveSweep('sw2', 'two', 'tiny', {}, jobs.slice(2));
    for (const j of jobs) s.saveResult('c1', result(j.id, 1));
    const plan = { from: 2 * HOUR, to: 12 * HOUR, marketId: SYN, heldFrom: 0, heldTo: 20 * HOUR };
    // before: every job of the database with a market identity (all six), for the caller to throw most away
    const read = s.earlierJobs(['no-such-window'], [], [{ ...plan, held: ['v-near'] }]).map((e) => e.jobId);
    assert.deepEqual(read, ['before', 'near', 'renamed']);
    assert.deepEqual(
      s
        .earlierSpans([plan])
        .map((v) => v.dataKey)
        .sort(),
      ['v-before', 'v-near', 'v-other', 'v-unlike'],
      'the spans meeting the window in time',
    );
    // by window key whatever the spans
    assert.deepEqual(
      s.earlierJobs([windowKey(jobs[3])], [], []).map((e) => e.jobId),
      ['far'],
    );
  } finally {
    s.close();
  }
});

test(`retries are counted per sweep job over its sweep's runs, and a failure keeps the tries of its last run`, () => {
  const s = SweepStore.open(path.join(mkdtempSync(path.join(os.tmpdir(), 'sweep-store-')), 'bot.db'));
  try {
    s.saveSweep('sw1', 'n', 'tiny', {}, [job('j1'), job('j2')]);
    s.addRetries('sw1', 'j1', 1);
    s.saveSweep('sw1', 'n', 'tiny', {}, [job('j1'), job('j2')]); // a resumed run keeps them
    s.addRetries('sw1', 'j1', 2);
    s.saveFailure('j2', 'it broke', 3);
    const jobs = s.jobs('sw1');
    assert.deepEqual(
      jobs.map((j) => [j.jobId, j.retries, j.attempts]),
      [
        ['j1', 3, undefined],
        ['j2', 0, 3],
      ],
    );
  } finally {
    s.close();
  }
});
