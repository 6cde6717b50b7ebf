/**
 * An order left `submitting` by a process that died is written off as never placed only once it has also been missing
 * for the grace period since the first look-up that missed it (src/trading/order-desk.ts lookUp), against the fake
 * Upbit with real `bot live` processes and SQLite: counted from when it was sent only, a run cron restarted an hour
 * later had used the grace up, wrote off an order the exchange showed late after one look-up pass of a few seconds,
 * and spent its cap again (a real order orphaned on the exchange).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { isoTime } from '../../src/data/timeframe.ts';
import { runBot, startBot } from './cli.ts';
import { CandleStore } from '../../src/data/store.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { assertBooksAgree, HOUR, liveCliSetup, ordersIn } from './live-setup.ts';

const ENV = { UPBIT_API_KEY: 'downtime-test-access-key', UPBIT_API_SECRET: 'downtime-test-secret-key', NO_COLOR: '1' };
const MINUTE = 60_000;

function liveArgs(db: string, cfg: string, now: number): string[] {
  const clock = ['--now', isoTime(now), '--db', db, '--config', cfg, '--log-level', 'warn'];
  return ['live', '--strategy', 'buy-and-hold', '--confirm-live', '--once', ...clock];
}

/**
 * A buy the exchange took whose reply never came (the process killed while the reply was held), shown by look-ups
 * only after a lag longer than this test's; then `bot live --once` an hour later, as cron runs it, whose look-ups
 * miss it.
 */
async function lostThenRestartedAnHourLater(seed: number, then: (s: Lost) => Promise<void>): Promise<void> {
  const s = await liveCliSetup(seed, 2_000_000);
  try {
    await then(await lose(s));
  } finally {
    await s.fake.close();
    s.tmp.cleanup();
  }
}

type Setup = Awaited<ReturnType<typeof liveCliSetup>>;
type Lost = Setup & { restartAt: number };

async function lose(s: Setup): Promise<Lost> {
  s.book.replyDelayMs = 8000;
  s.book.lookupLag = 1000;
  const { child, done } = startBot(liveArgs(s.db, s.cfg, s.now), ENV);
  for (let i = 0; i < 600 && s.book.orders.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(s.book.orders.length, 1, 'the exchange took the order');
  child.kill('SIGKILL');
  assert.equal((await done).signal, 'SIGKILL');
  s.book.replyDelayMs = 0;

  const restartAt = s.now + HOUR;
  s.setExchangeNow(restartAt);
  const restarted = await runBot(liveArgs(s.db, s.cfg, restartAt), ENV);
  assert.equal(restarted.code, 0, restarted.stderr);
  assert.doesNotMatch(restarted.stderr, /never placed|withdraw/);
  const unknown =
    'outcome unknown, not found yet \\(sent 3600 s ago, missing for 0 s; ' +
    `written off if still missing at a look-up from ${isoTime(restartAt + 10 * MINUTE)}\\)`;
  assert.match(restarted.stderr, new RegExp(unknown));
  const [order] = ordersIn(s.db);
  assert.equal(order.status, 'submitting', 'a first look-up that misses it after the grace writes nothing off');
  assert.equal(order.missingSince, restartAt);
  assert.equal(s.book.orders.length, 1, 'no second order while the first is unknown');
  return { ...s, restartAt };
}

test(`bot live --once restarted an hour after a process died with an order's reply lost: the first look-up that \
misses the order keeps it unknown; a look-up the grace period later that still misses it writes it off`, async () => {
  await lostThenRestartedAnHourLater(47, async (s) => {
    const at = s.restartAt + 11 * MINUTE;
    s.setExchangeNow(at);
    const next = await runBot(liveArgs(s.db, s.cfg, at), ENV);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, /sent 4260 s ago, missing for 660 s \(never placed\), cancelled/);
    assert.equal(ordersIn(s.db)[0].status, 'cancelled');
  });
});

test(`bot live --once restarted an hour after a process died with an order's reply lost: an order the exchange \
shows at the next run's look-up is recorded as filled, and the exchange holds that one order only`, async () => {
  await lostThenRestartedAnHourLater(48, async (s) => {
    s.book.endLags();
    const at = s.restartAt + 11 * MINUTE;
    s.setExchangeNow(at);
    const next = await runBot(liveArgs(s.db, s.cfg, at), ENV);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, /found on the exchange \(\w+\), recorded/);
    const orders = ordersIn(s.db);
    assert.deepEqual(
      orders.map((o) => o.status),
      ['filled', 'skipped'],
      'the lost order recorded; the restart an hour on had held its buy back',
    );
    assert.match(orders[1].reason ?? '', /held back: order \S+ in BTC\/KRW is still unknown/);
    assert.equal(s.book.orders.length, 1, 'placed once');
    const store = CandleStore.open(s.db);
    try {
      const repo = new RunRepository(store.db);
      assertBooksAgree({ book: s.book, repo, startKrw: 2_000_000 }, repo.list()[0].id);
    } finally {
      store.close();
    }
  });
});
