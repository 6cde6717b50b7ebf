/**
 * `bot live --end` and `bot paper --end` (src/trading/end-run.ts), with real `bot` processes against the fake Upbit:
 * an ended run releases its claim on the exchange account without losing its history, is refused when started again,
 * and a live run with an order the exchange has not settled is not ended until a start has settled it.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { isoTime } from '../../src/data/timeframe.ts';
import { paperRunFlags, runBot, type BotResult } from './cli.ts';
import { liveCliSetup } from './live-setup.ts';

/** The one `error:` line of a refused run (exit code 1). */
function oneError(r: BotResult): string {
  assert.equal(r.code, 1, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.equal(errors.length, 1, r.stderr);
  return errors[0];
}

test(`bot live --end: the run's claim on its account is released, its history stays for bot status, and a start of \
the ended run is refused in one line; a run with an order the exchange has not settled is refused until a start \
settles it`, async () => {
  const { tmp, now, fake, book, cfg, db } = await liveCliSetup(47, 20_000_000);
  const env = { UPBIT_API_KEY: 'end-access-key', UPBIT_API_SECRET: 'end-secret', NO_COLOR: '1', TMPDIR: tmp.dir };
  const common = ['--now', isoTime(now), '--db', db, '--config', cfg, '--log-level', 'warn'];
  const live = (name: string) => [
    'live',
    '--strategy',
    'buy-and-hold',
    '--confirm-live',
    '--max-order-value',
    '1000000',
    '--name',
    name,
    ...common,
    '--once',
  ];
  const end = (name: string) => runBot(['live', '--end', '--name', name, ...common], env);
  try {
    // the order's reply lost and the order missing from the look-ups after it: the row stays `submitting`
    book.loseRepliesAfterAccept = 1;
    book.lookupLag = 4;
    const first = await runBot(live('default'), env);
    assert.equal(first.code, 0, first.stderr);
    book.lookupLag = 0;
    assert.equal(book.orders.length, 1, 'the first run bought');
    assert.match(
      oneError(await end('default')),
      /^error: the live run "default" for BTC\/KRW 1h has 1 order\(s\) the exchange has not settled \(client id bot1-/,
    );
    assert.match(
      oneError(await runBot(live('other'), env)),
      /is claimed by the live run live:default:.*: .*end it \(bot live --end --name default,/,
    );
    const settled = await runBot(live('default'), env);
    assert.equal(settled.code, 0, settled.stderr);
    const ended = await end('default');
    assert.equal(ended.code, 0, ended.stderr);
    assert.match(
      ended.stdout,
      /^ended the live run "default" for BTC\/KRW 1h: it trades no more and claims no account/,
    );
    assert.equal(book.orders.length, 1, 'ending placed nothing');
    const other = await runBot(live('other'), env);
    assert.equal(other.code, 0, `the account is free once its run ended: ${other.stderr}`);
    assert.equal(book.orders.length, 2, 'the new run trades');
    assert.match(
      oneError(await runBot(live('default'), env)),
      new RegExp(
        '^error: the live run "default" for BTC/KRW 1h was ended at .* \\(--end\\) and does not trade again: ' +
          'give another --name for a new run$',
      ),
    );
    assert.match(oneError(await end('default')), /was ended already/);
    assert.match(oneError(await end('nobody')), /^error: no live run "nobody" for BTC\/KRW 1h in .* to end$/);
    const status = await runBot(['status', '--live', '--name', 'default', '--db', db, '--config', cfg], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /ENDED at /);
    assert.match(status.stdout, /\(1 trades\)/);
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot paper --end: the run keeps its history, its order waiting for the next open is cancelled, and a start is \
refused in one line until --reset; --end with --once is refused`, async () => {
  const { tmp, now, candles, fake, cfg } = await liveCliSetup(48, 20_000_000);
  const env = { NO_COLOR: '1', TMPDIR: tmp.dir };
  const db = path.join(tmp.dir, 'paper.db');
  const flags = paperRunFlags(candles.ts[95], now, db, cfg);
  const paper = ['paper', '--strategy', 'buy-and-hold', ...flags];
  try {
    const first = await runBot([...paper, '--once'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(oneError(await runBot([...paper, '--end', '--once'], env)), /--end .*: drop --once$/);
    const ended = await runBot(['paper', '--end', '--now', isoTime(now), '--db', db, '--config', cfg], env);
    assert.equal(ended.code, 0, ended.stderr);
    const file = new Database(db, { readonly: true });
    const statuses = file.prepare('SELECT status, reason FROM trading_orders').all() as { status: string }[];
    const pending = file.prepare('SELECT pending FROM trading_runs').get() as { pending: string | null };
    file.close();
    assert.ok(statuses.length > 0 && statuses.every((o) => o.status !== 'pending'), JSON.stringify(statuses));
    assert.equal(pending.pending, null);
    assert.match(oneError(await runBot([...paper, '--once'], env)), /was ended at .*\(or --reset to forget it/);
    const reset = await runBot([...paper, '--reset', '--once'], env);
    assert.equal(reset.code, 0, reset.stderr);
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});
