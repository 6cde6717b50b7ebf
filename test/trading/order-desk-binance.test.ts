/**
 * The live broker's order desk (src/trading/order-desk.ts) against Binance's order rules, through ccxt's own Binance
 * client and the fake exchange's Binance order endpoints (test/fake-exchange/binance-orders.ts): a client order id is
 * unique among open orders only, so a market order sent again under the id of one that filled is a second order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OrderDesk } from '../../src/trading/order-desk.ts';
import { addBinanceOrderQueries, binanceClient } from '../fake-exchange/binance-orders.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { quietLogger } from './helpers.ts';

test(`binance: an order taken with its reply lost (-1007, execution status unknown) that the look-up after it does \
not show yet is not sent again; it is found later and settled once`, async () => {
  const fake = await startFakeUpbit();
  // the look-up after the lost reply (open orders, then all orders twice: closed and canceled) misses it
  const book = addBinanceOrderQueries(fake, { loseRepliesAfterAccept: 1, lookupLag: 2 });
  try {
    const retry = { retries: 3, backoffMs: 1, maxBackoffMs: 5 };
    const desk = new OrderDesk({ exchange: binanceClient(fake), retry, logger: quietLogger(), sleep: async () => {} });
    const placed = await desk.place('BTC/USDT', 'buy', 500, 'bot1-x-1');
    assert.equal(book.orders.length, 1, 'one order on the exchange');
    assert.ok('unknown' in placed, `the outcome is unknown, not ${JSON.stringify(placed)}`);
    const found = await desk.findOrAbsent('BTC/USDT', 'bot1-x-1');
    assert.ok(found, 'the next tick finds it by its client id');
    const settled = await desk.settle('BTC/USDT', found);
    const fill = 'fill' in settled ? settled.fill : undefined;
    assert.ok(fill && Math.abs(fill.units - 0.00999) < 1e-12, `fill ${JSON.stringify(fill)}`);
  } finally {
    await fake.close();
  }
});
