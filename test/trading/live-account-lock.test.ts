/**
 * One `bot live` run per exchange account (src/trading/account-lock.ts), with real `bot` processes against the fake
 * Upbit: a second run on the same API key, under another --name and another --db, is refused in one line naming the
 * first run and its database, unless --allow-shared-account; another API key is another account. The lock file lives
 * in the user's state folder (BOT_STATE_DIR, else XDG_STATE_HOME/bot), here the test's own, whatever each process's
 * TMPDIR, and holds a hash of the key, never the key; the file older versions kept in the temp folder is still read.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

test(`bot live: a second live run on the same exchange account (another --name, another --db, another TMPDIR as under \
systemd's PrivateTmp) is refused with one line naming the first; --allow-shared-account or another API key lets it \
run; a state folder that cannot be made is one line naming it`, async () => {
  const { tmp, now, fake, book, cfg } = await liveCliSetup(45, 20_000_000);
  const key = 'account-lock-access-key-1';
  // no BOT_STATE_DIR: the XDG state folder, which this test makes the bot create
  const xdg = path.join(tmp.dir, 'xdg');
  const state = path.join(xdg, 'bot');
  const tmpA = path.join(tmp.dir, 'tmp-a');
  const tmpB = path.join(tmp.dir, 'tmp-b');
  for (const d of [tmpA, tmpB]) mkdirSync(d);
  const base = { UPBIT_API_KEY: key, UPBIT_API_SECRET: 'account-lock-secret-1', NO_COLOR: '1' };
  const common = { ...base, BOT_STATE_DIR: '', XDG_STATE_HOME: xdg };
  const env = { ...common, TMPDIR: tmpB };
  const args = (name: string, db: string) => liveArgs(now, cfg, name, path.join(tmp.dir, db));
  // the first run ticks once, then waits for the next candle holding the account
  // a trader that fails to start must still close the fake exchange, or the test file never exits
  let first: Awaited<ReturnType<typeof startTraderUntilOrder>> | undefined;
  try {
    first = await startTraderUntilOrder(args('first', 'a.db'), { ...common, TMPDIR: tmpA }, book);
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
    const lockFiles = readdirSync(state).filter((f) => f.startsWith('bot-live-accounts'));
    // the OS user's own file and folder
    assert.ok(lockFiles.includes(`bot-live-accounts-${process.getuid?.()}.db`), lockFiles.join(', '));
    assert.equal(statSync(state).mode & 0o777, 0o700);
    for (const f of lockFiles)
      assert.ok(!readFileSync(path.join(state, f)).includes(key), `${f} holds the API key itself`);
    for (const d of [tmpA, tmpB])
      assert.ok(!readdirSync(d).some((f) => f.startsWith('bot-live-accounts')), `a lock file in the temp folder ${d}`);

    const allowed = await runBot([...args('second', 'b.db'), '--once', '--allow-shared-account'], env);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stderr, /--allow-shared-account: other live runs may trade this account/);
    const otherKey = await runBot([...args('third', 'c.db'), '--once'], {
      ...env,
      UPBIT_API_KEY: 'another-access-key-2',
    });
    assert.equal(otherKey.code, 0, otherKey.stderr);
    assert.equal(first.exited(), false, 'the first run still trades');

    const notDir = path.join(tmp.dir, 'not-a-folder');
    writeFileSync(notDir, '');
    const noState = await runBot([...args('fourth', 'd.db'), '--once'], { ...env, BOT_STATE_DIR: notDir });
    assert.equal(noState.code, 1, noState.stderr);
    const noStateErrors = noState.stderr.split('\n').filter((l) => l.startsWith('error:'));
    assert.equal(noStateErrors.length, 1, noState.stderr);
    assert.ok(noStateErrors[0].startsWith(`error: cannot use the state folder ${notDir} (`), noStateErrors[0]);
    assert.match(noStateErrors[0], /set BOT_STATE_DIR to one$/);
    assert.ok(!readdirSync(tmp.dir).includes('d.db'), 'the refused run made its database');
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
  const before = process.env.BOT_STATE_DIR;
  process.env.BOT_STATE_DIR = tmp.dir;
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
    if (before === undefined) delete process.env.BOT_STATE_DIR;
    else process.env.BOT_STATE_DIR = before;
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

test(`bot live after an upgrade: a run started by a version that kept the lock file in the temp folder is still seen \
(the databases that file remembers are read, the file is not written), and is remembered in the state folder, so a \
reboot that empties the temp folder does not lose it`, async () => {
  const { tmp, now, fake, cfg } = await liveCliSetup(47, 20_000_000);
  const oldTmp = path.join(tmp.dir, 'tmp');
  const state = path.join(tmp.dir, 'state');
  for (const d of [oldTmp, state]) mkdirSync(d);
  const keys = { UPBIT_API_KEY: 'upgrade-access-key-1', UPBIT_API_SECRET: 'upgrade-secret-1', NO_COLOR: '1' };
  const db = path.join(tmp.dir, 'a.db');
  const args = (name: string, file: string) => [...liveArgs(now, cfg, name, file), '--once'];
  const oldFile = path.join(oldTmp, `bot-live-accounts-${process.getuid?.()}.db`);
  const refused = (r: { code: number | null; stderr: string }) => {
    assert.equal(r.code, 1, `a second run counted the same cash:\n${r.stderr}`);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    assert.equal(errors.length, 1, r.stderr);
    const claimed = 'error: this upbit account (same API key) is claimed by the live run live:old:upbit:BTC/KRW:1h in';
    assert.ok(errors[0].startsWith(`${claimed} ${db}`), errors[0]);
  };
  try {
    // the lock file where the version before kept it: the state folder is the temp folder
    const old = await runBot(args('old', db), { ...keys, TMPDIR: oldTmp, BOT_STATE_DIR: oldTmp });
    assert.equal(old.code, 0, old.stderr);
    assert.ok(readdirSync(oldTmp).includes(path.basename(oldFile)), readdirSync(oldTmp).join(', '));
    const oldBytes = readFileSync(oldFile);
    const oldMtime = statSync(oldFile).mtimeMs;

    refused(await runBot(args('new', path.join(tmp.dir, 'b.db')), { ...keys, TMPDIR: oldTmp, BOT_STATE_DIR: state }));
    assert.ok(readFileSync(oldFile).equals(oldBytes), 'the old lock file was written');
    assert.equal(statSync(oldFile).mtimeMs, oldMtime, 'the old lock file was written');

    // a reboot empties the temp folder
    rmSync(oldTmp, { recursive: true });
    mkdirSync(oldTmp);
    refused(await runBot(args('new', path.join(tmp.dir, 'c.db')), { ...keys, TMPDIR: oldTmp, BOT_STATE_DIR: state }));
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});
