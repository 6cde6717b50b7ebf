/**
 * The daily-loss cap of a live run on Binance whose fees are paid in BNB (ccxt's Binance client against the fake
 * exchange's Binance endpoints, test/fake-exchange/binance-orders.ts; real SQLite): the fees leave neither the run's
 * cash nor its units, yet the kill switch counts them, valued at BNB/USDT's ticker, or at account.feeRate of the order
 * when the exchange has no price for BNB.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { Exchange } from 'ccxt';
import { loadPortfolioStrategy } from '../../src/agents/portfolio-strategy.ts';
import type { Candles } from '../../src/core/candles.ts';
import type { Logger } from '../../src/core/log.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { HaltError } from '../../src/core/errors.ts';
import { LiveTrader } from '../../src/trading/live.ts';
import type { LiveCaps } from '../../src/trading/live-orders.ts';
import { portfolioRuleSource } from '../../src/trading/portfolio-policy-source.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { addBinanceOrderQueries, binanceClient } from '../fake-exchange/binance-orders.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { capturingLogger } from '../helpers/log.ts';
import { seriesFeed, tempDir } from './helpers.ts';
import { alwaysBuy, HOUR, liveTraderBasics, portfolioLiveTrader } from './live-setup.ts';

const PRICE = 50_000;
const COSTS = { feeRate: 0.001, sellTax: 0, slippageBps: 0, minOrderValue: 5, quantityPrecision: 5 };

const ETH = 2_500;
const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];

/** What a trader of these tests is made from: the fake Binance's ccxt client, the database and the test's clock. */
interface Parts {
  store: CandleStore;
  repo: RunRepository;
  clock: { now: number };
  exchange: Exchange;
  caps: LiveCaps;
  logger: Logger;
  /** Flat candles of BTC/USDT and ETH/USDT (only fees move a run's value). */
  candles: Candles[];
}

/** A single-market live run buying 500 USDT of BTC at every candle. */
function singleMarket(p: Parts): { tick(): Promise<unknown> } {
  const retry = { retries: 1, backoffMs: 1, maxBackoffMs: 1 };
  return new LiveTrader({
    repo: p.repo,
    store: p.store,
    feed: seriesFeed(p.candles[0], HOUR),
    market: new PaperMarket(COSTS, { kind: 'all' }),
    policies: alwaysBuy(),
    key: { mode: 'live', name: 'default', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
    balance: 10_000,
    historyCandles: 20,
    ...liveTraderBasics(p.clock, p.exchange, p.caps, retry),
    logger: p.logger,
  });
}

/** A portfolio live run (`bot live --symbols BTC/USDT,ETH/USDT`) rebalancing to equal weights at every candle. */
async function portfolio(p: Parts): Promise<{ tick(): Promise<unknown> }> {
  const retry = { retries: 1, backoffMs: 1, maxBackoffMs: 1 };
  const strategy = await loadPortfolioStrategy('equal-weight');
  return portfolioLiveTrader({
    ...p,
    feeds: p.candles.map((c) => seriesFeed(c, HOUR)),
    policies: portfolioRuleSource(strategy, { symbols: SYMBOLS, seed: 1, every: 1 }),
    symbols: SYMBOLS,
    costs: COSTS,
    balance: 10_000,
    retry,
  });
}

/**
 * Runs a live trader buying 500 USDT an order in flat markets (so only fees move the run's value) until the kill
 * switch stops it; the number of orders placed by then, and what was logged.
 */
async function buyUntilHalted(
  bnbPrice: number | undefined,
  maxDailyLoss: number,
  make: (p: Parts) => { tick(): Promise<unknown> } | Promise<{ tick(): Promise<unknown> }> = singleMarket,
) {
  const tmp = tempDir('bot-live-bnb-');
  const candles = [PRICE, ETH].map((price, i) => {
    const c = syntheticCandles({ seed: 5 + i, count: 120, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1 });
    for (const a of [c.open, c.high, c.low, c.close]) a.fill(price);
    return c;
  });
  const clock = { now: candles[0].ts[100] + HOUR + 10_000 };
  const fake = await startFakeUpbit({ now: () => clock.now });
  const book = addBinanceOrderQueries(fake, {
    price: PRICE,
    ethPrice: ETH,
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
    const caps = { maxOrderValue: 500, maxDailyLoss };
    const exchange = binanceClient(fake);
    const repo = new RunRepository(store.db);
    const trader = await make({ store, repo, clock, exchange, caps, logger: capturingLogger(lines), candles });
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
    return { halted, orders: book.orders.length, bnbLeft: book.balances.get('BNB'), logged, run: repo.list()[0] };
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

test(`live portfolio on Binance: fees paid in BNB are valued at BNB/USDT and counted by the daily-loss cap across \
markets, which stops the run once they pass it`, async () => {
  // two buys a candle time, 0.01 BNB at 600 USDT = 6 USDT each: the loss is 12 at the second time, 24 at the third
  const r = await buyUntilHalted(600, 20, portfolio);
  assert.ok(r.halted, `the kill switch never fired; ${r.orders} orders paid ${1 - (r.bnbLeft ?? 0)} BNB in fees`);
  assert.match(r.halted.message, /daily loss 24 exceeds trading\.live\.maxDailyLoss 20/);
  assert.equal(r.orders, 4);
  const valued = r.logged.filter((m) => /^order \S+: a fee of 0\.01 BNB .*counted as 6 USDT against/.test(m));
  assert.equal(valued.length, 4, `one line per fill:\n${r.logged.join('\n')}`);
  const pf = r.run.portfolio;
  assert.ok(pf);
  assert.equal(pf.offBookFees, 24, "the run keeps the fees' value");
  assert.equal(r.run.account.cash + 2_000, 10_000, "the BNB fees left the run's cash alone");
  assert.ok(Math.abs(r.run.account.feesPaid - 24) < 1e-9, 'booked as fees the run paid');
});
