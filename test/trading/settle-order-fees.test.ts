/**
 * `bot live --settle-order ID --exchange-order-id X` of an order whose fee was taken in a third currency (Binance's
 * BNB discount): ccxt's Binance client against the fake exchange's Binance endpoints, a real SQLite run. The fee is
 * valued at BNB/USDT's price when the exchange has one, else at the config's account.feeRate of the order's value,
 * and the printed line says which.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { CandleStore } from '../../src/data/store.ts';
import { OrderDesk } from '../../src/trading/order-desk.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { settleOrder } from '../../src/trading/settle-order.ts';
import { addBinanceOrderQueries, binanceClient } from '../fake-exchange/binance-orders.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { tempDir, quietLogger } from './helpers.ts';

const KEY = { mode: 'live' as const, name: 'default', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const COSTS = { feeRate: 0.001, sellTax: 0, slippageBps: 0, minOrderValue: 5, quantityPrecision: 5 };
const NOW = Date.UTC(2024, 0, 5);

/**
 * A live run whose buy of 500 USDT the exchange took (paying its fee of 0.01 BNB) while the run recorded nothing of
 * it (its row left `submitting`, as after a crash), settled by hand with the exchange's id for it: the printed line.
 */
async function settledLine(bnbPrice: number | undefined): Promise<{ line: string; offBook: number }> {
  const tmp = tempDir('bot-settle-fees-');
  const fake = await startFakeUpbit({ now: () => NOW });
  addBinanceOrderQueries(fake, {
    price: 50_000,
    balances: new Map([
      ['USDT', 10_000],
      ['BNB', 1],
    ]),
    bnbFee: 0.01,
    bnbPrice,
  });
  const database = path.join(tmp.dir, 'bot.db');
  const config = loadConfig({ overrides: { data: { database }, log: { file: '' } } });
  const store = CandleStore.open(database);
  try {
    const repo = new RunRepository(store.db);
    const account = new PaperMarket(COSTS, { kind: 'all' }).open(10_000);
    const run = repo.create(KEY, {
      policy: 'strategy:buy',
      historyFrom: NOW,
      startTs: NOW,
      initialBalance: 10_000,
      account,
      now: NOW,
    });
    const clientId = 'bot1-settle-fees';
    repo.insertOrder(run.id, NOW, 'buy', 500, 'submitting', NOW, undefined, clientId);
    const retry = { retries: 1, backoffMs: 1, maxBackoffMs: 1 };
    const placed = await new OrderDesk({ exchange: binanceClient(fake), retry, logger: quietLogger() }).place(
      'BTC/USDT',
      'buy',
      500,
      clientId,
    );
    assert.ok('order' in placed, JSON.stringify(placed));
    store.close();
    const by = { exchangeOrderId: String(placed.order.id) };
    const line = await settleOrder(config, KEY, clientId, by, quietLogger(), { exchange: binanceClient(fake) });
    const reopened = CandleStore.open(database);
    try {
      const after = new RunRepository(reopened.db).get(run.id).account;
      return { line, offBook: after.offBookFees ?? 0 };
    } finally {
      reopened.close();
    }
  } finally {
    if (store.db.open) store.close();
    await fake.close();
    tmp.cleanup();
  }
}

test(`bot live --settle-order: a fee in a third currency is valued at its market's price when the exchange has one, \
else at the config's account.feeRate of the order's value, and the printed line says which`, async () => {
  const priced = await settledLine(600);
  assert.match(
    priced.line,
    /recorded as filled; a fee of 0\.01 BNB valued at 6 USDT by its market's price \(BNB\/USDT at 600\)$/,
  );
  assert.ok(Math.abs(priced.offBook - 6) < 1e-9, `${priced.offBook}`);
  const unpriced = await settledLine(undefined);
  // config/default.json's account.feeRate (Upbit's 0.05%) of the 500 USDT bought
  assert.match(
    unpriced.line,
    new RegExp(
      "recorded as filled; a fee of 0\\.01 BNB valued at 0\\.25 USDT, account\\.feeRate 0\\.0005 of the order's " +
        'value: no price for it \\(.+\\)$',
    ),
  );
  assert.ok(Math.abs(unpriced.offBook - 0.25) < 1e-9, `${unpriced.offBook}`);
});
