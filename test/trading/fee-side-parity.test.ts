/**
 * Paper = live on an exchange that takes a buy's fee from the coins bought (account.feeSide get): the fake Binance
 * (test/fake-exchange/binance-orders.ts: 0.1% of a buy in BTC, of a sell in USDT) through ccxt's own Binance client,
 * real SQLite. A live run and a paper run of the same decisions (buy, sell, buy) in a flat market hold the same
 * coins and cash, fill for fill, and the live books equal the exchange's balances. Paper used to charge the fee on
 * top in USDT while live's buy sent the value less that room: 0.0002 BTC less held and 10 USDT more cash.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { Policy } from '../../src/core/policy.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { BINANCE_SPOT } from '../helpers/binance-costs.ts';
import { ObservationBuilder } from '../../src/market/observation.ts';
import { LiveTrader } from '../../src/trading/live.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { Trader } from '../../src/trading/trader.ts';
import type { PolicySource } from '../../src/trading/types.ts';
import { addBinanceOrderQueries, binanceClient } from '../fake-exchange/binance-orders.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { quietLogger, seriesFeed, tempDir } from './helpers.ts';
import { HOUR, liveTraderBasics } from './live-setup.ts';

const PRICE = 50_000;
const COSTS = BINANCE_SPOT;

/** Buys at the candles of an even hour and sells at the odd: the same decision for a candle in any run. */
function alternating(): PolicySource {
  return {
    label: 'strategy:alternating',
    forCandles(candles) {
      const builder = new ObservationBuilder({ candles, window: 0 });
      let at = 0;
      const policy: Policy = {
        name: 'alternating',
        decide: () => ({ action: at % 2 === 0 ? 'buy' : 'sell', confidence: 1 }),
      };
      const observe = (t: number, a: Parameters<ObservationBuilder['build']>[1]) => {
        at = Math.floor(candles.ts[t] / HOUR);
        return builder.build(t, a);
      };
      return { policy, label: 'strategy:alternating', warmup: 0, observe };
    },
  };
}

test(`paper = live where the coins pay a buy's fee (account.feeSide get, the fake Binance): after buy, sell, buy of \
10,000 USDT at 50,000 both hold 0.1994004 BTC and 0.01 USDT, fill for fill, live's books the exchange's`, async () => {
  const tmp = tempDir('bot-fee-side-');
  const candles = syntheticCandles({ seed: 7, count: 120, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1 });
  for (const a of [candles.open, candles.high, candles.low, candles.close]) a.fill(PRICE);
  const clock = { now: candles.ts[100] + HOUR + 10_000 };
  const fake = await startFakeUpbit({ now: () => clock.now });
  const book = addBinanceOrderQueries(fake, { price: PRICE, balances: new Map([['USDT', 10_000]]) });
  const store = CandleStore.open(path.join(tmp.dir, 'bot.db'));
  try {
    const repo = new RunRepository(store.db);
    const exchange = binanceClient(fake);
    const retry = { retries: 1, backoffMs: 1, maxBackoffMs: 1 };
    const key = { mode: 'live' as const, name: 'default', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
    const common = {
      repo,
      store,
      feed: seriesFeed(candles, HOUR),
      market: new PaperMarket(COSTS, { kind: 'all' }),
      policies: alternating(),
      balance: 10_000,
      historyCandles: 20,
    };
    const caps = { maxOrderValue: 1e9, maxDailyLoss: 1e9 };
    const live = new LiveTrader({ ...common, key, ...liveTraderBasics(clock, exchange, caps, retry) });
    const paper = new Trader({
      ...common,
      key: { ...key, mode: 'paper' },
      clock: () => clock.now,
      logger: quietLogger(),
    });
    // live acts at each candle's close; paper decides there and fills at the next candle's open: one tick more
    for (let k = 0; k < 4; k++) {
      if (k < 3) await live.tick();
      await paper.tick();
      clock.now += HOUR;
    }
    const runs = repo.list();
    const liveRun = runs.find((r) => r.mode === 'live');
    const paperRun = runs.find((r) => r.mode === 'paper');
    assert.ok(liveRun && paperRun, 'a live and a paper run');
    const fills = (id: number) =>
      repo.trades(id).map((f) => ({ side: f.side, units: f.units, value: f.value, fee: f.fee }));
    const liveFills = fills(liveRun.id);
    const paperFills = fills(paperRun.id);
    assert.deepEqual(
      liveFills.map((f) => f.side),
      ['buy', 'sell', 'buy'],
      'live filled buy, sell, buy',
    );
    assert.equal(paperFills.length, 3, 'paper filled the same three');
    liveFills.forEach((f, i) => {
      const p = paperFills[i];
      assert.equal(p.side, f.side, `fill ${i + 1}'s side`);
      for (const k of ['units', 'value', 'fee'] as const)
        assert.ok(Math.abs(p[k] - f[k]) < 1e-8, `fill ${i + 1} (${f.side}) ${k}: paper ${p[k]}, live ${f[k]}`);
    });
    const l = repo.get(liveRun.id).account;
    const p = repo.get(paperRun.id).account;
    assert.ok(Math.abs(p.units - l.units) < 1e-12, `BTC held: paper ${p.units}, live ${l.units}`);
    assert.ok(Math.abs(p.cash - l.cash) < 1e-6, `USDT: paper ${p.cash}, live ${l.cash}`);
    assert.ok(Math.abs(p.feesPaid - l.feesPaid) < 1e-6, `fees paid: paper ${p.feesPaid}, live ${l.feesPaid}`);
    assert.ok(Math.abs(l.units - 0.1994004) < 1e-12, `0.2 − 0.0002 sold, then 0.1996 − 0.0001996 bought: ${l.units}`);
    assert.ok(Math.abs(l.cash - 0.01) < 1e-6, `9,980.01 USDT bought 0.1996 BTC for 9,980: ${l.cash}`);
    // the live books are the exchange's balances
    assert.ok(Math.abs((book.balances.get('BTC') ?? 0) - l.units) < 1e-12, `exchange BTC ${book.balances.get('BTC')}`);
    assert.ok(Math.abs((book.balances.get('USDT') ?? 0) - l.cash) < 1e-6, `exchange USDT ${book.balances.get('USDT')}`);
  } finally {
    store.close();
    await fake.close();
    tmp.cleanup();
  }
});
