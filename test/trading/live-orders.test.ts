/**
 * Issue 18's defects, each against the fake Upbit through real ccxt: orders found only through the lists, a lost
 * reply whose look-up fails too (not sent again, also where client ids are unique among open orders only), a rate
 * limit on placing an order, a sell with nothing to sell, an amount that rounds to zero, a failed market load at
 * start, status P&L of a live run, `bot live` killed with SIGKILL between the exchange taking an order and the bot
 * recording it, and API keys an exchange echoes in its order errors.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Decision, Policy } from '../../src/core/policy.ts';
import { CandleStore } from '../../src/data/store.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { ObservationBuilder } from '../../src/market/observation.ts';
import { fillFromOrder, findInOrderLists } from '../../src/trading/exchange-orders.ts';
import { clientOrderId } from '../../src/trading/live.ts';
import { applyFill, cappedOrder } from '../../src/trading/live-orders.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { runStatus } from '../../src/trading/status.ts';
import type { PolicySource } from '../../src/trading/types.ts';
import { assertNoSecrets, startBot, runBot } from './cli.ts';
import { assertBooksAgree, assertFilledOnce, HOUR, liveCliSetup, liveSetup } from './live-setup.ts';

const CAPS = { maxOrderValue: 3_000_000, maxDailyLoss: 1e12 };

/** A policy that says the same thing at every candle. */
function constantSource(action: Decision['action']): PolicySource {
  const policy: Policy = { name: `always-${action}`, decide: () => ({ action, confidence: 1 }) };
  return {
    label: `strategy:always-${action}`,
    forCandles(candles) {
      const builder = new ObservationBuilder({ candles, window: 0 });
      return { policy, label: `strategy:always-${action}`, warmup: 0, observe: (t, a) => builder.build(t, a) };
    },
  };
}

const noRetry = <T>(_what: string, fn: () => Promise<T>) => fn();

test(`live: an order found only through the lists (no trades, strings) is valued from executed_funds, in \
numbers`, async () => {
  const s = await liveSetup(CAPS);
  try {
    const trader = s.make();
    s.book.loseRepliesAfterAccept = 0;
    await trader.tick(); // loads markets, opens the run
    const run = s.repo.list()[0];
    const id = clientOrderId(run, 12345);
    const now = new Date(s.clock.now).toISOString();
    s.book.orders.push({
      uuid: 'u-list',
      identifier: id,
      market: 'KRW-BTC',
      side: 'ask',
      ord_type: 'market',
      state: 'done',
      created_at: now,
      volume: '0.001',
      remaining_volume: '0',
      executed_volume: '0.001',
      executed_funds: '30158',
      paid_fee: '15.079',
      trades: [],
    });
    s.book.orders.push({
      uuid: 'u-buy',
      identifier: `${id}b`,
      market: 'KRW-BTC',
      side: 'bid',
      ord_type: 'price',
      state: 'cancel',
      created_at: now,
      price: '1000000',
      executed_volume: '0.00999',
      executed_funds: '999000',
      paid_fee: '499.5',
      trades: [],
    });
    const sell = await findInOrderLists(s.exchange, 'BTC/KRW', id, noRetry);
    assert.ok(sell, 'a done sell is in the closed list');
    const buy = await findInOrderLists(s.exchange, 'BTC/KRW', `${id}b`, noRetry);
    assert.ok(buy, 'a market buy that ended `cancel` is found (ccxt asks the closed list for `done` only)');
    const sellFill = fillFromOrder(sell).fill;
    assert.deepEqual(sellFill, { side: 'sell', price: 30158 / 0.001, units: 0.001, value: 30158, fee: 15.079 });
    const buyFill = fillFromOrder(buy).fill;
    assert.deepEqual(buyFill, { side: 'buy', price: 999000 / 0.00999, units: 0.00999, value: 999000, fee: 499.5 });
    const after = applyFill(run.account, buyFill);
    assert.equal(typeof after.feesPaid, 'number');
    assert.equal(after.feesPaid, run.account.feesPaid + 499.5);
    assert.throws(
      () => applyFill(run.account, { ...buyFill, fee: '14.9' as unknown as number }),
      /fill fee is not a finite amount/,
    );
    // no trades and no executed funds: the value is not guessed, the single order is asked for
    assert.deepEqual(
      fillFromOrder({ ...buy, info: { executed_volume: '0.00999' }, trades: [], cost: undefined } as typeof buy),
      { needsDetail: true },
    );
  } finally {
    await s.cleanup();
  }
});

for (const ids of ['forever', 'open'] as const) {
  test(`live: a lost reply whose look-up fails too is not sent again (client ids unique ${ids}${
    ids === 'open' ? ', as on Binance: a second send is a second order' : ''
  }): the next tick records the order, once`, async () => {
    const s = await liveSetup(CAPS, { policies: constantSource('buy') });
    try {
      s.book.identifiersUnique = ids;
      const trader = s.make();
      await trader.tick(); // a first buy, answered normally
      s.clock.now += HOUR;
      const seen = s.fake.state.requests.length;
      s.book.loseRepliesAfterAccept = 1;
      // every look-up of the order by its identifier fails for one whole retry round (4 tries)
      s.fake.addFault({ kind: '500', match: '/v1/order', method: 'GET', times: 4 });
      await trader.tick();
      const posts = s.fake.state.requests.slice(seen).filter((r) => r.method === 'POST' && r.path === '/v1/orders');
      assert.equal(s.book.orders.length, 2, 'each decision placed once');
      assert.equal(posts.length, 1, 'an order whose outcome no look-up could tell is not sent again');
      const run = s.repo.list()[0];
      assert.deepEqual(
        s.repo.orders(run.id).map((o) => o.status),
        ['filled', 'submitting'],
      );
      s.clock.now += HOUR;
      await trader.tick();
      assert.equal(s.book.orders.length, 3, 'each decision placed once');
      assert.deepEqual(
        s.repo.orders(run.id).map((o) => o.status),
        ['filled', 'filled', 'filled'],
      );
      assertBooksAgree(s, run.id);
    } finally {
      await s.cleanup();
    }
  });
}

test(`live: an order turned away by a rate limit (429) is sent again in the same tick, also when the look-up after \
it fails (a 429 proves nothing was placed)`, async () => {
  const s = await liveSetup(CAPS, { policies: constantSource('buy') });
  try {
    const trader = s.make();
    await trader.tick(); // a first buy, answered normally
    s.clock.now += HOUR;
    s.fake.addFault({ kind: '429', match: '/v1/orders', method: 'POST', times: 1 });
    s.fake.addFault({ kind: '500', match: '/v1/order', method: 'GET', times: 4 });
    await trader.tick();
    assert.equal(s.book.orders.length, 2, 'each decision placed once');
    const run = s.repo.list()[0];
    assert.deepEqual(
      s.repo.orders(run.id).map((o) => o.status),
      ['filled', 'filled'],
    );
    assertBooksAgree(s, run.id);
  } finally {
    await s.cleanup();
  }
});

test(`live: a sell with nothing to sell, or an amount that rounds to zero, is a hold with a reason, decided and \
saved`, async () => {
  const s = await liveSetup(CAPS, { policies: constantSource('sell') });
  try {
    const trader = s.make();
    const first = await trader.tick();
    assert.equal(first.acted, 1);
    s.clock.now += HOUR;
    await trader.tick();
    const run = s.repo.list()[0];
    assert.equal(s.repo.decisionCount(run.id), 2, 'both candles decided');
    const orders = s.repo.orders(run.id);
    assert.deepEqual(
      orders.map((o) => [o.status, o.reason]),
      [
        ['skipped', 'no_position'],
        ['skipped', 'no_position'],
      ],
    );
    assert.equal(run.account.rejected.no_position, 2, 'counted as the paper account counts refused orders');
    assert.equal(s.book.orders.length, 0, 'nothing reached the exchange');
    // ccxt throws when an amount rounds below the market's precision: that is a hold too
    const round = {
      cost: (x: number) => Number(s.exchange.costToPrecision('BTC/KRW', x)),
      amount: (x: number) => Number(s.exchange.amountToPrecision('BTC/KRW', x)),
    };
    assert.throws(() => s.exchange.amountToPrecision('BTC/KRW', 1e-9), /precision/);
    const tiny = { ...run.account, units: 1e-9 };
    assert.deepEqual(cappedOrder({ side: 1, spend: 0, units: 1e-9 }, tiny, 50_000_000, CAPS, 5000, 0.0005, round), {
      amount: 0,
      skip: 'below_precision',
    });
    assert.deepEqual(cappedOrder({ side: 1, spend: 0, units: 0 }, run.account, 50_000_000, CAPS, 5000, 0.0005, round), {
      amount: 0,
      skip: 'no_position',
    });
  } finally {
    await s.cleanup();
  }
});

test('live: a failed market load at start does not poison later ticks', async () => {
  const s = await liveSetup(CAPS);
  try {
    s.fake.addFault({ kind: '500', match: '/market/all', times: 50 });
    const trader = s.make();
    await assert.rejects(() => trader.tick(), /loading markets|failed after/);
    s.fake.state.faults.length = 0;
    const before = s.fake.state.requests.filter((r) => r.path === '/v1/market/all').length;
    s.clock.now += HOUR;
    const report = await trader.tick();
    assert.equal(report.acted, 1, 'the next tick trades');
    const loads = s.fake.state.requests.filter((r) => r.path === '/v1/market/all');
    assert.ok(
      loads.length > before && loads[loads.length - 1].status === 200,
      'the market load reached the exchange again',
    );
  } finally {
    await s.cleanup();
  }
});

test("live: status P&L is against the run's own starting value, not the configured balance", async () => {
  const s = await liveSetup(CAPS, { krw: 1_000_000 });
  try {
    await s.make().tick();
    const status = runStatus(s.repo, s.key, s.clock.now, 5, { tickDelaySeconds: 10, lockStaleSeconds: 120 });
    assert.ok(status);
    assert.equal(
      status.initialBalance,
      1_000_000,
      'the run trades what the exchange holds (less than account.balance)',
    );
    assert.ok(Math.abs(status.pnl) < 0.02, `P&L ${status.pnl}`);
    assert.equal(s.repo.list()[0].initialBalance, 1_000_000);
  } finally {
    await s.cleanup();
  }
});

test(`bot live killed with SIGKILL between the exchange taking an order and the bot recording it: the restart records \
the fill`, async () => {
  const { tmp, now, fake, book, cfg, db } = await liveCliSetup(43, 2_000_000);
  book.replyDelayMs = 30_000; // the exchange takes the order, the reply is on its way for a long time
  const env = { UPBIT_API_KEY: 'kill-test-access-key', UPBIT_API_SECRET: 'kill-test-secret-key', NO_COLOR: '1' };
  const args = [
    'live',
    '--strategy',
    'buy-and-hold',
    '--confirm-live',
    '--once',
    '--now',
    isoTime(now),
    '--db',
    db,
    '--config',
    cfg,
    '--log-level',
    'warn',
  ];
  try {
    const { child, done } = startBot(args, env);
    for (let i = 0; i < 600 && book.orders.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(book.orders.length, 1, 'the exchange took the order');
    child.kill('SIGKILL');
    const killed = await done;
    assert.equal(killed.signal, 'SIGKILL');
    const peek = CandleStore.open(db);
    try {
      const repo = new RunRepository(peek.db);
      const run = repo.list()[0];
      assert.deepEqual(
        repo.orders(run.id).map((o) => o.status),
        ['submitting'],
        'the bot died before recording the fill',
      );
    } finally {
      peek.close();
    }
    book.replyDelayMs = 0;
    const restarted = await runBot(args, env);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.match(
      restarted.stderr,
      /reconcile: order bot\d+-[0-9a-z]+-\d+: found on the exchange \(canceled\), recorded/,
    );
    assertFilledOnce(db, book, 2_000_000);
    assert.equal(book.orders[0].state, 'cancel', 'a market buy with a refunded sliver');
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot live: API keys an exchange echoes in its order errors (a 500, a refusal, a failed look-up) reach neither the \
console nor the log file`, async () => {
  const key = 'live-access-key-7c1d2e3f4a5b';
  const secret = 'live-secret-key-0a9b8c7d6e5f';
  const { tmp, now, fake, book, cfg, db } = await liveCliSetup(44, 2_000_000, (dir) => ({
    log: { file: path.join(dir, 'bot.log'), level: 'debug' },
  }));
  // a careless exchange: an order fails with a 500, then is refused, both with the credentials in their messages; the
  // look-up by identifier answers 404 after the 500 (so the order is sent again) and fails the same way after that
  let posts = 0;
  let lookups = 0;
  fake.route('POST', '/v1/orders', () =>
    ++posts === 1
      ? { status: 500, json: { error: { name: 'server_error', message: `upstream refused ${key}` } } }
      : { status: 400, json: { error: { name: 'invalid_query', message: `bad signature ${secret} for ${key}` } } },
  );
  fake.route('GET', '/v1/order', () =>
    ++lookups === 1
      ? { status: 404, json: { error: { name: 'order_not_found', message: 'no such order' } } }
      : { status: 500, json: { error: { name: 'server_error', message: `look-up failed for ${key} / ${secret}` } } },
  );
  try {
    const args = ['live', '--strategy', 'buy-and-hold', '--confirm-live', '--once', '--now', isoTime(now)];
    const r = await runBot([...args, '--db', db, '--config', cfg], {
      UPBIT_API_KEY: key,
      UPBIT_API_SECRET: secret,
      NO_COLOR: '1',
    });
    assert.equal(book.orders.length, 0);
    assert.equal(posts, 2, `the order was sent, then sent again: ${r.stderr}`);
    const logText = readFileSync(path.join(tmp.dir, 'bot.log'), 'utf8');
    assert.match(r.stderr, /upstream refused \*\*\*/, 'the order error is on the console, masked');
    assert.match(r.stderr, /bad signature \*\*\* for \*\*\*/, 'and the refusal');
    assert.match(logText, /look-up failed for \*\*\* \/ \*\*\*/, 'the look-up error is in the log file, masked');
    assertNoSecrets({ stderr: r.stderr, stdout: r.stdout, 'log file': logText }, [key, secret]);
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});
