/**
 * An exit asked while the run's sell cannot go out (an earlier order of the run still unknown holds its market back)
 * stays pending until a sell goes through: the policy is not asked meanwhile (no buy after the user asked to exit),
 * and the command is marked applied by the candle whose sell the exchange executed. One market and a portfolio,
 * against the fake Upbit through real ccxt and a real SQLite file.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listCommands, requestCommand } from '../../src/trading/commands.ts';
import type { LiveCaps } from '../../src/trading/live-orders.ts';
import type { RunRepository } from '../../src/trading/run-repository.ts';
import { alwaysBuy, assertBooksAgree, HOUR, liveSetup, orderStatuses } from './live-setup.ts';
import { assertBooksAgree as assertPortfolioBooksAgree, setup } from './portfolio-live-setup.ts';

/** The ticker requests the fake exchange answered so far (a sell is sized against the last price: sellPriceBound). */
const tickerReads = (fake: { state: { requests: readonly { path: string }[] } }) =>
  fake.state.requests.filter((r) => r.path.includes('/ticker')).length;

const askExit = (repo: RunRepository, runId: number, now: number) =>
  requestCommand(repo.db, { runId, kind: 'exit', requestedBy: 'token:ci@127.0.0.1', reason: 'test exit', now });

test(`live: an exit whose sell is held back by an order still unknown stays pending and the policy buys nothing; \
the next tick sells the whole position and marks the exit applied`, async () => {
  const s = await liveSetup({ maxOrderValue: 1_000_000, maxDailyLoss: 1e12 }, { policies: alwaysBuy() });
  try {
    const trader = s.make();
    await trader.tick(); // a first buy, answered normally
    s.clock.now += HOUR;
    // the second buy is taken but its reply is lost and the exchange shows it late: unknown, its market held back
    s.book.loseRepliesAfterAccept = 1;
    s.book.lookupLag = 1000;
    await trader.tick();
    const run = s.repo.list()[0];
    assert.deepEqual(orderStatuses(s.repo, run.id), ['filled', 'submitting']);
    const cmd = askExit(s.repo, run.id, s.clock.now);
    s.clock.now += HOUR;
    const placed = s.book.orders.length;
    const tickers = tickerReads(s.fake);
    await trader.tick();
    assert.equal(s.book.orders.length, placed, 'nothing sent while the earlier order is unknown');
    // the sell held back is not sent: its price bound needs no ticker (a read that could fail the tick)
    assert.equal(tickerReads(s.fake), tickers, 'no ticker read for the sell held back');
    const waiting = listCommands(s.repo.db, run.id).find((c) => c.id === cmd.id);
    assert.equal(waiting?.status, 'pending', `the exit waits for its sell: ${JSON.stringify(waiting)}`);
    assert.match(waiting?.note ?? '', /held back: order .* is still unknown/);
    // the exchange shows the order again: the next tick records it and sells everything the run holds
    s.book.lookupLag = 0;
    s.book.endLags();
    // no cap on the exit's sell: the whole position goes in one order
    (trader as unknown as { live: { caps: LiveCaps } }).live.caps = { maxOrderValue: 1e9, maxDailyLoss: 1e12 };
    s.clock.now += HOUR;
    await trader.tick();
    const after = s.book.orders.slice(placed);
    assert.deepEqual(
      after.map((o) => o.side),
      ['ask'],
      'one sell and no buy after the exit was asked',
    );
    const done = listCommands(s.repo.db, run.id).find((c) => c.id === cmd.id);
    assert.equal(done?.status, 'applied');
    assert.match(done?.note ?? '', /^market sell of 0\.\d+ after /);
    assert.equal(s.repo.get(run.id).account.units, 0, 'the run holds nothing after the exit');
    assert.ok((s.book.balances.get('BTC') ?? 0) < 1e-12, 'the exchange holds no BTC of the run');
    assertBooksAgree(s, run.id);
  } finally {
    await s.cleanup();
  }
});

test(`live portfolio: an exit whose BTC sell stays unknown is not applied, the next tick holds the BTC sell back \
and buys nothing, and once the order is settled the exit sells BTC and is applied`, async () => {
  const s = await setup({ maxOrderValue: 1e9, maxDailyLoss: 1e12 }, 1);
  try {
    const trader = s.make();
    await trader.tick(); // buys both markets
    const run = s.repo.list()[0];
    const held = s.repo.get(run.id).portfolio?.account.books.map((b) => b.units) ?? [];
    assert.ok(held[0] > 0 && held[1] > 0, `bought both markets: ${held.join(', ')}`);
    const cmd = askExit(s.repo, run.id, s.clock.now);
    const placed = s.book.orders.length;
    // the BTC sell (sent first) meets a 500 at every try: its outcome stays unknown; the ETH sell goes through
    s.fake.addFault({ kind: '500-json', match: '/v1/orders', method: 'POST', times: 4 });
    s.clock.now += HOUR;
    await trader.tick();
    const status = () => listCommands(s.repo.db, run.id).find((c) => c.id === cmd.id);
    assert.equal(status()?.status, 'pending', `the BTC sell did not go through: ${JSON.stringify(status())}`);
    assert.match(status()?.note ?? '', /outcome unknown/);
    s.clock.now += HOUR;
    const tickers = tickerReads(s.fake);
    await trader.tick(); // the BTC sell is still unknown (not on the exchange yet): held back
    // ETH holds nothing: the BTC sell held back is the only one planned, and it needs no ticker
    assert.equal(tickerReads(s.fake), tickers, 'no ticker read for the sell held back');
    assert.equal(status()?.status, 'pending');
    assert.match(status()?.note ?? '', /held back: order .* BTC\/KRW is still unknown/);
    s.clock.now += HOUR;
    await trader.tick(); // the unknown sell is written off as never placed: BTC is sold now
    assert.equal(tickerReads(s.fake), tickers + 1, 'the BTC sell sent is sized against the ticker');
    assert.deepEqual(
      s.book.orders.slice(placed).map((o) => `${o.side} ${o.market}`),
      ['ask KRW-ETH', 'ask KRW-BTC'],
      'only sells after the exit was asked',
    );
    assert.equal(status()?.status, 'applied');
    assert.match(status()?.note ?? '', /^market sells of every position after /);
    const books = s.repo.get(run.id).portfolio?.account.books ?? [];
    assert.deepEqual(
      books.map((b) => b.units),
      [0, 0],
    );
    assertPortfolioBooksAgree(s, run.id);
  } finally {
    await s.cleanup();
  }
});
