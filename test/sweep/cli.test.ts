/**
 * `bot sweep` through the CLI, in-process mode: bad input is one line before any I/O, a small sweep writes its report
 * and stores one result per job, a re-run skips every finished job, a job that keeps failing is tried 3 times and
 * marked failed while the sweep goes on, and the winner can be saved as a strategy file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { runBot } from '../cli/run.ts';
import { sessionCandles } from '../data/helpers.ts';
import { candlesToCsv } from '../../src/data/csv.ts';
import { freePort, pathWithoutGpu, startRedis, sweepFolder, TINY_SWEEP } from './helpers.ts';
import type { SweepReport } from '../../src/sweep/summary.ts';
import { STRATEGIES_DIR } from '../../src/agents/strategy.ts';

const { dir, csv, config } = sweepFolder('sweep-cli-', 600);
const TINY = TINY_SWEEP;

/** `text` matched literally inside a RegExp. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

async function oneLine(args: string[], pattern: RegExp, env: Record<string, string> = {}): Promise<void> {
  const db = path.join(dir, `untouched-${Math.random().toString(36).slice(2)}.db`);
  const r = await runBot([...args, '--db', db, '--config', config], env);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.equal(existsSync(db), false, 'nothing written before the input was checked');
}

test('malformed grid, flags or file: one line naming the problem, nothing written', async () => {
  await oneLine(
    ['sweep', '--strategy', 'dqn-dnn', '--grid', 'learner.learningRate', '--data', csv],
    /^error: --grid "learner\.learningRate": expected KEY=V1,V2/,
  );
  await oneLine(
    ['sweep', '--strategy', 'dqn-dnn', '--grid', 'learner.learningRat=1e-3,3e-4', '--data', csv],
    /^error: --grid learner\.learningRat: strategies\/dqn-dnn\.ts's recipe has no "learner\.learningRat"/,
  );
  await oneLine(
    ['sweep', '--strategy', 'dqn-dnn', '--grid', 'window=5,x y', '--data', csv],
    /^error: --grid window: "x y" is not/,
  );
  // before: --epochs silently overrode the grid's epochs, so its configurations were the same training
  await oneLine(
    ['sweep', ...TINY, '--grid', 'epochs=1,2', '--epochs', '3', '--data', csv],
    /^error: --epochs and a grid over epochs both set the epochs: give one$/,
  );
  await oneLine(
    ['sweep', ...TINY, '--seeds', '0', '--data', csv],
    /^error: --seeds must be a whole number ≥ 1, got "0"/,
  );
  // millions of jobs: refused before the data is read or a job is hashed
  await oneLine(
    ['sweep', ...TINY, '--grid', 'window=3,5', '--seeds', '3000000', '--data', csv],
    /^error: the sweep would run 6000000 jobs /,
  );
  // before: costs=zero won (fee-free) and its "beats buy-and-hold" set it against baselines charged config costs
  await oneLine(
    ['sweep', ...TINY, '--grid', 'costs=config,zero', '--random', '1', '--data', csv],
    /^error: --grid costs: costs are a fact of the market, not a hyper-parameter to tune/,
  );
  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ strategy: 'dqn-dnn', grid: { window: [3, 5] }, folds: 'two' }));
  await oneLine(['sweep', '--file', bad, '--data', csv], new RegExp(`^error: ${literal(bad)}: folds: `));
  // a folder that is not there: what to do (before: only `no folder …`)
  await oneLine(
    ['sweep', ...TINY, '--save-strategy', path.join(dir, 'nowhere', 'mine.ts'), '--data', csv],
    new RegExp(
      `^error: --save-strategy .*mine\\.ts: no folder .*nowhere; make it first, or save to ` +
        `${literal(STRATEGIES_DIR)}/mine\\.ts \\(then --strategy mine loads it\\)$`,
    ),
  );
  writeFileSync(bad, '{"strategy": "dqn-dnn", "grid": ');
  await oneLine(['sweep', '--file', bad, '--data', csv], /bad\.json: not valid JSON/);
  // a value no job can run with, checked as bot backtest checks a recipe (before: every job with it failed, and the
  // sweep ended with exit 0 and a winner among the others)
  await oneLine(
    ['sweep', ...TINY, '--grid', 'window=0,3', '--epochs', '1', '--workers', '1', '--data', csv],
    /^error: with \{.*"window":0\}: strategies\/dqn-dnn\.ts: network dnn needs feature rows: .*got window 0/,
  );
});

test('a grid value the recipe check refuses (unknown activation or feature set): one line before any job', async () => {
  // before: the recipe check took any activation name and every job with it failed in training ("Unknown activation:
  // bogus. This may be due to…"), the sweep ranking the other configurations
  await oneLine(
    ['sweep', ...TINY, '--grid', 'network.activation=relu,bogus', '--epochs', '1', '--workers', '1', '--data', csv],
    new RegExp(
      '^error: with \\{.*"network\\.activation":"bogus".*\\}: strategies/dqn-dnn\\.ts: ' +
        'recipe\\.network\\.activation: not an activation tfjs knows .*\\(got "bogus"\\)$',
    ),
  );
  const file = path.join(dir, 'bad-activation.json');
  writeFileSync(file, JSON.stringify({ strategy: 'dqn-dnn', grid: { 'network.activation': ['tanh', 'Relu'] } }));
  await oneLine(
    ['sweep', '--file', file, '--epochs', '1', '--workers', '1', '--data', csv],
    /^error: with \{"network\.activation":"Relu"\}: .*recipe\.network\.activation: not an activation tfjs knows/,
  );
  // before: refused only after the data was read, without naming the grid key
  await oneLine(
    ['sweep', ...TINY, '--grid', 'features=rltrader-v1,rltrader-v2', '--epochs', '1', '--data', csv],
    /^error: with \{.*"features":"rltrader-v2".*\}: .*recipe\.features: unknown feature set "rltrader-v2"/,
  );
});

test(`--out: a folder holding a backtest (or another sweep's report) is refused as bot backtest refuses it, before \
any job; the same sweep's own report folder is reused`, async () => {
  const quick = [...TINY, '--epochs', '1', '--workers', '1', '--data', csv];
  const backtest = path.join(dir, 'a-backtest');
  mkdirSync(backtest);
  const old = '{"schema": "bot-backtest-report/3"}';
  writeFileSync(path.join(backtest, 'report.json'), old);
  writeFileSync(path.join(backtest, 'report.html'), '<html></html>');
  // before: the sweep ran and wrote its report.json and report.html over the backtest's
  await oneLine(
    ['sweep', ...quick, '--out', backtest],
    /^error: --out \S*a-backtest already holds report\.html, report\.json: give a new or empty folder \(/,
  );
  assert.equal(readFileSync(path.join(backtest, 'report.json'), 'utf8'), old);
  const other = path.join(dir, 'other-sweep');
  mkdirSync(other);
  writeFileSync(path.join(other, 'report.json'), JSON.stringify({ schema: 'bot-sweep-report/1', sweepId: 'feedbeef' }));
  await oneLine(
    ['sweep', ...quick, '--out', other],
    /^error: --out \S*other-sweep holds the report of sweep feedbeef, not of this sweep \(\w+\): give a new or empty/,
  );
});

test('more job processes than 4 per core: one line before Redis or data is touched (worker and sweep)', async () => {
  const port = await freePort();
  const cores = os.availableParallelism();
  const refused = (flag: string) =>
    new RegExp(`^error: ${flag} 100000: at most ${4 * cores} here \\(4 × the ${cores} cores\\): each job is a process`);
  // before: accepted, one tfjs process per job up to that number (here: 'cannot reach Redis')
  const r = await runBot(['worker', '--queue', `redis://127.0.0.1:${port}`, '--concurrency', '100000']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, refused('--concurrency'));
  await oneLine(['sweep', ...TINY, '--data', csv, '--workers', '100000'], refused('--workers'));
});

test('an unreachable Redis is one clear line (sweep and worker)', async () => {
  const port = await freePort();
  await oneLine(
    ['sweep', ...TINY, '--data', csv, '--queue', `redis://127.0.0.1:${port}`],
    new RegExp(`^error: cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED.*\\)`),
  );
  const r = await runBot(['worker', '--queue', `redis://127.0.0.1:${port}`, '--config', config]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^error: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/);
  // the coordinator trains nothing: a backend for it would be ignored in silence (before: 'cannot reach Redis')
  await oneLine(
    ['sweep', ...TINY, '--data', csv, '--queue', `redis://127.0.0.1:${port}`, '--backend', 'cpu'],
    /^error: --backend chooses the in-process workers' backend; with --queue each bot worker chooses its own/,
  );
  await oneLine(
    ['sweep', ...TINY, '--data', csv, '--queue', 'http://x:1'],
    /^error: --queue http:\/\/x:1: expected redis:\/\/host:port/,
  );
});

test(`a malformed --queue URL: one line with the user and password masked, on stderr and in the log file, for \
worker and sweep`, async () => {
  const logFile = path.join(dir, 'queue-url.log');
  const logged = path.join(dir, 'queue-url-config.json');
  writeFileSync(logged, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), log: { file: logFile } }));
  // before: the first two printed the raw URL, password and all; the third died in ioredis with "URI malformed"
  // and a stack trace
  for (const [url, shown] of [
    ['redis://:WRONGpass3@127.0.0.1:99999', /^error: --queue redis:\/\/\*\*\*@127\.0\.0\.1:99999 is not a URL/],
    ['redis:/:WRONGpass1@127.0.0.1:16399', /^error: --queue redis:\/\*\*\*@127\.0\.0\.1:16399: no host$/m],
    ['redis://user:WRONGpass2@127.0.0.1:9 x', /^error: --queue redis:\/\/\*\*\*@127\.0\.0\.1:9 x is not a URL/],
    [
      'redis://:WRONG%zzpass@127.0.0.1:16399',
      /^error: --queue redis:\/\/\*\*\*@127\.0\.0\.1:16399: a malformed %-escape in the user or password/,
    ],
  ] as const) {
    for (const args of [['worker'], ['sweep', ...TINY, '--data', csv]]) {
      const r = await runBot([...args, '--queue', url, '--config', logged, '--log-level', 'debug']);
      assert.equal(r.code, 1, r.stderr);
      // --log-level debug: the error line, then the logger's own copy of it at debug
      assert.match(r.stderr, shown);
      assert.doesNotMatch(r.stderr, /unexpected failure|URI malformed|\n\s+at /);
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      assert.doesNotMatch(r.stderr + r.stdout + log, /WRONG/);
    }
  }
});

test(`the error that ends a worker reaches the log file at error level, masked; a flag mistake before it does \
not`, async () => {
  const port = await freePort();
  const logFile = path.join(dir, 'worker-end.log');
  const logged = path.join(dir, 'worker-end-config.json');
  writeFileSync(logged, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), log: { file: logFile } }));
  const errors = () =>
    (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { level: string; message: string })
      .filter((e) => e.level === 'error');
  // a flag mistake: no run began, nothing for the log
  const flag = await runBot([
    'worker',
    '--queue',
    `redis://127.0.0.1:${port}`,
    '--concurrency',
    '0',
    '--config',
    logged,
  ]);
  assert.equal(flag.code, 1, flag.stderr);
  assert.deepEqual(errors(), []);
  // the host stands in for a secret (an environment value under a secret's name): masked in the file as on stderr
  const r = await runBot(['worker', '--queue', `redis://127.0.0.1:${port}`, '--config', logged], {
    UPBIT_API_SECRET: '127.0.0.1',
  });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  // before: logged at debug, so the file (level info) had nothing of why the worker stopped
  assert.deepEqual(
    errors().map((e) => e.message),
    [
      `cannot reach Redis at redis://***:${port} (connect ECONNREFUSED ***:${port}): start redis-server there, or \
check the host and port`,
    ],
  );
});

test('a Redis that wants a password: a missing or wrong BOT_REDIS_PASSWORD is one line, never the secret', async () => {
  const secret = 'right-secret-0123456789';
  const redis = await startRedis(undefined, ['--requirepass', secret]);
  try {
    for (const [env, reason] of [
      [{}, /NOAUTH/],
      [{ BOT_REDIS_PASSWORD: 'wrong-secret-9876543210' }, /WRONGPASS|invalid/],
    ] as const) {
      for (const args of [
        ['worker', '--queue', redis.url, '--config', config],
        ['sweep', ...TINY, '--data', csv, '--queue', redis.url, '--config', config],
      ]) {
        const r = await runBot(args, env);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, /^error: Redis at redis:\/\/127\.0\.0\.1:\d+ refused the password \(/);
        assert.match(r.stderr, reason);
        assert.match(r.stderr, /set BOT_REDIS_PASSWORD to its requirepass/);
        assert.doesNotMatch(r.stderr + r.stdout, /start redis-server|right-secret|wrong-secret/);
      }
    }
  } finally {
    await redis.stop();
  }
});

/** Test Sharpe of each seed's job of one configuration and fold. */
function rowsOfFold(db: string, key: string, fold: number): number[] {
  const sqlite = new Database(db, { readonly: true });
  const rows = sqlite
    .prepare(
      `SELECT r.result FROM sweep_results r JOIN sweep_jobs j ON
        j.job_id = r.job_id WHERE j.config_key = ? AND j.fold = ?`,
    )
    .all(key, fold) as { result: string }[];
  sqlite.close();
  return rows.map((x) => (JSON.parse(x.result) as { test: { sharpe: number } }).test.sharpe);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function readReport(out: string): SweepReport {
  return JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as SweepReport;
}

test(`in-process sweep: report ranked by validation only, one result per job, re-run skips finished jobs, winner \
saved`, async (t) => {
  const db = path.join(dir, 'local.db');
  const out = path.join(dir, 'report-local');
  const saved = path.join(dir, 'tuned-dqn.ts');
  const args = [
    'sweep',
    ...TINY.slice(0, 6),
    '--grid',
    'learner.learningRate=1e-2,1e-3',
    '--grid',
    'window=3,5',
    '--seeds',
    '2',
    '--folds',
    '2',
    '--epochs',
    '2',
    '--data',
    csv,
    '--workers',
    '2',
    '--db',
    db,
    '--config',
    config,
    '--out',
    out,
  ];
  const t0 = performance.now();
  const first = await runBot([...args, '--save-strategy', saved]);
  t.diagnostic(`first run ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /16 jobs; 0 already stored, 16 to run on 2 local worker process/);
  // saved outside strategies/: the --strategy value that loads it is its path (its name is looked up there only)
  assert.ok(
    first.stderr.includes(
      `winning configuration saved as ${saved}; run it as the sweep measured it with ` +
        `bot backtest --strategy ${saved} --seed `,
    ),
    first.stderr,
  );
  const r = readReport(out);
  assert.equal(r.jobs.planned, 16);
  assert.equal(r.jobs.finished, 16);
  assert.equal(r.leaderboard.length, 4);
  for (let i = 1; i < r.leaderboard.length; i++)
    assert.ok(r.leaderboard[i - 1].score >= r.leaderboard[i].score, 'ranked by validation score');
  assert.equal(
    r.winner?.key,
    r.leaderboard[0].key,
    'the winner is the best validation score, whatever its test metrics',
  );
  const sqlite = new Database(db, { readonly: true });
  const rows = sqlite
    .prepare('SELECT r.result FROM sweep_results r JOIN sweep_jobs j ON j.job_id = r.job_id WHERE j.config_key = ?')
    .all(r.winner!.key) as { result: string }[];
  assert.equal(rows.length, 4);
  const vals = rows.map((x) => (JSON.parse(x.result) as { validation: { sharpe: number } }).validation.sharpe);
  assert.ok(
    Math.abs(r.leaderboard[0].score - mean(vals)) < 1e-9,
    'score = mean validation Sharpe over seeds and folds',
  );
  assert.equal(sqlite.prepare('SELECT count(*) FROM sweep_results').pluck().get(), 16);
  assert.equal(sqlite.prepare("SELECT version FROM schema_versions WHERE owner = 'sweep'").pluck().get(), 6);
  sqlite.close();
  assert.equal(r.testNotForSelection.length, 4);
  // with rolling folds only the last fold's test window lies after every validation candle
  assert.deepEqual(r.winner?.cleanFolds, ['fold 2']);
  assert.equal(r.winner?.cleanTest.mean.sharpe, mean(rowsOfFold(db, r.winner!.key, 1)));
  // N: 4 configurations × the epoch × margin validations each job chose among (2 epochs: at least 2)
  assert.ok(r.statistics.validationsPerJob >= 2, `validations per job ${r.statistics.validationsPerJob}`);
  assert.ok(
    r.statistics.dsr &&
      r.statistics.dsr.trials === 4 * r.statistics.validationsPerJob &&
      r.statistics.dsr.dsr >= 0 &&
      r.statistics.dsr.dsr <= 1,
  );
  assert.ok(r.statistics.pbo && r.statistics.pbo.pbo >= 0 && r.statistics.pbo.pbo <= 1);
  assert.ok(r.verdict.some((v) => v.startsWith('Deflated Sharpe ratio')));
  assert.ok(typeof r.baselines.buy_and_hold.test.mean.sharpe === 'number');
  assert.deepEqual(r.files.heatmaps, ['heatmap-learner.learningRate-window.png']);
  for (const f of [...r.files.heatmaps, ...r.files.equity, 'report.html']) assert.ok(existsSync(path.join(out, f)), f);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /NOT FOR SELECTION/);
  assert.match(first.stdout, /chosen by validation: /);

  const strategy = (await import(pathToFileURL(saved).href)) as {
    default: { kind: string; name: string; recipe: { window: number } };
  };
  assert.equal(strategy.default.kind, 'agent');
  assert.equal(strategy.default.name, 'tuned-dqn');
  assert.deepEqual(strategy.default.recipe, r.winner?.recipe);
  assert.equal((strategy.default.recipe as { epochs?: number }).epochs, 2, 'the --epochs the jobs ran with');

  const again = await runBot([...args, '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /16 already stored, 0 to run/);
  const r2 = JSON.parse(again.stdout) as SweepReport;
  assert.deepEqual(r2.leaderboard, r.leaderboard, 'the same report from the stored results');
});

test(`a sweep narrowed on window (its folds laid out after a smaller warm-up, so a few candles later) still counts \
the configurations the wider sweep in the same database tried on those candles`, async () => {
  const db = path.join(dir, 'narrowed.db');
  const sweep = async (windows: string): Promise<SweepReport> => {
    const out = path.join(dir, `narrowed-${windows.replace(/,/g, '-')}`);
    const r = await runBot([
      ...['sweep', ...TINY, '--grid', `window=${windows}`, '--seeds', '1', '--folds', '2', '--epochs', '1'],
      ...['--data', csv, '--workers', '2', '--db', db, '--config', config, '--out', out, '--json'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as SweepReport;
  };
  const wide = await sweep('3,5,20');
  const narrow = await sweep('3');
  const validation = (r: SweepReport) => r.markets[0].folds.map((f) => f.validation);
  assert.notDeepEqual(validation(narrow), validation(wide), 'dropping window=20 moved the folds');
  // before: 1 configuration tried and earlierTrials 0, as if nothing had been chosen among
  assert.equal(narrow.statistics.earlierTrials, 2);
  assert.equal(narrow.statistics.trials, 3);
  assert.equal(narrow.statistics.dsr?.trials, wide.statistics.dsr?.trials);
});

test(`a job that keeps failing is tried 3 times, marked failed with its error, and the sweep goes on; it exits 1 \
after its report, naming the failures and their attempts`, async () => {
  const db = path.join(dir, 'fail.db');
  const out = path.join(dir, 'report-fail');
  const r = await runBot([
    'sweep',
    // TINY_SWEEP without its one learner.warmup, which the grid below gives: a DQN whose replay never fills
    // fails at run time, after every check before the jobs has passed (a warm-up above learner.replayCapacity is
    // refused before the jobs)
    ...['--strategy', 'dqn-dnn', '--grid', 'network.hidden=[8]', '--grid', 'learner.batchSize=16'],
    '--grid',
    'learner.warmup=32,40000,45000',
    '--epochs',
    '1',
    '--data',
    csv,
    '--workers',
    '2',
    '--db',
    db,
    '--config',
    config,
    '--out',
    out,
  ]);
  // before: exit 0, as if every job had run
  assert.equal(r.code, 1, r.stderr);
  const last = r.stderr.trimEnd().split('\n').at(-1)!;
  // before: `2 of 3 jobs failed (first: …`, the tries they had unsaid
  assert.match(last, /^error: 2 of 3 jobs failed after 3 attempts each \(first: /);
  assert.match(last, /\(first: .*warmup=4[05]000.* fold 1 seed \d+: .*never updated .*\); the report /i);
  assert.match(r.stdout, /chosen by validation: /);
  assert.equal((r.stderr.match(/try \d of [^\n]*learner\.warmup=40000/g) ?? []).length, 2, 'two retries, then failed');
  const report = readReport(out);
  assert.equal(report.jobs.finished, 1);
  assert.equal(report.jobs.failed, 2);
  // before: the retries were only in the log; the report and its summary line said nothing of them
  assert.equal(report.jobs.retried, 2);
  assert.match(r.stdout, /: 1\/3 jobs finished, 2 failed, 2 retried$/m);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /1\/3 jobs finished, 2 failed, 2 retried/);
  assert.match(html, /<th>attempts<\/th>/);
  assert.deepEqual(
    report.failures.map((f) => f.attempts),
    [3, 3],
  );
  assert.match(report.failures[0].error, /never updated the network/i);
  assert.equal(report.winner?.params['learner.warmup'], 32);
  const sqlite = new Database(db, { readonly: true });
  assert.deepEqual(sqlite.prepare('SELECT attempts FROM sweep_failures').pluck().all(), [3, 3]);
  sqlite.close();
});

test(`a backend that is not available here is one line naming it, before the database is opened or Redis is \
reached (sweep and worker)`, async () => {
  // before: the sweep recorded itself in SQLite, then its first child refused the backend; the worker took jobs
  const env = { PATH: pathWithoutGpu() };
  const notHere = /^error: backend 'node-gpu' is not available: /;
  const local = ['--epochs', '1', '--workers', '2', '--backend', 'node-gpu'];
  await oneLine(['sweep', ...TINY, ...local, '--data', csv], notHere, env);
  await oneLine(['sweep', ...TINY, ...local, '--symbols', 'BTC/KRW'], notHere, env);
  // a --gpu worker defaults to node-gpu: refused before it connects (the port has no Redis, which it would name)
  const port = await freePort();
  const r = await runBot(['worker', '--queue', `redis://127.0.0.1:${port}`, '--gpu', '--config', config], env);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, notHere);
});

test(`--timeframe with --data names the file's timeframe (sessions of one candle each), as for bot backtest; it is \
part of the job ids`, async () => {
  // 2h candles opening 09:30 and 13:00 Shanghai time: steps of 3h30m and 20h30m cannot tell the timeframe
  const file = path.join(dir, 'IF-2h.csv');
  writeFileSync(file, candlesToCsv(sessionCandles({ seed: 8, count: 300, opens: ['01:30', '05:00'] })));
  const sweep = ['sweep', ...TINY, '--epochs', '1', '--workers', '1', '--data', file];
  await oneLine(sweep, /^error: \S*IF-2h\.csv:\d+: cannot tell the timeframe: .*; pass --timeframe$/);
  await oneLine([...sweep, '--timeframe', '2x'], /^error: .*timeframe.*2x|^error: .*expected a timeframe/);
  const db = path.join(dir, 'timeframe.db');
  const run = (timeframe: string) =>
    runBot([...sweep, '--timeframe', timeframe, '--db', db, '--config', config, '--out', path.join(dir, timeframe)]);
  // before: --timeframe was taken as the store's key and the file still could not be read
  const twoHours = await run('2h');
  assert.equal(twoHours.code, 0, twoHours.stderr);
  assert.match(readReport(path.join(dir, '2h')).markets[0].label, /IF-2h\.csv \(2h\)$/);
  // the same numbers read as 1h candles annualise otherwise: their jobs are new, not the 2h results again
  const oneHour = await run('1h');
  assert.equal(oneHour.code, 0, oneHour.stderr);
  assert.match(oneHour.stderr, /1 jobs; 0 already stored, 1 to run/);
  assert.match(readReport(path.join(dir, '1h')).markets[0].label, /IF-2h\.csv \(1h\)$/);
});
