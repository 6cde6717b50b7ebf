/**
 * Live runs on Binance whose fees are paid in BNB (ccxt's Binance client against the fake exchange's Binance
 * endpoints, test/fake-exchange/binance-orders.ts; real SQLite): the fees leave neither the run's cash nor its units,
 * yet the kill switch counts them, valued at BNB/USDT's ticker, or at account.feeRate of the order when the exchange
 * has no price for BNB; a portfolio that trades BNB/USDT pays them from its BNB book's units, and a run of BNB/USDT
 * alone books them as fewer units bought.
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
const BNB = 600;

/** The markets a run of these tests trades, their flat prices and the BNB the exchange holds at the start. */
interface Markets {
  symbols: string[];
  prices: number[];
  bnb: number;
}
const BTC_ETH: Markets = { symbols: ['BTC/USDT', 'ETH/USDT'], prices: [PRICE, ETH], bnb: 1 };

/** What a trader of these tests is made from: the fake Binance's ccxt client, the database and the test's clock. */
interface Parts {
  store: CandleStore;
  repo: RunRepository;
  clock: { now: number };
  exchange: Exchange;
  caps: LiveCaps;
  logger: Logger;
  symbols: string[];
  /** Flat candles of each market (only fees move a run's value). */
  candles: Candles[];
}

/** A single-market live run buying 500 USDT of its first market (BTC/USDT unless told) at every candle. */
function singleMarket(p: Parts): { tick(): Promise<unknown> } {
  const retry = { retries: 1, backoffMs: 1, maxBackoffMs: 1 };
  return new LiveTrader({
    repo: p.repo,
    store: p.store,
    feed: seriesFeed(p.candles[0], HOUR),
    market: new PaperMarket(COSTS, { kind: 'all' }),
    policies: alwaysBuy(),
    key: { mode: 'live', name: 'default', exchange: 'binance', symbol: p.symbols[0], timeframe: '1h' },
    balance: 10_000,
    historyCandles: 20,
    ...liveTraderBasics(p.clock, p.exchange, p.caps, retry),
    logger: p.logger,
  });
}

/** A portfolio live run (`bot live --symbols` of the test's markets) rebalancing to equal weights at every candle. */
async function portfolio(p: Parts): Promise<{ tick(): Promise<unknown> }> {
  const retry = { retries: 1, backoffMs: 1, maxBackoffMs: 1 };
  const strategy = await loadPortfolioStrategy('equal-weight');
  return portfolioLiveTrader({
    ...p,
    feeds: p.candles.map((c) => seriesFeed(c, HOUR)),
    policies: portfolioRuleSource(strategy, { symbols: p.symbols, seed: 1, every: 1 }),
    costs: COSTS,
    balance: 10_000,
    retry,
  });
}

/**
 * Runs a live trader buying 500 USDT an order in flat markets (so only fees move the run's value) for `ticks` candles
 * or until the kill switch stops it; the number of orders placed by then, what was logged, the run, its last equity
 * and the exchange's balances now and before the last tick.
 */
async function buyUntilHalted(
  bnbPrice: number | undefined,
  maxDailyLoss: number,
  make: (p: Parts) => { tick(): Promise<unknown> } | Promise<{ tick(): Promise<unknown> }> = singleMarket,
  markets: Markets = BTC_ETH,
  ticks = 8,
) {
  const tmp = tempDir('bot-live-bnb-');
  const candles = markets.prices.map((price, i) => {
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
      ['BNB', markets.bnb],
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
    const logger = capturingLogger(lines);
    const trader = await make({ store, repo, clock, exchange, caps, logger, symbols: markets.symbols, candles });
    let halted: HaltError | undefined;
    let before = new Map(book.balances);
    for (let k = 0; k < ticks && !halted; k++) {
      before = new Map(book.balances);
      try {
        await trader.tick();
      } catch (e) {
        if (!(e instanceof HaltError)) throw e;
        halted = e;
      }
      clock.now += HOUR;
    }
    const logged = lines.map((l) => (JSON.parse(l) as { message: string }).message);
    const run = repo.list()[0];
    const [equity] = repo.equity(run.id, 1);
    const { balances } = book;
    return { halted, orders: book.orders.length, bnbLeft: balances.get('BNB'), logged, run, equity, balances, before };
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

test(`live portfolio on Binance with BNB/USDT among its markets: the BNB fees of the other market's fills come out of \
the run's BNB, so nothing is taken out as a withdrawal and the equity is what the exchange holds`, async () => {
  // no BNB held at the start: the first BTC buy pays its fee in BTC, every later one 0.01 BNB of the BNB bought
  const markets = { symbols: ['BTC/USDT', 'BNB/USDT'], prices: [PRICE, BNB], bnb: 0 };
  const r = await buyUntilHalted(BNB, 1_000, portfolio, markets, 4);
  assert.equal(r.halted, undefined);
  assert.equal(r.orders, 8);
  assert.deepEqual(
    r.logged.filter((m) => m.startsWith('withdrawal')),
    [],
    'the BNB the fees took is not a withdrawal',
  );
  const pf = r.run.portfolio;
  assert.ok(pf);
  assert.equal(r.run.account.withdrawn ?? 0, 0);
  assert.equal(pf.account.withdrawn ?? 0, 0);
  const held = (b: Map<string, number>, code: string) => b.get(code) ?? 0;
  const books = pf.account.books;
  const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} vs ${b}`);
  near(books[0].units, held(r.balances, 'BTC'), "the BTC book's units are the exchange's BTC");
  near(books[1].units, held(r.balances, 'BNB'), "the BNB book's units are the exchange's BNB");
  near(pf.account.cash, held(r.balances, 'USDT'), "the run's cash is the exchange's USDT");
  const worth = (b: Map<string, number>) => held(b, 'USDT') + held(b, 'BTC') * PRICE + held(b, 'BNB') * BNB;
  near(r.equity.equity, worth(r.before), "the last equity is the exchange's holdings at the closes");
  // three BTC buys paid 0.01 BNB each (6 USDT): the BTC market's fees, out of the BNB book's units, not off the books
  assert.equal(pf.offBookFees ?? 0, 0);
  near(books[0].feesPaid, 500 * 0.001 + 3 * 6, "the BTC market's fees: the first in BTC, three in BNB");
});

test(`live on Binance trading BNB/USDT alone: a fee in BNB is in the market's base, booked as fewer units bought, so \
the run's units are the exchange's BNB and nothing is off the books`, async () => {
  const markets = { symbols: ['BNB/USDT'], prices: [BNB], bnb: 0 };
  const r = await buyUntilHalted(BNB, 1_000, singleMarket, markets, 4);
  assert.equal(r.halted, undefined);
  assert.equal(r.orders, 4);
  assert.deepEqual(
    r.logged.filter((m) => m.startsWith('withdrawal') || / BNB is in neither currency/.test(m)),
    [],
  );
  assert.ok(Math.abs(r.run.account.units - (r.balances.get('BNB') ?? 0)) < 1e-9);
  assert.equal(r.run.account.offBookFees ?? 0, 0);
  assert.ok(Math.abs(r.run.account.feesPaid - 4 * 0.01 * BNB) < 1e-6, `${r.run.account.feesPaid}`);
});
