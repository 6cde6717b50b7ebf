/**
 * Sweeps across checkouts: a `bot worker` started from a copy of the checkout with one source file changed (another
 * machine on another commit) refuses the coordinator's job without running it, with one line naming both code
 * fingerprints; the coordinator reports the job failed and ends instead of waiting, and stores no result. A worker
 * with the coordinator's code then runs it and the result records the fingerprint. A re-run of the same sweep from the
 * changed checkout (in-process) does not reuse that result: other code, other job ids. A worker of an older bot that
 * does not check (the copy with the check taken out) has its result refused by the coordinator.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { computeCodeFingerprint, shortCode } from '../../src/sweep/fingerprint.ts';
import {
  copyCheckout,
  exitWithin,
  startBot,
  startRedis,
  stopBot,
  sweepFolder,
  type BotProcess,
  type RedisServer,
} from './helpers.ts';

const { dir, csv, config } = sweepFolder('sweep-code-', 400);
const db = path.join(dir, 'bot.db');
let redis: RedisServer;
let other: string;
const started: BotProcess[] = [];

before(async () => {
  // another machine's checkout, one commit apart: a changed source file
  other = copyCheckout(path.join(dir, 'other'), (root) =>
    appendFileSync(path.join(root, 'src/sweep/run-job.ts'), '// changed on the other machine\n'),
  );
  redis = await startRedis();
});

after(async () => {
  for (const p of started) await stopBot(p);
  await redis?.stop();
});

const SWEEP = [
  ...['sweep', '--strategy', 'dqn-dnn', '--grid', 'network.hidden=[8]', '--grid', 'learner.warmup=32'],
  ...['--grid', 'learner.batchSize=16', '--seeds', '1', '--folds', '1', '--epochs', '1', '--data', csv],
  ...['--db', db, '--config', config],
];

function worker(root: string): BotProcess {
  const w = startBot(['worker', '--queue', redis.url, '--concurrency', '1', '--config', config], undefined, root);
  started.push(w);
  return w;
}

function rows(sql: string): Record<string, unknown>[] {
  const sqlite = new Database(db, { readonly: true });
  try {
    return sqlite.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    sqlite.close();
  }
}

test('a worker on other code refuses the job in one line; the coordinator reports it and stops waiting', async () => {
  const mine = computeCodeFingerprint();
  const theirs = computeCodeFingerprint(other);
  assert.notEqual(mine, theirs, 'the changed copy has another fingerprint');
  const wrong = worker(other);
  await wrong.waitFor(/worker on queue bot-sweep/);

  const run = startBot([...SWEEP, '--queue', redis.url, '--out', path.join(dir, 'r1')]);
  // before the fix the job ran on the wrong code and its result was stored; a hang here fails the test too.
  // A sweep with a failed job exits 1 once its report is written
  assert.equal(await exitWithin(run, 120_000), 1, run.output());
  assert.match(run.output(), /error: 1 of 1 jobs failed after 1 attempt \(first: .*code differs/);
  assert.equal(rows('SELECT * FROM sweep_results').length, 0, 'no result of other code stored');
  assert.match(wrong.output(), new RegExp(`worker on queue bot-sweep .*code ${shortCode(theirs)}`));
  const line =
    `code differs: this worker runs code ${shortCode(theirs)}, the sweep's coordinator code ${shortCode(mine)}; ` +
    `check out the same commit on both machines, then run the sweep again`;
  assert.ok(wrong.output().includes(line), `the worker logs the line:\n${wrong.output()}`);
  assert.doesNotMatch(wrong.output(), /job \w+ done/, 'the worker did not run the job');
  assert.ok(
    run.output().includes(`FAILED`) && run.output().includes(line),
    `the coordinator reports it:\n${run.output()}`,
  );
  const failures = rows('SELECT error, attempts FROM sweep_failures');
  assert.deepEqual(failures, [{ error: line, attempts: 1 }], 'failed once: retrying on that worker cannot help');
  await stopBot(wrong);

  // the same commit on the worker: the re-run runs the failed job, and its result records the fingerprint
  const right = worker(process.cwd());
  await right.waitFor(new RegExp(`worker on queue bot-sweep .*code ${shortCode(mine)}`));
  const again = startBot([...SWEEP, '--queue', redis.url, '--out', path.join(dir, 'r2')]);
  assert.equal(await exitWithin(again, 120_000), 0, again.output());
  assert.match(again.output(), /1 jobs; 0 already stored, 1 to run on the Redis queue/);
  assert.deepEqual(
    rows('SELECT code FROM sweep_results').map((r) => r.code),
    [mine],
  );
  await stopBot(right);
});

test('a re-run after the code changed does not reuse results made by the old code (in-process too)', async () => {
  const theirs = computeCodeFingerprint(other);
  const run = startBot([...SWEEP, '--workers', '1', '--out', path.join(dir, 'r3')], undefined, other);
  assert.equal(await exitWithin(run, 120_000), 0, run.output());
  assert.match(run.output(), new RegExp(`\\(code ${shortCode(theirs)}\\): .*1 jobs; 0 already stored, 1 to run`));
  const codes = rows('SELECT code FROM sweep_results ORDER BY finished_at').map((r) => r.code);
  assert.deepEqual(codes, [computeCodeFingerprint(), theirs], 'one result per code, each recording its own');
});

test('a worker that does not check (an older bot): the coordinator refuses its result, reports the job', async () => {
  const file = path.join(other, 'src/sweep/processor.ts');
  const text = readFileSync(file, 'utf8');
  const unchecked = text.replace(/^ {2}if \(job\.data\.code !== code\).*\n/m, '');
  assert.notEqual(unchecked, text, 'the check was taken out of the copy');
  writeFileSync(file, unchecked);
  const theirs = computeCodeFingerprint(other);
  const old = worker(other);
  await old.waitFor(/worker on queue bot-sweep/);
  const fresh = path.join(dir, 'fresh.db');
  const run = startBot([...SWEEP, '--db', fresh, '--queue', redis.url, '--out', path.join(dir, 'r4')]);
  assert.equal(await exitWithin(run, 120_000), 1, run.output());
  assert.match(run.output(), /error: 1 of 1 jobs failed after 1 attempt \(first: .*result made by code/);
  assert.match(old.output(), /job \w+ done/, 'the unchecking worker ran the job');
  const sqlite = new Database(fresh, { readonly: true });
  const stored = sqlite.prepare('SELECT count(*) FROM sweep_results').pluck().get();
  const errors = sqlite.prepare('SELECT error FROM sweep_failures').pluck().all();
  sqlite.close();
  assert.equal(stored, 0, 'its result is not stored');
  assert.equal(errors.length, 1);
  assert.match(
    String(errors[0]),
    new RegExp(`^result made by code ${shortCode(theirs)} \\(worker .*\\), this sweep runs code \\w+: not stored`),
  );
  assert.match(run.output(), /FAILED .*result made by code/);
  await stopBot(old);
});
