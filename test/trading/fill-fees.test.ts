/**
 * Fees in the currency an exchange charges them in (src/trading/exchange-orders.ts `fillFromOrder`): Binance's replies
 * parsed by ccxt's own Binance parser (no network), booked into a live account whose cash and units must then match
 * what the exchange's balances did. A fee in the coin bought is fewer coins; a fee in a third currency (BNB) touches
 * neither side and is named for the log (the live broker's warning line, checked as OrderDesk writes it); a
 * quote-currency fee is the fill's fee. An order read back by its client id (Binance's order query, served by
 * test/fake-exchange/binance-orders.ts to ccxt's Binance client) is valued, with its fee, from its trades.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fillFromOrder } from '../../src/trading/exchange-orders.ts';
import { applyFill } from '../../src/trading/live-orders.ts';
import { OrderDesk } from '../../src/trading/order-desk.ts';
import type { AccountState } from '../../src/market/account.ts';
import { quietLogger } from './helpers.ts';
import { capturingLogger } from '../helpers/log.ts';
import {
  addBinanceOrderQueries,
  binanceClient,
  type BinanceOrder,
  type BinanceTrade,
} from '../fake-exchange/binance-orders.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';

/** ccxt's Binance client, for its parser. */
const BINANCE = binanceClient();

/** A filled MARKET order as Binance's `POST /api/v3/order` (newOrderRespType FULL) returns it, two fills at 50,000. */
function binanceReply(side: 'BUY' | 'SELL', commission: [string, string][]) {
  return {
    symbol: 'BTCUSDT',
    orderId: 28,
    orderListId: -1,
    clientOrderId: 'bot1-x-1',
    transactTime: 1_700_000_000_000,
    price: '0.00000000',
    origQty: '0.01000000',
    executedQty: '0.01000000',
    cummulativeQuoteQty: '500.00000000',
    status: 'FILLED',
    timeInForce: 'GTC',
    type: 'MARKET',
    side,
    fills: commission.map(([fee, asset], i) => ({
      price: '50000.00',
      qty: i === 0 ? '0.00600000' : '0.00400000',
      commission: fee,
      commissionAsset: asset,
      tradeId: 56 + i,
    })),
  };
}

/** What fillFromOrder reads from Binance's reply, as ccxt's Binance client parses it. */
function binanceFill(side: 'BUY' | 'SELL', commission: [string, string][]) {
  return fillFromOrder(BINANCE.parseOrder(binanceReply(side, commission)));
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b));

/** An account with `cash` and `units`, nothing else. */
function account(cash: number, units: number): AccountState {
  return {
    initialBalance: 1_000,
    cash,
    units,
    avgBuyPrice: units > 0 ? 50_000 : 0,
    avgCost: units > 0 ? 50_000 : 0,
    feesPaid: 0,
    taxPaid: 0,
    buys: 0,
    sells: 0,
    rejected: { below_min_order: 0, no_cash: 0, no_position: 0, below_precision: 0 },
  };
}

test('a buy whose fee Binance takes in the coin bought: fewer coins, the cash spent is the order value', () => {
  const { fill, unbooked } = binanceFill('BUY', [
    ['0.00000600', 'BTC'],
    ['0.00000400', 'BTC'],
  ]);
  assert.ok(fill);
  assert.equal(unbooked, undefined);
  assert.ok(close(fill.units, 0.00999), `units ${fill.units}`);
  assert.ok(close(fill.price, 50_000), `price ${fill.price}`);
  assert.ok(close(fill.fee, 0.5), `the fee at the fill's price, ${fill.fee}`);
  // the exchange: USDT −500, BTC +0.00999; the account must say the same
  const after = applyFill(account(1_000, 0), fill);
  assert.ok(close(after.cash, 500), `cash ${after.cash}`);
  assert.ok(close(after.units, 0.00999), `units ${after.units}`);
  assert.ok(close(after.feesPaid, 0.5));
});

test('a sell whose fee is in the quote currency is booked as before: the fee comes out of the proceeds', () => {
  const { fill } = binanceFill('SELL', [
    ['0.30000000', 'USDT'],
    ['0.20000000', 'USDT'],
  ]);
  assert.ok(fill);
  assert.ok(close(fill.units, 0.01) && close(fill.value, 500) && close(fill.fee, 0.5), JSON.stringify(fill));
  const after = applyFill(account(0, 0.01), fill);
  assert.ok(close(after.cash, 499.5) && after.units === 0, JSON.stringify(after));
});

test('a sell whose fee is taken in the coin sold: more coins leave the account; the proceeds are the value', () => {
  const { fill } = binanceFill('SELL', [
    ['0.00000600', 'BTC'],
    ['0.00000400', 'BTC'],
  ]);
  assert.ok(fill);
  const after = applyFill(account(0, 0.02), fill);
  assert.ok(close(after.cash, 500), `cash ${after.cash}`);
  assert.ok(close(after.units, 0.02 - 0.01001), `units ${after.units}`);
});

test("a fee in a third currency (BNB) touches neither the run's cash nor its units, and is named for the log", () => {
  const { fill, unbooked } = binanceFill('BUY', [
    ['0.00020000', 'BNB'],
    ['0.00010000', 'BNB'],
  ]);
  assert.ok(fill);
  assert.deepEqual([fill.units, fill.value, fill.fee], [0.01, 500, 0]);
  assert.match(unbooked ?? '', /^0\.0003 BNB$/);
});

test(`the live broker settling a Binance order whose fee is in BNB logs one warning naming the fee and the value the \
daily-loss cap counts (no BNB market on this client: account.feeRate of the order), and records the fill without \
it`, async () => {
  const lines: string[] = [];
  const retry = { retries: 0, backoffMs: 1, maxBackoffMs: 1 };
  const desk = new OrderDesk({ exchange: BINANCE, retry, logger: capturingLogger(lines), sleep: async () => {} });
  const placed = BINANCE.parseOrder(
    binanceReply('BUY', [
      ['0.00020000', 'BNB'],
      ['0.00010000', 'BNB'],
    ]),
  );
  // a filled order: settling reads it as it is, without asking the exchange
  const settled = await desk.settle('BTC/USDT', placed, 0.001);
  assert.ok(!('unsettled' in settled), 'a filled order is settled');
  const { fill, exchangeId, offBookFee } = settled;
  assert.equal(exchangeId, '28');
  assert.deepEqual([fill?.units, fill?.value, fill?.fee, offBookFee], [0.01, 500, 0, 0.5]);
  assert.deepEqual(
    lines.map((l) => JSON.parse(l) as { level: string; message: string }).map((l) => `${l.level} ${l.message}`),
    [
      'warn order 28: a fee of 0.0003 BNB is in neither currency of BTC/USDT and cannot be valued ' +
        '(Error: no BNB/USDT market): counted as 0.5 USDT (account.feeRate of the order) against ' +
        "trading.live.maxDailyLoss, not in the run's cash",
    ],
  );
});

test(`a Binance order read back by its client id (its reply lost, a restart) is settled from its trades: the value, \
and the fee in the coin bought, absent from the order query; trades listed in part are not booked`, async () => {
  const fake = await startFakeUpbit();
  const t0 = 1_700_000_000_000;
  const order: BinanceOrder = {
    symbol: 'BTCUSDT',
    orderId: 28,
    clientOrderId: 'bot1-x-1',
    price: '0.00000000',
    origQty: '0.01000000',
    executedQty: '0.01000000',
    cummulativeQuoteQty: '500.00000000',
    status: 'FILLED',
    type: 'MARKET',
    side: 'BUY',
    time: t0,
    updateTime: t0,
  };
  const trade = (id: number, qty: string, commission: string): BinanceTrade => ({
    symbol: 'BTCUSDT',
    id,
    orderId: 28,
    price: '50000.00',
    qty,
    quoteQty: String(Number(qty) * 50_000),
    commission,
    commissionAsset: 'BTC',
    time: t0,
    isBuyer: true,
    isMaker: false,
  });
  const book = addBinanceOrderQueries(fake, { orders: [order], trades: [trade(56, '0.00600000', '0.00000600')] });
  try {
    const retry = { retries: 0, backoffMs: 1, maxBackoffMs: 1 };
    const desk = new OrderDesk({ exchange: binanceClient(fake), retry, logger: quietLogger(), sleep: async () => {} });
    const found = await desk.findOrAbsent('BTC/USDT', 'bot1-x-1');
    assert.ok(found, 'found in the order lists by its client id');
    // one trade of two listed yet: half the fill valued as all of it would be a wrong price
    await assert.rejects(() => desk.settle('BTC/USDT', found), /a volume executed but no value/);
    book.trades.push(trade(57, '0.00400000', '0.00000400'));
    const settled = await desk.settle('BTC/USDT', found);
    assert.ok(!('unsettled' in settled) && settled.fill);
    const { fill } = settled;
    // the exchange: USDT −500, BTC +0.00999
    assert.ok(close(fill.units, 0.00999), `units ${fill.units}`);
    assert.ok(close(fill.value + fill.fee, 500), `value ${fill.value} + fee ${fill.fee}`);
    assert.ok(close(fill.price, 50_000), `price ${fill.price}`);
    const after = applyFill(account(1_000, 0), fill);
    assert.ok(close(after.cash, 500) && close(after.units, 0.00999), JSON.stringify(after));
  } finally {
    await fake.close();
  }
});
