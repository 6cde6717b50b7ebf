/**
 * One `bot live` run per exchange account (src/trading/account-lock.ts), with real `bot` processes against the fake
 * Upbit: a second run on the same API key, under another --name and another --db, is refused in one line naming the
 * first run and its database, unless --allow-shared-account; another API key is another account. The lock file lives
 * in the OS temp folder, here the test's own (TMPDIR), and holds a hash of the key, never the key.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { isoTime } from '../../src/data/timeframe.ts';
import { lockLiveAccount } from '../../src/trading/account-lock.ts';
import { runBot } from './cli.ts';
import { liveCliSetup, startTraderUntilOrder } from './live-setup.ts';
import { tempDir } from './helpers.ts';

/** `bot live` of buy-and-hold as the run `name` in database `db`, on the setup's clock and config. */
function liveArgs(now: number, cfg: string, name: string, db: string): string[] {
  const flags = ['--now', isoTime(now), '--name', name, '--db', db, '--config', cfg, '--log-level', 'warn'];
  return ['live', '--strategy', 'buy-and-hold', '--confirm-live', ...flags, '--max-order-value', '1000000'];
}

test(`bot live: a second live run on the same exchange account (another --name, another --db) is refused with one \
line naming the first; --allow-shared-account or another API key lets it run`, async () => {
  const { tmp, now, fake, book, cfg } = await liveCliSetup(45, 20_000_000);
  const key = 'account-lock-access-key-1';
  const env = { UPBIT_API_KEY: key, UPBIT_API_SECRET: 'account-lock-secret-1', NO_COLOR: '1', TMPDIR: tmp.dir };
  const args = (name: string, db: string) => liveArgs(now, cfg, name, path.join(tmp.dir, db));
  // the first run ticks once, then waits for the next candle holding the account
  // a trader that fails to start must still close the fake exchange, or the test file never exits
  let first: Awaited<ReturnType<typeof startTraderUntilOrder>> | undefined;
  try {
    first = await startTraderUntilOrder(args('first', 'a.db'), env, book);
    const second = await runBot([...args('second', 'b.db'), '--once'], env);
    assert.equal(second.code, 1, `the second run traded the same account:\n${second.stderr}`);
    const errors = second.stderr.split('\n').filter((l) => l.startsWith('error:'));
    assert.equal(errors.length, 1, second.stderr);
    const firstDb = path.join(tmp.dir, 'a.db');
    assert.ok(
      errors[0].startsWith(
        'error: this upbit account (same API key) is traded by another live run: live:first:upbit:BTC/KRW:1h in ' +
          `${firstDb}, which is already running (pid ${first.child.pid}`,
      ),
      errors[0],
    );
    assert.match(errors[0], /--allow-shared-account$/);
    assert.equal(book.orders.length, 1, 'the refused run placed nothing');
    const lockFiles = readdirSync(tmp.dir).filter((f) => f.startsWith('bot-live-accounts'));
    // the OS user's own file: another user's file in a shared /tmp would not be writable
    assert.ok(lockFiles.includes(`bot-live-accounts-${process.getuid?.()}.db`), lockFiles.join(', '));
    for (const f of lockFiles)
      assert.ok(!readFileSync(path.join(tmp.dir, f)).includes(key), `${f} holds the API key itself`);

    const allowed = await runBot([...args('second', 'b.db'), '--once', '--allow-shared-account'], env);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stderr, /--allow-shared-account: other live runs may trade this account/);
    const otherKey = await runBot([...args('third', 'c.db'), '--once'], {
      ...env,
      UPBIT_API_KEY: 'another-access-key-2',
    });
    assert.equal(otherKey.code, 0, otherKey.stderr);
    assert.equal(first.exited(), false, 'the first run still trades');
  } finally {
    first?.child.kill('SIGTERM');
    await first?.done;
    await fake.close();
    tmp.cleanup();
  }
});

test(`the account lock file holds the lock table only: a file a newer bot's trading schema reached (another version \
running beside this one) still locks, and a new file gets no schema version`, () => {
  const tmp = tempDir('bot-account-lock-');
  const before = process.env.TMPDIR;
  process.env.TMPDIR = tmp.dir;
  try {
    const o = { exchange: 'upbit', apiUrls: null, apiKey: 'k1', run: 'live:a', dbFile: path.join(tmp.dir, 'a.db') };
    const lock = lockLiveAccount(o, 60_000);
    const file = path.join(tmp.dir, `bot-live-accounts-${process.getuid?.()}.db`);
    const db = new Database(file);
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
      assert.deepEqual(tables, [
        { name: 'live_account_dbs' },
        { name: 'live_account_runs' },
        { name: 'trading_locks' },
      ]);
      // as a newer bot that migrated the file would leave it
      db.exec('CREATE TABLE schema_versions (owner TEXT PRIMARY KEY, version INTEGER NOT NULL)');
      db.prepare("INSERT INTO schema_versions VALUES ('trading', 99)").run();
    } finally {
      db.close();
    }
    lock.release();
    const again = lockLiveAccount({ ...o, apiKey: 'k2', run: 'live:b' }, 60_000);
    again.release();
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    tmp.cleanup();
  }
});

test(`bot live: a live run's claim on its account outlives its process: sequential --once runs under other names, in \
the same database or another, are refused with one line naming the run that claims it; the claimant itself restarts; \
--allow-shared-account still lets one through`, async () => {
  const { tmp, now, fake, book, cfg } = await liveCliSetup(46, 20_000_000);
  const env = {
    UPBIT_API_KEY: 'claim-access-key-1',
    UPBIT_API_SECRET: 'claim-secret-1',
    NO_COLOR: '1',
    TMPDIR: tmp.dir,
  };
  const db = path.join(tmp.dir, 'a.db');
  const args = (name: string, file = db) => [...liveArgs(now, cfg, name, file), '--once'];
  const refusedBy = async (run: string[], claimantDb: string) => {
    const r = await runBot(run, env);
    assert.equal(r.code, 1, `a second run counted the same cash:\n${r.stderr}`);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    assert.equal(errors.length, 1, r.stderr);
    assert.ok(
      errors[0].startsWith(
        'error: this upbit account (same API key) is claimed by the live run live:default:upbit:BTC/KRW:1h in ' +
          `${claimantDb}, which still holds`,
      ),
      errors[0],
    );
    assert.match(errors[0], /--allow-shared-account$/);
  };
  const liveRuns = (file: string) => {
    const d = new Database(file, { readonly: true });
    try {
      return (
        d.prepare("SELECT name FROM trading_runs WHERE mode = 'live' ORDER BY id").all() as { name: string }[]
      ).map((r) => r.name);
    } finally {
      d.close();
    }
  };
  try {
    const first = await runBot(args('default'), env);
    assert.equal(first.code, 0, first.stderr);
    const orders = book.orders.length;
    assert.ok(orders > 0, 'the first run bought');
    await refusedBy(args('bh'), db);
    await refusedBy(args('bh2', path.join(tmp.dir, 'b.db')), db);
    assert.equal(book.orders.length, orders, 'the refused runs placed nothing');
    assert.deepEqual(liveRuns(db), ['default'], 'the refused run left no run behind');
    const again = await runBot(args('default'), env);
    assert.equal(again.code, 0, `the claimant's own restart: ${again.stderr}`);
    const shared = await runBot([...args('bh'), '--allow-shared-account'], env);
    assert.equal(shared.code, 0, shared.stderr);
    assert.deepEqual(liveRuns(db), ['default', 'bh']);
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});
