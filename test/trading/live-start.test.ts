/**
 * `bot live`'s start (src/trading/live-start.ts, session.ts), as real `bot` processes against the fake Upbit: a clock
 * that disagrees with the exchange's, a --balance on a resumed run, a cap or a free balance below the minimum order and
 * flags --end does not take are each one line before any order; a start that fails before its first decision leaves
 * no run claiming the account; an error once the flags are checked reaches the log file; ccxt's verbose mode is
 * refused while API keys are set, so no token reaches the output.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { isoTime } from '../../src/data/timeframe.ts';
import { assertNoSecrets, paperRunFlags, runBot, type BotResult } from './cli.ts';
import { HOUR, liveCliSetup, startTraderUntilOrder, untilExitOrRetry } from './live-setup.ts';

const KEY = 'start-access-key-789';
const SECRET = 'start-secret-key-012';

/** The one `error:` line of a refused run (exit code 1). */
function oneError(r: BotResult): string {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.equal(errors.length, 1, r.stderr);
  return errors[0];
}

/** The names of the live runs in database `db` (none when the file was never made). */
function liveRuns(db: string): string[] {
  if (!existsSync(db)) return [];
  const file = new Database(db, { readonly: true });
  try {
    const rows = file.prepare("SELECT name FROM trading_runs WHERE mode = 'live'").all() as { name: string }[];
    return rows.map((r) => r.name);
  } finally {
    file.close();
  }
}

async function setup(seed: number, krw: number, extra?: (dir: string) => Record<string, unknown>) {
  const s = await liveCliSetup(seed, krw, extra);
  const env = { UPBIT_API_KEY: KEY, UPBIT_API_SECRET: SECRET, NO_COLOR: '1', TMPDIR: s.tmp.dir };
  const live = (name: string, now: number | undefined, ...more: string[]) =>
    runBot(
      [
        ...['live', '--strategy', 'buy-and-hold', '--confirm-live', '--name', name, '--once'],
        ...(now !== undefined ? ['--now', isoTime(now)] : []),
        ...['--db', s.db, '--config', s.cfg, '--log-level', 'warn', ...more],
      ],
      env,
    );
  const close = async () => {
    await s.fake.close();
    s.tmp.cleanup();
  };
  return { ...s, env, live, close };
}

test(`bot live: --now or this machine's clock away from the exchange's (9 days or an hour behind, or ahead) is one \
line before any order or run; the exchange's own time is accepted`, async () => {
  const s = await setup(61, 20_000_000);
  try {
    const past = oneError(await s.live('past', s.now - 9 * 24 * HOUR));
    assert.match(past, /--now \(.*\) is \d+ s behind upbit's clock .*: drop --now$/);
    assert.match(oneError(await s.live('hour', s.now - HOUR)), /--now .* is 3600 s behind upbit's clock/);
    assert.match(oneError(await s.live('ahead', s.now + 2 * HOUR)), /--now .* is 7200 s ahead of upbit's clock/);
    // the fake exchange's clock stands in 2024: this machine's is far ahead of it
    assert.match(oneError(await s.live('machine', undefined)), /this machine's clock .* ahead of upbit's clock/);
    assert.equal(s.book.orders.length, 0, 'no order was placed');
    assert.deepEqual(liveRuns(s.db), [], 'no run was made');
    const ok = await s.live('same', s.now + 20_000);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(s.book.orders.length, 1, 'a clock within the tolerance trades');
  } finally {
    await s.close();
  }
});

test(`an error at a run's start once its flags are checked (live: the clock check; paper: an ended run) reaches the \
log file at error level, without the API keys; a flag mistake before it (a cap below the minimum order) does \
not`, async () => {
  const s = await setup(65, 20_000_000, (dir) => ({ log: { file: path.join(dir, 'bot.log') } }));
  const logFile = path.join(s.tmp.dir, 'bot.log');
  const logged = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const errors = () =>
    logged()
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { level: string; message: string })
      .filter((e) => e.level === 'error')
      .map((e) => e.message);
  try {
    assert.match(oneError(await s.live('tiny', s.now, '--max-order-value', '200')), /below the minimum order value/);
    assert.deepEqual(errors(), [], 'a flag mistake is no event of a run');
    // before: logged at debug, so the file said nothing of why a service's live run never started
    const skewed = oneError(await s.live('skewed', s.now - 9 * 24 * HOUR));
    assert.match(skewed, /--now \(.*\) is \d+ s behind upbit's clock/);
    assert.deepEqual(errors(), [skewed.replace(/^error: /, '')]);
    const paper = ['paper', '--strategy', 'buy-and-hold', ...paperRunFlags(s.candles.ts[95], s.now, s.db, s.cfg)];
    const first = await runBot([...paper, '--once'], s.env);
    assert.equal(first.code, 0, first.stderr);
    const ended = await runBot(['paper', '--end', '--now', isoTime(s.now), '--db', s.db, '--config', s.cfg], s.env);
    assert.equal(ended.code, 0, ended.stderr);
    const refused = oneError(await runBot([...paper, '--once'], s.env));
    assert.match(refused, /was ended at .* and does not trade again/);
    assert.deepEqual(errors().slice(1), [refused.replace(/^error: /, '')]);
    assertNoSecrets({ log: logged() }, [KEY, SECRET]);
  } finally {
    await s.close();
  }
});

test(`bot live: --balance on a resumed run with another balance, --max-order-value or trading.live.maxOrderValue \
below the minimum order, and a new run on less free cash than the minimum order are one line each`, async () => {
  const s = await setup(62, 20_000_000);
  const poor = await setup(63, 0.17);
  try {
    const first = await s.live('capped', s.now, '--balance', '3000000');
    assert.equal(first.code, 0, first.stderr);
    const resumed = oneError(await s.live('capped', s.now, '--balance', '2000000'));
    assert.match(resumed, /started with 3000000 .*; --balance 2000000 is for a new run/);
    // a larger one is what a restarted service gives every time when the free cash capped its run: said, not refused
    const larger = await s.live('capped', s.now, '--balance', '4000000');
    assert.equal(larger.code, 0, larger.stderr);
    assert.match(larger.stdout + larger.stderr, /started with 3000000 .*; --balance 4000000 applies to a new run only/);
    const flag = oneError(await s.live('tiny', s.now, '--max-order-value', '200'));
    assert.match(flag, /--max-order-value 200 is below the minimum order value 5000 \(.*\): no order could be placed/);
    const cfg = path.join(s.tmp.dir, 'tiny-cap.json');
    const exchange = { ccxt: s.fake.ccxtOptions(), retries: 2, backoffMs: 10, maxBackoffMs: 50 };
    writeFileSync(cfg, JSON.stringify({ exchange, log: { file: '' }, trading: { live: { maxOrderValue: 1 } } }));
    assert.match(
      oneError(await s.live('tiny', s.now, '--config', cfg)),
      /trading\.live\.maxOrderValue 1 is below the minimum order value 5000/,
    );
    assert.deepEqual(liveRuns(s.db), ['capped'], 'the refused starts made no run');
    const broke = oneError(await poor.live('broke', poor.now));
    assert.match(broke, /the exchange holds 0\.17 KRW free, below the minimum order value 5000/);
    assert.deepEqual(liveRuns(poor.db), [], 'the refused new run left no run claiming the account');
  } finally {
    await s.close();
    await poor.close();
  }
});

test(`bot live: a first start that fails before deciding (five 500s on the open orders) leaves no run and no claim \
on the account: another run starts on it`, async () => {
  const s = await setup(64, 20_000_000);
  try {
    s.fake.addFault({ kind: '500', match: '/v1/orders/open', times: 5 });
    const failed = await s.live('first', s.now);
    assert.equal(failed.code, 1, failed.stderr);
    assert.deepEqual(liveRuns(s.db), [], 'the failed start left no run');
    const other = await s.live('second', s.now);
    assert.equal(other.code, 0, other.stderr);
    assert.deepEqual(liveRuns(s.db), ['second']);
  } finally {
    await s.close();
  }
});

test(`a clocked bot live (no --once) whose first tick is refused for good (less free cash than the minimum order) \
exits 1 in one line, leaving no run and no claim; one whose first tick meets an exchange fault tries it again and \
trades`, async () => {
  const poor = await setup(66, 0.17);
  const s = await setup(67, 20_000_000);
  const clocked = (t: typeof s, name: string) => [
    ...['live', '--strategy', 'buy-and-hold', '--confirm-live', '--name', name, '--now', isoTime(t.now)],
    ...['--db', t.db, '--config', t.cfg, '--log-level', 'warn'],
  ];
  try {
    // the refusal used to be logged as a failed tick and tried again, for as long as the service ran
    const { r, retried } = await untilExitOrRetry(clocked(poor, 'clocked'), poor.env);
    assert.equal(retried, false, `the refused first tick was tried again: ${r.stderr}`);
    assert.match(oneError(r), /the exchange holds 0\.17 KRW free, below the minimum order value 5000/);
    assert.deepEqual(liveRuns(poor.db), [], 'no run claims the account');

    s.fake.addFault({ kind: '500', match: '/v1/orders/open', times: 3 });
    const trading = await startTraderUntilOrder(clocked(s, 'flaky'), s.env, s.book);
    trading.child.kill('SIGTERM');
    const ok = await trading.done;
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /tick failed, the next tick catches up: .*orders/);
    assert.match(ok.stderr, /trying the tick again/);
  } finally {
    await poor.close();
    await s.close();
  }
});

test('bot live --end and bot paper --end refuse the flags that start a run, in one line, and end nothing', async () => {
  const s = await setup(65, 20_000_000);
  try {
    const started = await s.live('late', s.now);
    assert.equal(started.code, 0, started.stderr);
    const common = ['--now', isoTime(s.now), '--db', s.db, '--config', s.cfg];
    const end = (mode: string, ...more: string[]) =>
      runBot([mode, '--end', '--name', 'late', ...common, ...more], s.env);
    assert.match(
      oneError(await end('live', '--strategy', 'nope')),
      /--end ends the run and starts nothing: drop --strategy$/,
    );
    assert.match(oneError(await end('live', '--balance', '5000000')), /drop --balance$/);
    assert.match(oneError(await end('paper', '--start', isoTime(s.now - HOUR))), /drop --start$/);
    assert.match(oneError(await end('paper', '--model', 'models/x')), /drop --model$/);
    const file = new Database(s.db, { readonly: true });
    const ended = file.prepare("SELECT ended_at AS e FROM trading_runs WHERE name = 'late'").get() as { e: unknown };
    file.close();
    assert.equal(ended.e, null, 'the run was not ended');
    const paper = ['paper', ...paperRunFlags(s.candles.ts[95], s.now, s.db, s.cfg)];
    assert.match(oneError(await runBot([...paper, '--end'], s.env)), /drop --start$/);
  } finally {
    await s.close();
  }
});

test(`bot live with exchange.ccxt.verbose while API keys are set: one line, and neither the key nor a signed \
request's token reaches the output`, async () => {
  const s = await setup(66, 20_000_000);
  try {
    const cfg = path.join(s.tmp.dir, 'verbose.json');
    const exchange = { ccxt: { ...s.fake.ccxtOptions(), verbose: true }, retries: 2, backoffMs: 10, maxBackoffMs: 50 };
    const logFile = path.join(s.tmp.dir, 'bot.log');
    writeFileSync(cfg, JSON.stringify({ exchange, log: { file: logFile } }));
    const r = await s.live('loud', s.now, '--config', cfg);
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    const outputs = { stdout: r.stdout, stderr: r.stderr, log };
    assertNoSecrets(outputs, [KEY, SECRET, Buffer.from(KEY).toString('base64').slice(0, 16), 'eyJ', 'Bearer']);
    assert.match(oneError(r), /exchange\.ccxt\.verbose .* carries the API key: remove it while API keys are set$/);
    assert.equal(s.book.orders.length, 0);
  } finally {
    await s.close();
  }
});
