/**
 * `bot live` processes against the fake Upbit: an order the exchange took but does not show yet is never written off
 * as never placed (a kill -9 while the reply is held, a lost reply whose resend is refused for its id), the run sends
 * no other order in that market meanwhile and `bot status` shows it in flight; two runs never share a client order
 * id, and an order found under a run's id that the run did not send is never booked.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { isoTime } from '../../src/data/timeframe.ts';
import { CandleStore } from '../../src/data/store.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { runBot, startBot } from './cli.ts';
import { assertFilledOnce, HOUR, liveCliSetup, ordersIn } from './live-setup.ts';

const ENV = { UPBIT_API_KEY: 'unknown-test-access-key', UPBIT_API_SECRET: 'unknown-test-secret-key', NO_COLOR: '1' };
const MINUTE = 60_000;

function liveArgs(db: string, cfg: string, now: number, extra: string[] = []): string[] {
  const clock = ['--now', isoTime(now), '--db', db, '--config', cfg, '--log-level', 'warn'];
  return ['live', '--strategy', 'buy-and-hold', '--confirm-live', '--once', ...clock, ...extra];
}

test(`bot live killed with SIGKILL while the exchange holds the reply and shows the order only after a lag: the \
restart leaves the order unknown (never "never placed", no made-up withdrawal), places nothing else, status shows \
it in flight, and a later tick records the fill`, async () => {
  const { tmp, now, setExchangeNow, book, cfg, db, fake } = await liveCliSetup(45, 2_000_000);
  book.replyDelayMs = 8000;
  book.lookupLag = 60; // more look-ups than any two starts make
  try {
    const { child, done } = startBot(liveArgs(db, cfg, now), ENV);
    for (let i = 0; i < 600 && book.orders.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(book.orders.length, 1, 'the exchange took the order');
    child.kill('SIGKILL');
    assert.equal((await done).signal, 'SIGKILL');
    book.replyDelayMs = 0;
    const restarted = await runBot(liveArgs(db, cfg, now), ENV);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.doesNotMatch(restarted.stderr, /never placed|withdraw/);
    assert.match(restarted.stderr, /outcome unknown, not found yet .*no new order in BTC\/KRW until settled/);
    assert.deepEqual(
      ordersIn(db).map((o) => o.status),
      ['submitting'],
    );
    const status = await runBot(['status', '--live', '--name', 'default', '--db', db, '--config', cfg], ENV);
    assert.equal(status.code, 0, status.stderr);
    const inFlight = /pending +buy 1,000,000 BTC\/KRW as order bot\d+-[0-9a-f]{10}-\d+ \(submitting: outcome/;
    assert.match(status.stdout, inFlight);
    // five minutes on, inside the grace period: still unknown, nothing else sent
    setExchangeNow(now + 5 * MINUTE);
    const later = await runBot(liveArgs(db, cfg, now + 5 * MINUTE), ENV);
    assert.equal(later.code, 0, later.stderr);
    assert.doesNotMatch(later.stderr, /never placed|withdraw/);
    assert.equal(book.orders.length, 1, 'no second order while the first is unknown');
    // ticks go on until the exchange shows it (the lag runs out); the order is written off at no point
    let found = false;
    for (let k = 2; k < 8 && !found; k++) {
      const r = await runBot(liveArgs(db, cfg, now + 5 * MINUTE), ENV);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /never placed|withdraw/);
      found = /found on the exchange \(canceled\), recorded/.test(r.stderr);
    }
    assert.ok(found, 'the order was recorded once the exchange showed it');
    assertFilledOnce(db, book, 2_000_000);
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot live: a lost reply whose resend is refused because the id is used proves the order exists: it stays \
unknown past the grace period`, async () => {
  const { tmp, now, setExchangeNow, book, cfg, db, fake } = await liveCliSetup(46, 2_000_000);
  book.loseRepliesAfterAccept = 1;
  book.lookupLag = 80;
  try {
    const first = await runBot(liveArgs(db, cfg, now), ENV);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /is already used/);
    const [sent] = ordersIn(db);
    assert.equal(sent.status, 'submitting');
    assert.match(sent.existsProof ?? '', /is already used/);
    // 20 minutes on: past the 10-minute grace period, yet the exchange refused the id, so the order exists
    setExchangeNow(now + 20 * MINUTE);
    const second = await runBot(liveArgs(db, cfg, now + 20 * MINUTE), ENV);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stderr, /never placed/);
    assert.match(second.stderr, /the exchange has it/);
    assert.equal(ordersIn(db)[0].status, 'submitting');
    assert.equal(book.orders.length, 1);
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot live: two runs in two databases with the same --now send different client order ids, and both orders \
are placed`, async () => {
  const { tmp, now, book, cfg, db, fake } = await liveCliSetup(47, 4_000_000);
  const db2 = db.replace(/bot\.db$/, 'bot2.db');
  try {
    const a = await runBot(liveArgs(db, cfg, now, ['--allow-shared-account']), ENV);
    assert.equal(a.code, 0, a.stderr);
    const b = await runBot(liveArgs(db2, cfg, now, ['--allow-shared-account']), ENV);
    assert.equal(b.code, 0, b.stderr);
    const [ida, idb] = [ordersIn(db)[0], ordersIn(db2)[0]];
    assert.notEqual(ida.clientId, idb.clientId);
    assert.deepEqual([ida.status, idb.status], ['filled', 'filled'], b.stderr);
    assert.equal(book.orders.length, 2, 'each run placed its own order');
    assert.notEqual(ida.exchangeId, idb.exchangeId);
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot live: an order found under a run's client id that is not the one it sent (another side or amount) is \
never booked: the run halts with one line naming both`, async () => {
  const { tmp, now, setExchangeNow, cfg, db, fake } = await liveCliSetup(48, 2_000_000);
  const db2 = db.replace(/bot\.db$/, 'bot2.db');
  try {
    const a = await runBot(liveArgs(db, cfg, now, ['--allow-shared-account']), ENV);
    assert.equal(a.code, 0, a.stderr);
    const theirs = ordersIn(db)[0];
    // a second run with an order row left submitting under the first run's id (ids that met before schema 8)
    const b = await runBot(liveArgs(db2, cfg, now, ['--allow-shared-account']), ENV);
    assert.equal(b.code, 0, b.stderr);
    const store = CandleStore.open(db2);
    try {
      const repo = new RunRepository(store.db);
      const run = repo.list()[0];
      repo.insertOrder(run.id, now - 2 * HOUR, 'buy', 123_456, 'submitting', now, undefined, theirs.clientId ?? '');
    } finally {
      store.close();
    }
    const trades = ordersIn(db2).filter((o) => o.status === 'filled').length;
    setExchangeNow(now + HOUR);
    const c = await runBot(liveArgs(db2, cfg, now + HOUR, ['--allow-shared-account']), ENV);
    assert.notEqual(c.code, 0);
    const halt = c.stderr.split('\n').filter((l) => l.includes('not booked'));
    assert.ok(halt.length >= 1, c.stderr);
    assert.match(halt[0], new RegExp(`order ${theirs.clientId}: .*a buy of 1000000, this run sent a buy of 123456`));
    assert.equal(ordersIn(db2).at(-1)?.status, 'rejected');
    const store2 = CandleStore.open(db2);
    try {
      const repo = new RunRepository(store2.db);
      assert.equal(repo.trades(repo.list()[0].id).length, trades, "the other run's fill is not booked");
    } finally {
      store2.close();
    }
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});
