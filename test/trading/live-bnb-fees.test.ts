/**
 * The daily-loss cap of a live run on Binance whose fees are paid in BNB (ccxt's Binance client against the fake
 * exchange's Binance endpoints, test/fake-exchange/binance-orders.ts; real SQLite): the fees leave neither the run's
 * cash nor its units, yet the kill switch counts them, valued at BNB/USDT's ticker, or at account.feeRate of the order
 * when the exchange has no price for BNB.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { HaltError } from '../../src/trading/halt.ts';
import { LiveTrader } from '../../src/trading/live.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { addBinanceOrderQueries, binanceClient } from '../fake-exchange/binance-orders.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { capturingLogger } from '../helpers/log.ts';
import { seriesFeed, tempDir } from './helpers.ts';
import { alwaysBuy, HOUR, liveTraderBasics } from './live-setup.ts';

const PRICE = 50_000;
const COSTS = { feeRate: 0.001, sellTax: 0, slippageBps: 0, minOrderValue: 5, quantityPrecision: 5 };

/**
 * Buys 500 USDT of BTC at every hourly candle of a flat market (so only fees move the run's value) until the kill
 * switch stops it; the number of orders placed by then, and what was logged.
 */
async function buyUntilHalted(bnbPrice: number | undefined, maxDailyLoss: number) {
  const tmp = tempDir('bot-live-bnb-');
  const candles = syntheticCandles({ seed: 5, count: 120, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1 });
  for (const a of [candles.open, candles.high, candles.low, candles.close]) a.fill(PRICE);
  const clock = { now: candles.ts[100] + HOUR + 10_000 };
  const fake = await startFakeUpbit({ now: () => clock.now });
  const book = addBinanceOrderQueries(fake, {
    price: PRICE,
    balances: new Map([
      ['USDT', 10_000],
      ['BNB', 1],
    ]),
    bnbFee: 0.01,
    bnbPrice,
  });
  const store = CandleStore.open(path.join(tmp.dir, 'bot.db'));
  const lines: string[] = [];
  try {
    const retry = { retries: 1, backoffMs: 1, maxBackoffMs: 1 };
    const trader = new LiveTrader({
      repo: new RunRepository(store.db),
      store,
      feed: seriesFeed(candles, HOUR),
      market: new PaperMarket(COSTS, { kind: 'all' }),
      policies: alwaysBuy(),
      key: { mode: 'live', name: 'default', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
      balance: 10_000,
      historyCandles: 20,
      ...liveTraderBasics(clock, binanceClient(fake), { maxOrderValue: 500, maxDailyLoss }, retry),
      logger: capturingLogger(lines),
    });
    let halted: HaltError | undefined;
    for (let k = 0; k < 8 && !halted; k++) {
      try {
        await trader.tick();
      } catch (e) {
        if (!(e instanceof HaltError)) throw e;
        halted = e;
      }
      clock.now += HOUR;
    }
    const logged = lines.map((l) => (JSON.parse(l) as { message: string }).message);
    return { halted, orders: book.orders.length, bnbLeft: book.balances.get('BNB'), logged };
  } finally {
    store.close();
    await fake.close();
    tmp.cleanup();
  }
}

test(`live on Binance: fees paid in BNB are valued at BNB/USDT and counted by the daily-loss cap, which stops the run \
once they pass it`, async () => {
  // 0.01 BNB at 600 USDT = 6 USDT a buy; the cap of 20 is passed after the fourth
  const r = await buyUntilHalted(600, 20);
  assert.ok(r.halted, `the kill switch never fired; ${r.orders} orders paid ${1 - (r.bnbLeft ?? 0)} BNB in fees`);
  assert.match(r.halted.message, /daily loss 24 exceeds trading\.live\.maxDailyLoss 20/);
  assert.equal(r.orders, 4);
  assert.ok(
    r.logged.some((m) => /a fee of 0\.01 BNB .*counted as 6 USDT against trading\.live\.maxDailyLoss/.test(m)),
    r.logged.join('\n'),
  );
});

test(`live on Binance: a BNB fee the exchange has no price for is counted at account.feeRate of the order, and the \
log says so`, async () => {
  // 500 USDT × 0.1% = 0.5 USDT a buy; the cap of 1.2 is passed after the third
  const r = await buyUntilHalted(undefined, 1.2);
  assert.ok(r.halted, 'the kill switch never fired');
  assert.equal(r.orders, 3);
  assert.ok(
    r.logged.some((m) => /cannot be valued .*counted as 0\.5 USDT \(account\.feeRate of the order\)/.test(m)),
    r.logged.join('\n'),
  );
});
