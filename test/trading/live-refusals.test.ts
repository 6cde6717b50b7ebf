/**
 * Orders the exchange refuses for a reason that comes back at every candle (fake Upbit through real ccxt, real
 * SQLite): a minimum order value the config puts below the exchange's, and funds withdrawn from under a run. One
 * error line says what to change; a too-small order is not sent again while nothing changed, and a withdrawal is
 * taken out of the run's account at the next tick (src/trading/withdrawals.ts), whose buy is sized to what is there.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capturingLogger } from '../helpers/log.ts';
import { alwaysBuy, assertBooksAgree, errorLines, liveSetup, orderPosts, ticks } from './live-setup.ts';

const CAPS = { maxOrderValue: 1_000_000, maxDailyLoss: 1e12 };

test(`live: a buy below the exchange's minimum order (account.minOrderValue set too low) is refused once, with one \
line naming the setting, and not sent again at every candle`, async () => {
  const lines: string[] = [];
  const s = await liveSetup(CAPS, { policies: alwaysBuy(), logger: capturingLogger(lines) });
  try {
    s.book.minOrderValue = 2_000_000; // the exchange's minimum; the run's config says 5,000
    const trader = s.make();
    await ticks(s, trader, 4);
    assert.equal(orderPosts(s).length, 1, 'the refused buy was sent once, not at every candle');
    const errs = errorLines(lines);
    assert.equal(errs.length, 1, `one error line:\n${errs.join('\n')}`);
    assert.match(errs[0], /raise account\.minOrderValue \(now 5000\)/);
    const run = s.repo.list()[0];
    const statuses = s.repo.orders(run.id).map((o) => o.status);
    assert.deepEqual(statuses, ['rejected', 'skipped', 'skipped', 'skipped']);
    assert.equal(s.book.orders.length, 0);
    assertBooksAgree(s, run.id);
  } finally {
    await s.cleanup();
  }
});

test(`live: a buy refused for insufficient funds (a withdrawal lands between the bot's balance read and its order) \
is logged once; the next tick takes the withdrawal out of the run and buys with what is there`, async () => {
  const lines: string[] = [];
  const s = await liveSetup(CAPS, { policies: alwaysBuy(), logger: capturingLogger(lines) });
  try {
    const trader = s.make();
    await ticks(s, trader, 1); // one buy fills
    s.book.afterBalanceRead = () => s.book.balances.set('KRW', 10_000); // withdrawn just after the read
    await ticks(s, trader, 1);
    const errs = errorLines(lines);
    assert.equal(errs.length, 1, `one error line:\n${errs.join('\n')}`);
    assert.match(errs[0], /insufficient|InsufficientFunds/i);
    assert.match(errs[0], /the exchange has 10000 KRW free/);
    await ticks(s, trader, 1);
    assert.equal(orderPosts(s).length, 3, 'the next buy went out, sized to what the exchange holds');
    assert.equal(errorLines(lines).length, 1, 'and was not refused');
    const run = s.repo.list()[0];
    assert.deepEqual(
      s.repo.orders(run.id).map((o) => o.status),
      ['filled', 'rejected', 'filled'],
    );
    assert.ok(s.repo.get(run.id).account.cash < 10, 'the run spent what was left of its cash');
  } finally {
    await s.cleanup();
  }
});
