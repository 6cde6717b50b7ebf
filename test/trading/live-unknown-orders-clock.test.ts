/**
 * An order whose outcome is unknown is written off as never placed only once its grace period has passed by the
 * exchange's clock too (src/trading/order-desk.ts lookUp), against the fake Upbit with real ccxt and SQLite: a tick
 * settles its unknown orders before it checks the run's clock against the exchange's, so a machine clock that jumped
 * ahead (a VM resumed, a time step) wrote the order off, and the tick after the clock was set right placed another.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FakeUpbit } from '../fake-exchange/server.ts';
import { capturingLogger } from '../helpers/log.ts';
import { alwaysBuy, HOUR, liveSetup, orderPosts } from './live-setup.ts';
import { setup as portfolioSetup } from './portfolio-live-setup.ts';

const MINUTE = 60_000;

/** The next order sent is refused with a 500 and every look-up after it fails: its outcome stays unknown. */
function loseNextOrder(s: { fake: FakeUpbit; book: { failBeforeAccept: number } }): void {
  s.book.failBeforeAccept = 1;
  s.fake.addFault({ kind: '500', match: '/v1/order', method: 'GET', times: 4 });
}

test(`live: an unknown order is not written off on a run's clock that jumped 15 minutes ahead of the exchange's, \
and the tick after the clock was set right places no second order in its market; it is written off once the grace \
period has passed by the exchange's clock too`, async () => {
  const s = await liveSetup({ maxOrderValue: 3_000_000, maxDailyLoss: 1e12 }, { policies: alwaysBuy() });
  try {
    const trader = s.make();
    await trader.tick(); // a first buy, answered normally
    const runId = s.repo.list()[0].id;
    // late in the next hour, five minutes before the next candle closes
    const sentAt = s.candles.ts[102] + 55 * MINUTE;
    s.clock.now = sentAt;
    loseNextOrder(s);
    await trader.tick();
    assert.deepEqual(
      s.repo.orders(runId).map((o) => o.status),
      ['filled', 'submitting'],
      'the second order is unknown',
    );
    const lost = s.repo.orders(runId)[1].id;
    const status = () => s.repo.orders(runId).find((o) => o.id === lost)?.status;
    const posts = orderPosts(s).length;

    // this machine's clock jumps 15 minutes ahead (past the 10-minute grace), the exchange's a minute on
    s.clock.now = sentAt + 16 * MINUTE;
    s.exchangeSkew.ms = -15 * MINUTE;
    await trader.tick();
    assert.equal(status(), 'submitting', 'not written off on the unchecked clock');

    // the clock is set right, six minutes after the order was sent: a new candle closed, and the order is unknown
    s.clock.now = sentAt + 6 * MINUTE;
    s.exchangeSkew.ms = 0;
    await trader.tick();
    assert.equal(orderPosts(s).length, posts, 'no second order in BTC/KRW while the first is unknown');
    assert.equal(status(), 'submitting');
    assert.match(s.repo.orders(runId).at(-1)?.reason ?? '', /held back: order \S+ in BTC\/KRW is still unknown/);

    // the clock ahead again, and by the exchange's clock too the grace has passed: written off as never placed
    s.clock.now = sentAt + 26 * MINUTE;
    s.exchangeSkew.ms = -15 * MINUTE;
    await trader.tick();
    assert.equal(status(), 'cancelled');
    assert.equal(orderPosts(s).length, posts);
  } finally {
    await s.cleanup();
  }
});

test(`portfolio live (bot live --symbols): an unknown order is not written off on a run's clock that jumped 15 \
minutes ahead of the exchange's; it is once the grace period has passed by the exchange's clock too`, async () => {
  const s = await portfolioSetup({ maxOrderValue: 1_000_000, maxDailyLoss: 1e12 }, 1, capturingLogger([]));
  try {
    const trader = s.make();
    await trader.tick(); // the first rebalance, answered normally
    const runId = s.repo.list()[0].id;
    const sentAt = s.clock.now + HOUR;
    s.clock.now = sentAt;
    loseNextOrder(s);
    await trader.tick();
    const unknown = () => s.repo.orders(runId, 'submitting');
    assert.equal(unknown().length, 1, 'one order is unknown');
    const [lost] = unknown();

    s.clock.now = sentAt + 16 * MINUTE;
    s.exchangeSkew.ms = -15 * MINUTE;
    await trader.tick();
    assert.deepEqual(
      unknown().map((o) => o.id),
      [lost.id],
      'not written off on the unchecked clock',
    );

    s.clock.now = sentAt + 26 * MINUTE;
    await trader.tick();
    assert.deepEqual(unknown(), [], 'written off once the grace passed by both clocks');
    assert.equal(s.repo.orders(runId).find((o) => o.id === lost.id)?.status, 'cancelled');
  } finally {
    await s.cleanup();
  }
});
