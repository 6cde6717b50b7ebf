import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { createExchange } from '../../src/data/exchange.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { loadConfig } from '../../src/config/load.ts';
import { exchangeFeed } from '../../src/trading/feed.ts';
import { HaltError } from '../../src/trading/halt.ts';
import { clientOrderId, LiveTrader, type LiveCaps } from '../../src/trading/live.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { addOrderEndpoints } from '../fake-exchange/orders.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { runBot } from './cli.ts';
import { checkLiveAllowed } from '../../src/cli/commands/live.ts';
import { momentumSource, quietLogger, tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const COSTS = { feeRate: 0.0005, sellTax: 0, slippageBps: 0, minOrderValue: 5000, quantityPrecision: 8 };

async function liveSetup(caps: LiveCaps) {
  const tmp = tempDir('bot-live-');
  const candles = syntheticCandles({ seed: 41, count: 160, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000, symbol: 'KRW-BTC' });
  const clock = { now: candles.ts[100] + HOUR + 10_000 };
  const fake = await startFakeUpbit({ now: () => clock.now, series: [{ market: 'KRW-BTC', candles }] });
  const book = addOrderEndpoints(fake, { KRW: 20_000_000 });
  process.env.UPBIT_API_KEY = 'test-access-key-123';
  process.env.UPBIT_API_SECRET = 'test-secret-key-456';
  const url = fake.url;
  const config = loadConfig({
    overrides: { exchange: { ccxt: { urls: { api: { public: url, private: url } } }, retries: 3, backoffMs: 1, maxBackoffMs: 5 }, data: { database: path.join(tmp.dir, 'bot.db') }, log: { file: '' } },
  });
  const store = CandleStore.open(config.data.database);
  const repo = new RunRepository(store.db);
  const exchange = createExchange(config);
  const retry = { retries: 3, backoffMs: 1, maxBackoffMs: 5 };
  const make = () =>
    new LiveTrader({
      repo,
      store,
      feed: exchangeFeed(exchange, 'BTC/KRW', '1h', retry, () => clock.now),
      market: new PaperMarket(COSTS, { kind: 'all' }),
      policies: momentumSource(),
      key: { mode: 'live', name: 'default', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' },
      balance: 10_000_000,
      historyCandles: 20,
      clock: () => clock.now,
      logger: quietLogger(),
      exchange,
      caps,
      retry,
      sleep: async () => {},
    });
  const cleanup = async () => {
    store.close();
    await fake.close();
    tmp.cleanup();
    delete process.env.UPBIT_API_KEY;
    delete process.env.UPBIT_API_SECRET;
  };
  return { candles, clock, fake, book, store, repo, make, cleanup };
}

test('live: market orders through ccxt fill at the next open, capped, recorded once; a lost reply is found, not repeated', async () => {
  const s = await liveSetup({ maxOrderValue: 3_000_000, maxDailyLoss: 1e12 });
  try {
    const trader = s.make();
    for (let k = 0; k < 45; k++, s.clock.now += HOUR) {
      if (k === 20) s.book.loseRepliesAfterAccept = 3; // the exchange takes the next orders but the replies are lost
      await trader.tick();
    }
    assert.ok(s.book.loseRepliesAfterAccept < 3, 'some replies were lost after the exchange accepted the order');
    const run = s.repo.list()[0];
    const orders = s.book.orders;
    assert.ok(orders.length >= 4, `orders placed: ${orders.length}`);
    assert.equal(new Set(orders.map((o) => o.identifier)).size, orders.length, 'no order placed twice');
    const trades = s.repo.trades(run.id);
    assert.equal(trades.length, orders.length, 'every exchange order is recorded as a fill');
    for (const o of orders) {
      const ts = Number(o.identifier?.split('-')[1]);
      const i = s.candles.ts.indexOf(ts);
      assert.equal(Number(o.trades[0].price), s.candles.open[i + 1], 'filled at the open of the candle after the decision');
      if (o.side === 'bid') assert.ok(Number(o.price) <= 3_000_000, 'buy capped at maxOrderValue');
      assert.equal(o.identifier, clientOrderId(run.id, ts));
    }
    assert.ok(Math.abs(run.account.units - (s.book.balances.get('BTC') ?? 0)) < 1e-9, 'units match the exchange');
    const spent = 20_000_000 - (s.book.balances.get('KRW') ?? 0);
    assert.ok(Math.abs(run.initialBalance - run.account.cash - spent) < 1e-3, 'cash moves match the exchange');
    assert.equal(s.repo.decisionCount(run.id), 45);
  } finally {
    await s.cleanup();
  }
});

test('live: restart reconciles an order left submitting, leaves foreign orders alone; the kill switch halts and stays halted', async () => {
  const s = await liveSetup({ maxOrderValue: 1e9, maxDailyLoss: 1e12 });
  try {
    const first = s.make();
    await first.tick();
    const run = s.repo.list()[0];
    // a crash after committing the decision and order, before/after the exchange saw it
    const tsA = s.candles.ts[101] - 1;
    const tsB = s.candles.ts[101] - 2;
    const now = s.clock.now;
    const idA = s.repo.insertOrder(run.id, tsA, 'buy', 1_000_000, 'submitting', now);
    const idB = s.repo.insertOrder(run.id, tsB, 'buy', 1_000_000, 'submitting', now);
    s.book.orders.push({
      uuid: 'u-a', identifier: clientOrderId(run.id, tsA), market: 'KRW-BTC', side: 'bid', ord_type: 'price', state: 'done', created_at: new Date(now).toISOString(), price: '1000000',
      executed_volume: '0.01', paid_fee: '500', trades: [{ market: 'KRW-BTC', uuid: 't-a', price: '100000000', volume: '0.01', funds: '1000000', side: 'bid', created_at: new Date(now).toISOString() }],
    });
    s.book.orders.push({ uuid: 'u-foreign', market: 'KRW-BTC', side: 'bid', ord_type: 'price', state: 'wait', created_at: new Date(now).toISOString(), price: '10000', executed_volume: '0', paid_fee: '0', trades: [] });
    const restarted = s.make();
    const notes = await (async () => {
      restarted['run'] = s.repo.list()[0];
      return restarted.reconcile();
    })();
    assert.ok(notes.some((n) => n.includes('was not placed by this bot')), notes.join('\n'));
    const orders = s.repo.orders(run.id);
    assert.equal(orders.find((o) => o.id === idA)?.status, 'filled');
    assert.equal(orders.find((o) => o.id === idB)?.status, 'cancelled');
    assert.equal(s.book.orders.find((o) => o.uuid === 'u-foreign')?.state, 'wait', 'a foreign order is not touched');
    assert.ok(Math.abs(s.repo.list()[0].account.units - 0.01) < 1e-12);

    // kill switch: any loss over 1 KRW in a day stops trading, and a restart stays stopped
    const strict = s.make();
    strict['live'].caps.maxDailyLoss = 1;
    let halted: unknown;
    for (let k = 0; k < 30 && !halted; k++) {
      s.clock.now += HOUR;
      await strict.tick().catch((e: unknown) => (halted = e));
    }
    assert.ok(halted instanceof HaltError, `halted: ${String(halted)}`);
    assert.match((halted as Error).message, /daily loss .* exceeds trading.live.maxDailyLoss 1/);
    assert.match(s.repo.list()[0].halted ?? '', /maxDailyLoss/);
    s.clock.now += HOUR;
    await assert.rejects(() => s.make().tick(), HaltError);
  } finally {
    await s.cleanup();
  }
});

test('bot live refuses to start without API keys, and without --confirm-live', async () => {
  assert.throws(() => checkLiveAllowed('upbit', true, {}), /needs API keys in the environment: set UPBIT_API_KEY and UPBIT_API_SECRET/);
  assert.throws(() => checkLiveAllowed('upbit', false, { UPBIT_API_KEY: 'k-123456789', UPBIT_API_SECRET: 's-123456789' }), /add --confirm-live/);
  assert.doesNotThrow(() => checkLiveAllowed('upbit', true, { BOT_API_KEY: 'k-123456789', BOT_API_SECRET: 's-123456789' }));
  const tmp = tempDir();
  try {
    const env = { UPBIT_API_KEY: '', UPBIT_API_SECRET: '', BOT_API_KEY: '', BOT_API_SECRET: '' };
    const noKeys = await runBot(['live', '--strategy', 'sma-cross', '--confirm-live', '--db', path.join(tmp.dir, 'x.db'), '--log-level', 'error'], env);
    assert.equal(noKeys.code, 1);
    assert.match(noKeys.stderr, /^error: live trading needs API keys in the environment/m);
  } finally {
    tmp.cleanup();
  }
});
