/**
 * `bot live --symbols` against the fake Upbit serving several markets (issue 14): caps per order and per day across
 * markets, orders tracked by client id (run, candle time, market), lost replies recorded as the fills they were,
 * reconciliation per market, and a kill -9 between the exchange taking an order and the bot recording it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTime } from '../../src/data/timeframe.ts';
import { HaltError } from '../../src/core/errors.ts';
import type { LiveCaps } from '../../src/trading/live-orders.ts';
import { legacyOrderId } from '../../src/trading/order-desk.ts';
import type { RunRepository } from '../../src/trading/run-repository.ts';
import { runBot, startBot } from './cli.ts';
import { errorLines, orderPosts, ticks } from './live-setup.ts';
import { assertBooksAgree, assertHeldByRun, HOUR, MARKETS, setup, SYMBOLS } from './portfolio-live-setup.ts';
import { capturingLogger } from '../helpers/log.ts';
import { loadPortfolioStrategy } from '../../src/agents/portfolio-strategy.ts';
import { portfolioRuleSource, type PortfolioPolicySource } from '../../src/trading/portfolio-policy-source.ts';

test('live portfolio: capped orders per market by client id, lost replies recorded once, books agree', async () => {
  const s = await setup({ maxOrderValue: 3_000_000, maxDailyLoss: 1e12 }, 3);
  try {
    const trader = s.make();
    for (let k = 0; k < 30; k++, s.clock.now += HOUR) {
      if (k === 6 || k === 15) s.book.loseRepliesAfterAccept = 2;
      await trader.tick();
    }
    const run = s.repo.list()[0];
    const orders = s.book.orders;
    assert.ok(orders.length >= 8, `orders placed: ${orders.length}`);
    for (const m of MARKETS)
      assert.ok(
        orders.some((o) => o.market === m),
        `${m} traded`,
      );
    assert.equal(new Set(orders.map((o) => o.identifier)).size, orders.length, 'no order placed twice');
    for (const o of orders) {
      assert.match(
        o.identifier ?? '',
        new RegExp(`^bot${run.id}-${run.orderNonce}-\\d+-[01]$`),
        'client id: run (id and nonce), candle time, market',
      );
      if (o.side === 'bid') assert.ok(Number(o.price) <= 3_000_000, 'buy capped at maxOrderValue');
      else assert.ok(Number(o.executed_funds) <= 3_000_000 * 1.1, 'sell capped near maxOrderValue');
    }
    assert.equal(s.repo.trades(run.id).length, orders.length, 'every exchange order is recorded as a fill');
    const stuck = s.repo.orders(run.id).filter((o) => ['submitting', 'rejected', 'cancelled'].includes(o.status));
    assert.deepEqual(stuck, []);
    assert.equal(s.book.loseRepliesAfterAccept, 0, 'every lost reply happened');
    assertBooksAgree(s, run.id);
    assert.equal(s.repo.decisionCount(run.id), 30);
    const w = s.repo.lastPositions(run.id).map((p) => p.weight);
    assert.ok(Math.abs(w[0] - w[1]) < 0.1, `rebalanced toward equal weights: ${w.join(', ')}`);

    // the kill switch counts the loss across markets and stops every market
    const halting = s.make();
    (halting as unknown as { live: { caps: LiveCaps } }).live.caps = { maxOrderValue: 3_000_000, maxDailyLoss: 1 };
    let halted = false;
    for (let k = 0; k < 24 && !halted; k++, s.clock.now += HOUR) {
      try {
        await halting.tick();
      } catch (e) {
        assert.ok(e instanceof HaltError, String(e));
        halted = true;
      }
    }
    assert.ok(halted, 'halted on the daily loss of the portfolio');
    await assert.rejects(s.make().tick(), HaltError, 'a restart stays halted');
  } finally {
    await s.cleanup();
  }
});

for (const legacy of [false, true]) {
  test(`live portfolio: kill -9 while the exchange holds an order reply; restart records it by client id${
    legacy ? ' (a row from before stored ids: the old id format)' : ''
  }`, async () => {
    const s = await setup({ maxOrderValue: 3_000_000, maxDailyLoss: 1e12 }, 1);
    try {
      const args = (now: number) => [
        'live',
        '--symbols',
        SYMBOLS.join(','),
        '--rebalance-every',
        '1',
        '--confirm-live',
        '--once',
        '--now',
        isoTime(now),
        '--db',
        s.db,
        '--config',
        s.cfg,
        '--log-level',
        'error',
      ];
      s.book.replyDelayMs = 20_000;
      const { child, done } = startBot(args(s.clock.now), s.env);
      const deadline = Date.now() + 60_000;
      while (s.book.orders.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(s.book.orders.length, 1, 'the exchange took the first order');
      child.kill('SIGKILL');
      await done;
      s.book.replyDelayMs = 0;
      const runId = s.repo.list()[0].id;
      assert.equal(s.repo.trades(runId).length, 0, 'killed before the fill was recorded');
      const submitting = s.repo.orders(runId, 'submitting').length;
      assert.ok(submitting >= 1);
      if (legacy) {
        // what a kill left before trading schema 4: no client id stored, the order sent as `bot<run>-<candle>-<market>`
        for (const o of s.repo.orders(runId, 'submitting')) {
          s.repo.db.prepare('UPDATE trading_orders SET client_id = NULL WHERE id = ?').run(o.id);
          const held = s.book.orders.find((x) => x.identifier === o.clientId);
          if (held) held.identifier = legacyOrderId(runId, o.decisionTs, SYMBOLS.indexOf(o.market));
        }
      }

      const again = await runBot(args(s.clock.now), s.env);
      assert.equal(again.code, 0, again.stderr);
      // an order the kill stopped before it went out stays unknown until trading.live.unknownOrderGraceSeconds
      assert.equal(s.repo.orders(runId, 'submitting').length, submitting - 1, 'the order the exchange took settled');
      assert.equal(s.repo.trades(runId).length, 1, 'the order the exchange took is recorded, once');
      assert.equal(s.book.orders.length, 1, 'nothing placed twice, and no second decision at that candle time');
      assert.equal(s.repo.decisionCount(runId), 1);
      assertBooksAgree(s, runId);

      s.clock.now += HOUR;
      const next = await runBot(args(s.clock.now), s.env);
      assert.equal(next.code, 0, next.stderr);
      assert.equal(s.repo.decisionCount(runId), 2);
      assert.equal(s.repo.orders(runId, 'submitting').length, 0, 'past the grace period: every order settled');
      assert.ok(s.book.orders.length >= 2, 'the next candle trades both markets');
      assertBooksAgree(s, runId);
    } finally {
      await s.cleanup();
    }
  });
}

test(`live portfolio: a new run starts from the KRW the exchange has available, not what the user's own open orders \
have locked: its buys fit the cash there is`, async () => {
  const s = await setup({ maxOrderValue: 3_000_000, maxDailyLoss: 1e12 }, 3);
  try {
    // 20,000,000 KRW in all, 18,000,000 of it in the user's limit orders
    s.book.balances.set('KRW', 2_000_000);
    s.book.locked.set('KRW', 18_000_000);
    await s.make().tick(); // --balance 10,000,000
    const run = s.repo.list()[0];
    assert.equal(run.initialBalance, 2_000_000, 'the run trades what is available');
    const orders = s.repo.orders(run.id);
    assert.equal(orders.length, 2, 'a buy in each market');
    assert.deepEqual(
      orders.map((o) => [o.status, o.reason ?? '']),
      orders.map(() => ['filled', '']),
    );
    assertBooksAgree({ ...s, startKrw: 2_000_000 }, run.id);
  } finally {
    await s.cleanup();
  }
});

/** Each market's order statuses in the order they were written. */
function statusesByMarket(s: { repo: RunRepository }, runId: number): Record<string, string[]> {
  const by: Record<string, string[]> = {};
  for (const o of s.repo.orders(runId)) (by[o.market] ??= []).push(o.status);
  return by;
}

test(`live portfolio: buys below the exchange's minimum order (account.minOrderValue set too low) are refused once per \
market, with one line naming the setting, and not sent again at every candle`, async () => {
  const lines: string[] = [];
  const s = await setup({ maxOrderValue: 1_000_000, maxDailyLoss: 1e12 }, 1, capturingLogger(lines));
  try {
    s.book.minOrderValue = 2_000_000; // the exchange's minimum; the run's config says 5,000
    await ticks(s, s.make(), 4);
    assert.equal(orderPosts(s).length, 2, "each market's refused buy was sent once, not at every candle");
    const errs = errorLines(lines);
    assert.equal(errs.length, 2, `one error line per market:\n${errs.join('\n')}`);
    SYMBOLS.forEach((sym, m) => {
      assert.match(errs[m], /raise account\.minOrderValue \(now 5000\)/);
      assert.ok(errs[m].includes(`buy orders on ${sym} are not sent again`), errs[m]);
    });
    const run = s.repo.list()[0];
    const expected = ['rejected', 'skipped', 'skipped', 'skipped'];
    assert.deepEqual(statusesByMarket(s, run.id), { [SYMBOLS[0]]: expected, [SYMBOLS[1]]: expected });
    for (const o of s.repo.orders(run.id, 'skipped')) assert.match(o.reason ?? '', /^not sent: the exchange refused/);
    // the targets wait for a deposit; one warning said so, when the buys were refused, not one at every candle
    const waits = lines.filter((l) => l.includes('"warn"') && l.includes('not reached'));
    assert.equal(waits.length, 1, waits.join('\n'));
    assert.equal(s.book.orders.length, 0);
    assertBooksAgree(s, run.id);
  } finally {
    await s.cleanup();
  }
});

test(`live portfolio: buys refused for insufficient funds (a withdrawal lands between the bot's balance read and its \
orders) are logged once per market; the next tick takes the withdrawal out of the run and sizes its orders to what \
is there`, async () => {
  const lines: string[] = [];
  const s = await setup({ maxOrderValue: 1_000_000, maxDailyLoss: 1e12 }, 1, capturingLogger(lines));
  try {
    const trader = s.make();
    await ticks(s, trader, 1); // one buy per market fills
    assert.equal(s.book.orders.length, 2);
    s.book.afterBalanceRead = () => s.book.balances.set('KRW', 10_000); // withdrawn just after the read
    await ticks(s, trader, 1);
    assert.equal(orderPosts(s).length, 4, 'each buy was sent and refused');
    const errs = errorLines(lines);
    assert.equal(errs.length, 2, `one error line per market:\n${errs.join('\n')}`);
    for (const e of errs) {
      assert.match(e, /insufficient|InsufficientFunds/i);
      assert.match(e, /the exchange has 10000 KRW free/);
    }
    await ticks(s, trader, 2);
    assert.equal(lines.filter((l) => l.includes('withdrawal:')).length, 1, 'one line says what was taken out');
    assert.equal(errorLines(lines).length, 2, 'nothing refused after the withdrawal was taken out');
    const run = s.repo.list()[0];
    const expected = ['filled', 'rejected', 'filled'];
    assert.deepEqual(statusesByMarket(s, run.id), { [SYMBOLS[0]]: expected, [SYMBOLS[1]]: expected });
    assertHeldByRun(s, run.id);
  } finally {
    await s.cleanup();
  }
});

test(`live portfolio: BTC's candle published 1.5 s late: the tick decides its time with both markets' candles (BTC \
marked at that candle's close, not the one before), once`, async () => {
  const s = await setup({ maxOrderValue: 3_000_000, maxDailyLoss: 1e12 }, 1);
  try {
    const trader = s.make(5000);
    await trader.tick();
    s.clock.now += HOUR;
    const ts = s.series[0].ts[101];
    s.fake.dropCandles('KRW-BTC', '1h', (t) => t === ts);
    const t = setTimeout(() => s.fake.setSeries('KRW-BTC', s.series[0]), 1500);
    let report;
    try {
      report = await trader.tick();
    } finally {
      clearTimeout(t);
    }
    assert.deepEqual(
      report.decisions.map((d) => isoTime(d.ts)),
      [isoTime(ts)],
    );
    const run = s.repo.list()[0];
    const btc = s.repo.lastPositions(run.id).find((p) => p.market === 'BTC/KRW');
    assert.equal(btc?.ts, ts);
    assert.equal(btc?.price, s.series[0].close[101], "BTC is valued at its late candle's close");
    s.clock.now += HOUR;
    const next = await trader.tick();
    assert.deepEqual(
      next.decisions.map((d) => isoTime(d.ts)),
      [isoTime(s.series[0].ts[102])],
    );
  } finally {
    await s.cleanup();
  }
});

test(`live portfolio: a model version given up on costs no decision (the next live tick decides only the newest \
candle): when the version brought up reads a series the run cannot fetch, or cannot be aimed over the run's candles, \
the tick decides with the version serving, over the series it reads`, async () => {
  const s = await setup({ maxOrderValue: 3_000_000, maxDailyLoss: 1e12 }, 3);
  try {
    const rule = portfolioRuleSource(await loadPortfolioStrategy('equal-weight'), {
      symbols: SYMBOLS,
      seed: 1,
      every: 3,
    });
    // a source following a pointer by hand: `pointed` is the version it brings up at the next follow
    type Version = 'serving' | 'reads-xrp' | 'unaimable';
    let pointed = 'serving' as Version;
    let coming = 'serving' as Version;
    const givenUp: string[] = [];
    const loadedFor: string[][] = [];
    const policies: PortfolioPolicySource = {
      label: rule.label,
      get informative() {
        return coming === 'reads-xrp' ? ['XRP/KRW'] : [];
      },
      follow: async () => {
        coming = givenUp.includes(pointed) ? 'serving' : pointed;
      },
      switchFailed: () => {
        if (coming !== 'reads-xrp') return false;
        givenUp.push(coming);
        coming = 'serving';
        return true;
      },
      forSeries(traded, informative) {
        loadedFor.push([...traded, ...informative].map((c) => c.symbol));
        if (coming === 'unaimable') {
          givenUp.push(coming);
          coming = 'serving';
          return undefined;
        }
        return rule.forSeries(traded, informative);
      },
    };
    const trader = s.make(undefined, policies);
    const newest = () => s.repo.decisions(s.repo.list()[0].id).at(-1)?.ts;
    await trader.tick();
    for (const next of ['reads-xrp', 'unaimable'] as const) {
      pointed = next;
      s.clock.now += HOUR;
      await trader.tick();
      assert.equal(newest(), s.clock.now - HOUR - (s.clock.now % HOUR), `the tick of ${next} decides its candle`);
    }
    assert.deepEqual(givenUp, ['reads-xrp', 'unaimable']);
    // the tick of the unaimable version: its series, then the serving version's loaded again
    assert.deepEqual(loadedFor.slice(-2), [SYMBOLS, SYMBOLS]);
    assert.equal(s.repo.decisionCount(s.repo.list()[0].id), 3);
  } finally {
    await s.cleanup();
  }
});
