/**
 * The live broker against an exchange in the wild (fake Upbit through real ccxt, real SQLite, real `bot` processes):
 * a second `bot live` on a run whose trader idles between candles; an order the exchange shows only after a lag; an
 * order left submitting across the client-id format change; a client order id used again by a run created after
 * --reset; a halted run with an order in flight; a fifth of requests failing; a machine clock ahead of the
 * exchange's; part-filled market orders and a cancel whose reply is lost; a new run on an account whose quote currency
 * is partly locked in the user's own orders.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { addOrderEndpoints } from '../fake-exchange/orders.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Policy } from '../../src/core/policy.ts';
import { createExchange } from '../../src/data/exchange.ts';
import { ObservationBuilder } from '../../src/market/observation.ts';
import { requestCommand } from '../../src/trading/commands.ts';
import { HaltError } from '../../src/core/errors.ts';
import { clientOrderId } from '../../src/trading/live.ts';
import { legacyOrderId } from '../../src/trading/order-desk.ts';
import type { PolicySource } from '../../src/trading/types.ts';
import { startBot } from './cli.ts';
import { startFaultProxy } from './fault-proxy.ts';
import { tempDir, waitFor } from './helpers.ts';
import { alwaysBuy, assertBooksAgree, HOUR, liveSetup, startTraderUntilOrder } from './live-setup.ts';

test(`bot live: a second process on the same run is refused while the first idles between candles (longer than \
trading.lockStaleSeconds)`, async () => {
  const tmp = tempDir('bot-live-lock-');
  // the wall clock on both sides: the first trader ticks once, then waits for the next hourly candle
  const fake = await startFakeUpbit();
  const book = addOrderEndpoints(fake, { KRW: 2_000_000 });
  const cfg = path.join(tmp.dir, 'config.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      exchange: { ccxt: fake.ccxtOptions(), retries: 2, backoffMs: 10, maxBackoffMs: 50 },
      log: { file: '' },
      trading: { lockStaleSeconds: 1 },
    }),
  );
  const env = { UPBIT_API_KEY: 'lock-test-access-key', UPBIT_API_SECRET: 'lock-test-secret-key', NO_COLOR: '1' };
  const args = ['live', '--strategy', 'buy-and-hold', '--confirm-live', '--db', path.join(tmp.dir, 'bot.db')];
  // a trader that fails to start must still close the fake exchange, or the test file never exits
  let first: Awaited<ReturnType<typeof startTraderUntilOrder>> | undefined;
  try {
    first = await startTraderUntilOrder([...args, '--config', cfg, '--log-level', 'warn'], env, book);
    // idle well past the stale time, then a second trader on the same run
    await new Promise((r) => setTimeout(r, 3000));
    const second = startBot([...args, '--config', cfg, '--log-level', 'warn'], env);
    let stderr = '';
    second.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let secondExit: { code: number | null } | undefined;
    void second.done.then((r) => (secondExit = r));
    await waitFor(
      () => (secondExit || /LIVE trading/.test(stderr) ? true : undefined),
      60_000,
      'the second trader to start or stop',
    );
    if (!secondExit) second.child.kill('SIGTERM');
    const r = await second.done;
    assert.equal(r.code, 1, `the second trader was let in beside the first:\n${r.stderr}`);
    assert.match(r.stderr, /^error: live:default:upbit:BTC\/KRW:1h is already running \(pid \d+/m);
    assert.equal(first.exited(), false, 'the first trader still runs');
  } finally {
    first?.child.kill('SIGTERM');
    await first?.done;
    await fake.close();
    tmp.cleanup();
  }
});

/** A policy that buys when flat and sells what it holds otherwise: an order at every candle. */
function flip(): PolicySource {
  const policy: Policy = {
    name: 'flip',
    decide: (obs) => ({ action: obs.state[0] > 0.01 ? 'sell' : 'buy', confidence: 1 }),
  };
  return {
    label: 'strategy:flip',
    forCandles(candles) {
      const builder = new ObservationBuilder({ candles, window: 0 });
      return { policy, label: 'strategy:flip', warmup: 0, observe: (t, a) => builder.build(t, a) };
    },
  };
}

const CAPS = { maxOrderValue: 3_000_000, maxDailyLoss: 1e12 };

type LiveSetup = Awaited<ReturnType<typeof liveSetup>>;

/** A restarted trader's start-up reconciliation records order `orderId` as filled; the books agree. */
async function restartRecords(s: LiveSetup, runId: number, orderId: number) {
  const restarted = s.make();
  restarted['run'] = s.repo.list()[0];
  const notes = await restarted.reconcile();
  assert.equal(
    s.repo.orders(runId).find((o) => o.id === orderId)?.status,
    'filled',
    `the order on the exchange is recorded: ${notes.join('; ')}`,
  );
  assertBooksAgree(s, runId);
  return restarted;
}

test(`live: an order taken with its reply lost, then missing from look-ups for a moment, is not written off when the \
retry is refused as a duplicate: the next tick records its fill`, async () => {
  const s = await liveSetup(CAPS, { policies: alwaysBuy() });
  try {
    const trader = s.make();
    s.book.loseRepliesAfterAccept = 1;
    // the look-up after the lost reply and the one after the duplicate refusal both miss it (identifier + its list)
    s.book.lookupLag = 4;
    await trader.tick();
    s.book.lookupLag = 0;
    assert.equal(s.book.orders.length, 1, 'the exchange took the order once');
    const run = s.repo.list()[0];
    assert.notEqual(s.repo.orders(run.id)[0].status, 'rejected', 'an order the exchange took is not written off');
    s.clock.now += HOUR;
    await trader.tick();
    assert.equal(s.book.orders.length, 2, 'one order per decision');
    assert.deepEqual(
      s.repo.orders(run.id).map((o) => o.status),
      ['filled', 'filled'],
    );
    assertBooksAgree(s, run.id);
  } finally {
    await s.cleanup();
  }
});

test(`live: a restart after a kill between sending an order and writing it down finds the order though the exchange \
shows it only after a few look-ups`, async () => {
  const s = await liveSetup(CAPS, { policies: alwaysBuy() });
  try {
    await s.make().tick(); // opens the run, one buy
    s.clock.now += HOUR;
    const run = s.repo.list()[0];
    const ts = s.candles.ts[101];
    // what a kill leaves: the order committed `submitting`, the exchange holding it under its client id
    const orderId = s.repo.insertOrder(
      run.id,
      ts,
      'buy',
      1_000_000,
      'submitting',
      s.clock.now,
      undefined,
      clientOrderId(run, ts),
    );
    s.book.lookupLag = 3;
    await s.exchange.createOrder('BTC/KRW', 'market', 'buy', 1_000_000, undefined, {
      clientOrderId: clientOrderId(run, ts),
      cost: 1_000_000,
    });
    s.book.lookupLag = 0;
    await restartRecords(s, run.id, orderId);
  } finally {
    await s.cleanup();
  }
});

test(`live: an order left submitting by a version that did not store client ids (sent under the old id format) is \
found under that id after the upgrade and recorded`, async () => {
  const s = await liveSetup(CAPS, { policies: alwaysBuy() });
  try {
    await s.make().tick();
    s.clock.now += HOUR;
    const run = s.repo.list()[0];
    const ts = s.candles.ts[101];
    // what a kill left before trading schema 4: the row without a client id, the exchange holding the order under
    // `bot<run>-<candle>`
    const orderId = s.repo.insertOrder(run.id, ts, 'buy', 1_000_000, 'submitting', s.clock.now);
    assert.equal(s.repo.orders(run.id).find((o) => o.id === orderId)?.clientId, null);
    await s.exchange.createOrder('BTC/KRW', 'market', 'buy', 1_000_000, undefined, {
      clientOrderId: legacyOrderId(run.id, ts),
      cost: 1_000_000,
    });
    const restarted = await restartRecords(s, run.id, orderId);
    // and an order the new code places (the next candle) is stored with the id it was sent under
    s.clock.now += HOUR;
    await restarted.tick();
    const placed = s.repo.orders(run.id).at(-1);
    assert.equal(placed?.clientId, clientOrderId(run, placed?.decisionTs ?? 0));
  } finally {
    await s.cleanup();
  }
});

test(`live: a run created by --reset in the candle its predecessor traded places its own order, and does not take the \
predecessor's order (another side) as its fill`, async () => {
  const T = (s: { candles: { ts: Float64Array } }) => s.candles.ts[100];
  const s = await liveSetup(CAPS);
  try {
    // the first run buys at one candle and sells at the next
    let at = 0;
    const buyThenSell: PolicySource = {
      label: 'strategy:buy-then-sell',
      forCandles(candles) {
        const builder = new ObservationBuilder({ candles, window: 0 });
        const policy: Policy = {
          name: 'buy-then-sell',
          decide: () => ({ action: at === T(s) ? 'buy' : 'sell', confidence: 1 }),
        };
        const observe = (t: number, a: Parameters<typeof builder.build>[1]) => (
          (at = candles.ts[t]),
          builder.build(t, a)
        );
        return { policy, label: 'strategy:buy-then-sell', warmup: 0, observe };
      },
    };
    const first = s.make(buyThenSell);
    await first.tick();
    s.clock.now += HOUR;
    await first.tick();
    const old = s.repo.list()[0];
    assert.deepEqual(
      s.book.orders.map((o) => o.side),
      ['bid', 'ask'],
    );
    // `bot live --reset --strategy …` ten minutes later: the run is removed and a new one acts on the same candle
    s.repo.remove(old.id);
    s.clock.now += 600_000;
    await s.make(alwaysBuy()).tick();
    const run = s.repo.list()[0];
    assert.equal(s.book.orders.length, 3, "the new run's buy reached the exchange");
    const orders = s.repo.orders(run.id);
    assert.deepEqual(
      orders.map((o) => [o.side, o.status]),
      [['buy', 'filled']],
    );
    assert.equal(orders[0].exchangeId, s.book.orders[2].uuid, 'its fill is its own order');
    const fills = s.repo.trades(run.id);
    assert.deepEqual(
      fills.map((f) => f.side),
      ['buy'],
    );
    assert.ok(Math.abs(run.account.cash - (run.initialBalance - fills[0].value - fills[0].fee)) < 1e-6);
  } finally {
    await s.cleanup();
  }
});

test(`live: a run halted from the dashboard while an order's outcome is unknown still records that order's fill \
(halting stops new orders, not the bookkeeping of one already sent)`, async () => {
  const s = await liveSetup(CAPS, { policies: alwaysBuy() });
  try {
    const trader = s.make();
    await trader.tick();
    s.clock.now += HOUR;
    // the exchange takes the order, the reply is lost and the look-up fails through its retries: the outcome is
    // unknown
    s.book.loseRepliesAfterAccept = 1;
    s.fake.addFault({ kind: '500', match: '/v1/order', method: 'GET', times: 4 });
    await trader.tick();
    const run = s.repo.list()[0];
    assert.deepEqual(
      s.repo.orders(run.id).map((o) => o.status),
      ['filled', 'submitting'],
    );
    requestCommand(s.repo.db, { runId: run.id, kind: 'halt', requestedBy: 'dashboard', now: s.clock.now });
    s.clock.now += HOUR;
    await assert.rejects(() => trader.tick(), HaltError);
    assert.equal(s.book.orders.length, 2, 'no order after the halt');
    assert.deepEqual(
      s.repo.orders(run.id).map((o) => o.status),
      ['filled', 'filled'],
      'the order sent before the halt is recorded',
    );
    assertBooksAgree(s, run.id);
  } finally {
    await s.cleanup();
  }
});

test(`live: with a fifth of exchange requests failing, some after the exchange acted (an order taken, its reply \
lost), every order is placed once and recorded once`, async () => {
  const s = await liveSetup(CAPS, { policies: flip() });
  // `lost` three times in the draw: most of these faults come after the exchange acted
  const kinds = ['429', '500', '503', 'malformed', 'reset', 'lost', 'lost', 'lost'] as const;
  const proxy = await startFaultProxy(s.fake.url, 0.2, 5, 1200, [...kinds]);
  try {
    const url = proxy.url;
    const config = loadConfig({
      overrides: {
        exchange: { ccxt: { urls: { api: { public: url, private: url } } }, timeoutMs: 600 },
        log: { file: '' },
      },
    });
    const faulty = s.make(undefined, createExchange(config));
    let failed = 0;
    for (let k = 0; k < 55; k++, s.clock.now += HOUR) await faulty.tick().catch(() => failed++);
    // one clean tick settles whatever the last faulty one left unknown
    await s.make().tick();
    const lostOrders = proxy.hits.filter((h) => h.kind === 'lost' && h.method === 'POST').length;
    const lostLookups = proxy.hits.filter((h) => h.kind !== 'lost' && h.url.startsWith('/v1/order')).length;
    assert.ok(
      lostOrders >= 1 && lostLookups >= 1 && s.book.orders.length >= 6,
      `orders ${s.book.orders.length}; faults ${JSON.stringify(proxy.injected)}, on orders taken ${lostOrders}, ` +
        `on order look-ups ${lostLookups}; failed ticks ${failed}`,
    );
    const run = s.repo.list()[0];
    const ids = s.book.orders.map((o) => o.identifier);
    assert.equal(new Set(ids).size, ids.length, 'no decision placed twice');
    assert.deepEqual(
      s.repo.orders(run.id).filter((o) => o.status === 'submitting' || o.status === 'cancelled'),
      [],
      'nothing left unknown, nothing the exchange took written off',
    );
    assert.equal(s.repo.trades(run.id).length, s.book.orders.length, 'every exchange order recorded once');
    assertBooksAgree(s, run.id);
  } finally {
    await proxy.close();
    await s.cleanup();
  }
});

test(`live: with the bot's clock 30 s ahead of the exchange's, a candle the exchange still has open is neither \
stored as closed nor traded on`, async () => {
  const s = await liveSetup(CAPS, { policies: alwaysBuy() });
  try {
    const skew = 30_000;
    s.fake.state.now = () => s.clock.now - skew;
    const trader = s.make();
    await trader.tick(); // 10 s after candle 100 closes by the bot's clock: 20 s before, by the exchange's
    const ts = s.candles.ts[100];
    const stored = s.store.load('upbit', 'BTC/KRW', '1h', ts, ts + 1);
    if (stored.ts.length > 0)
      assert.deepEqual(
        [stored.close[0], stored.volume[0]],
        [s.candles.close[100], s.candles.volume[100]],
        'a candle stored as closed is the closed candle, not the one the exchange still has open',
      );
    const run = s.repo.list()[0];
    for (const d of s.repo.decisions(run.id)) {
      const i = s.candles.ts.indexOf(d.ts);
      assert.equal(d.price, s.candles.close[i], `the decision at ${d.ts} saw the candle's real close`);
    }
  } finally {
    await s.cleanup();
  }
});

test(`live: market orders left working with part executed are cancelled and recorded as the part executed, in the \
same tick, also when the exchange cancels but the reply to the cancel is lost`, async () => {
  const s = await liveSetup(CAPS, { policies: flip() });
  try {
    const trader = s.make();
    s.book.partialFill = 0.5;
    await trader.tick(); // a buy, half executed
    s.clock.now += HOUR;
    s.book.loseCancelReplies = 1;
    await trader.tick(); // a sell of what was bought, half executed; the cancel's reply is lost
    const run = s.repo.list()[0];
    assert.deepEqual(
      s.book.orders.map((o) => [o.side, o.state]),
      [
        ['bid', 'cancel'],
        ['ask', 'cancel'],
      ],
    );
    assert.deepEqual(
      s.repo.orders(run.id).map((o) => [o.side, o.status, o.quantity]),
      s.book.orders.map((o) => [o.side === 'bid' ? 'buy' : 'sell', 'filled', Number(o.executed_volume)]),
      'each recorded in its own tick as the part the exchange executed',
    );
    assertBooksAgree(s, run.id);
  } finally {
    await s.cleanup();
  }
});

test(`live: a new run starts from the quote currency the exchange has available, not what the user's own open orders \
have locked: its first buy fits the cash there is`, async () => {
  const s = await liveSetup(CAPS, { policies: alwaysBuy(), krw: 2_000_000 });
  try {
    s.book.locked.set('KRW', 18_000_000); // 20,000,000 KRW in all, 18,000,000 of it in the user's limit orders
    const trader = s.make(); // --balance 10,000,000, orders capped at 3,000,000
    await trader.tick();
    const run = s.repo.list()[0];
    assert.equal(run.initialBalance, 2_000_000, 'the run trades what is available');
    assert.deepEqual(
      s.repo.orders(run.id).map((o) => [o.status, o.reason ?? '']),
      [['filled', '']],
    );
    assertBooksAgree(s, run.id);
  } finally {
    await s.cleanup();
  }
});
