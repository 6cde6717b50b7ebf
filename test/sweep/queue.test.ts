/**
 * Distributed sweeps against a real redis-server (started here on a free port, nothing saved): two `bot worker`
 * processes complete a sweep with every job stored exactly once and the same numbers as the in-process mode; a
 * worker killed with kill -9 mid-job has its job taken over (BullMQ's stalled-job check) and the sweep still ends
 * with one result per job.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  exitWithin,
  freePort,
  startBot,
  startRedis,
  stopBot,
  sweepFolder,
  TINY_SWEEP,
  type BotProcess,
  type RedisServer,
} from './helpers.ts';
import type { SweepReport } from '../../src/sweep/summary.ts';

// a short lock and a frequent stalled check, so a killed worker's job comes back within seconds
const { dir, csv, config } = sweepFolder('sweep-queue-', 600, { sweep: { lockMs: 2000, stalledIntervalMs: 1000 } });
let redis: RedisServer;
const workers: BotProcess[] = [];

before(async () => {
  redis = await startRedis();
});

after(async () => {
  for (const w of workers) await stopBot(w);
  await redis?.stop();
});

async function worker(queue: string): Promise<BotProcess> {
  const w = startBot([
    'worker',
    '--queue',
    redis.url,
    '--concurrency',
    '1',
    '--config',
    config,
    ...(queue === 'bot-sweep' ? [] : []),
  ]);
  workers.push(w);
  await w.waitFor(/worker on queue bot-sweep/);
  return w;
}

interface StoredResult {
  jobId: string;
  validation: Record<string, unknown>;
  test: Record<string, unknown>;
  modelHash: string;
  worker: string;
}

function results(db: string): Map<string, StoredResult> {
  const sqlite = new Database(db, { readonly: true });
  const rows = sqlite.prepare('SELECT job_id AS id, result FROM sweep_results').all() as {
    id: string;
    result: string;
  }[];
  const ids = sqlite.prepare('SELECT job_id FROM sweep_jobs').pluck().all() as string[];
  sqlite.close();
  const map = new Map(rows.map((r) => [r.id, JSON.parse(r.result) as StoredResult]));
  assert.equal(rows.length, map.size, 'job ids are unique in the results table');
  assert.deepEqual([...map.keys()].sort(), [...ids].sort(), 'exactly one result for every job of the sweep');
  return map;
}

const SWEEP = [
  'sweep',
  ...TINY_SWEEP,
  '--grid',
  'learner.learningRate=1e-2,1e-3',
  '--seeds',
  '2',
  '--folds',
  '2',
  '--data',
  csv,
];

test('two worker processes complete a sweep: every job exactly once, the same metrics as in-process', async (t) => {
  await Promise.all([worker('bot-sweep'), worker('bot-sweep')]);
  const db = path.join(dir, 'queue.db');
  const t0 = performance.now();
  const run = startBot([
    ...SWEEP,
    '--epochs',
    '2',
    '--queue',
    redis.url,
    '--db',
    db,
    '--config',
    config,
    '--out',
    path.join(dir, 'rq'),
  ]);
  const code = await run.exited;
  t.diagnostic(`queue sweep ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(code, 0, run.output());
  assert.match(run.output(), /8 jobs; 0 already stored, 8 to run on the Redis queue/);
  const queued = results(db);
  assert.equal(queued.size, 8);
  const children = new Set([...queued.values()].map((r) => r.worker));
  assert.ok(children.size >= 2, `both workers took jobs (${[...children].join(', ')})`);

  const localDb = path.join(dir, 'local.db');
  const local = startBot([
    ...SWEEP,
    '--epochs',
    '2',
    '--workers',
    '2',
    '--db',
    localDb,
    '--config',
    config,
    '--out',
    path.join(dir, 'rl'),
  ]);
  assert.equal(await local.exited, 0, local.output());
  const inProcess = results(localDb);
  for (const [id, r] of queued) {
    const l = inProcess.get(id);
    assert.ok(l, `job ${id} in both modes`);
    assert.equal(r.modelHash, l.modelHash, `job ${id}: same weights`);
    assert.deepEqual(r.validation, l.validation, `job ${id}: same validation metrics`);
    assert.deepEqual(r.test, l.test, `job ${id}: same test metrics`);
  }
  const rq = JSON.parse(readFileSync(path.join(dir, 'rq', 'report.json'), 'utf8')) as SweepReport;
  const rl = JSON.parse(readFileSync(path.join(dir, 'rl', 'report.json'), 'utf8')) as SweepReport;
  assert.deepEqual(rq.leaderboard, rl.leaderboard);
  assert.deepEqual(rq.statistics, rl.statistics);
});

test(`kill -9 one worker mid-job: its job is retried elsewhere and the sweep ends with one result per \
job`, async (t) => {
  const victim = workers[0];
  const db = path.join(dir, 'killed.db');
  const t0 = performance.now();
  // longer jobs (more epochs) so the kill lands while the victim holds one
  const run = startBot([
    ...SWEEP,
    '--epochs',
    '12',
    '--seeds',
    '1',
    '--queue',
    redis.url,
    '--db',
    db,
    '--config',
    config,
    '--out',
    path.join(dir, 'rk'),
  ]);
  const before = victim.output().length;
  await victim.waitFor(new RegExp(`[\\s\\S]{${before}}[\\s\\S]*job (\\w+) started`), 60_000);
  const taken = /job (\w+) started/.exec(victim.output().slice(before))![1];
  victim.child.kill('SIGKILL');
  await victim.exited;
  const code = await run.exited;
  t.diagnostic(`sweep with a killed worker ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(code, 0, run.output());
  const stored = results(db);
  assert.equal(stored.size, 4);
  assert.ok(stored.has(taken), "the killed worker's job has its result");
  assert.doesNotMatch(victim.output().slice(before), new RegExp(`job ${taken} done`), 'the victim never finished it');
  assert.match(workers[1].output(), new RegExp(`job ${taken} (started|done)`), 'the other worker took it over');
  const report = JSON.parse(readFileSync(path.join(dir, 'rk', 'report.json'), 'utf8')) as SweepReport;
  assert.equal(report.jobs.retried, 1, "the killed worker's job took two tries");
});

let stopLast: (() => Promise<void>) | undefined;

test('Redis restarted mid-sweep (nothing saved): the coordinator queues its jobs again, the sweep ends', async () => {
  const port = await freePort();
  let own = await startRedis(port);
  try {
    const w = startBot(['worker', '--queue', own.url, '--concurrency', '1', '--config', config]);
    stopLast = () => stopBot(w);
    await w.waitFor(/worker on queue bot-sweep/);
    const db = path.join(dir, 'restarted.db');
    const run = startBot([
      ...SWEEP,
      ...['--seeds', '1', '--folds', '1', '--epochs', '1'],
      ...['--queue', own.url, '--db', db, '--config', config, '--out', path.join(dir, 'rr')],
    ]);
    await w.waitFor(/job \w+ started/);
    await own.stop();
    own = await startRedis(port);
    // before: the coordinator polled for jobs that no longer existed, forever
    const code = await exitWithin(run, 120_000);
    assert.equal(code, 0, run.output());
    assert.match(run.output(), /job \w+ is no longer in Redis \(restarted without saving, or removed\); queueing it/);
    // before: BullMQ's raw `worker: could not renew lock for job <id>` once a renewal, then `worker: Missing key for
    // job <id>. moveToDelayed` (or `Missing lock …`, when the coordinator had queued it again first) once a command
    const lost = [
      ...w
        .output()
        .matchAll(/warn job \w+: (Redis lost the queue's keys|this worker lost its lock on the job) (.*)\n/g),
    ];
    assert.ok(lost.length >= 1 && lost.length <= 2, w.output());
    assert.match(lost[0][0], /\(restarted without persistence|\(Redis restarted without persistence/);
    for (const [, , rest] of lost)
      assert.match(rest, /; this try's outcome is dropped and (the sweep queues )?the job/);
    assert.doesNotMatch(w.output() + run.output(), /Missing (key|lock)|could not renew lock/);
    assert.equal(results(db).size, 2);
    const report = JSON.parse(readFileSync(path.join(dir, 'rr', 'report.json'), 'utf8')) as SweepReport;
    // the worker's one job in hand lost its try; the other only waited in line (before: both counted)
    assert.equal(report.jobs.retried, 1, 'the job a worker had started counts as retried, not the waiting one');
  } finally {
    await stopLast?.();
    await own.stop();
  }
});
