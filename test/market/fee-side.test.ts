/**
 * The account's fee side (account.feeSide): a buy's fee charged on top in the quote currency (Upbit's `quote`, the
 * default) or taken from the coins bought (Binance spot's `get`), each figure checked by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Account } from '../../src/market/account.ts';
import { checkCosts, costsFromSettings, runCosts, spendFor } from '../../src/market/costs.ts';
import { newOrder, planOrder } from '../../src/market/execution.ts';
import { BUY } from '../../src/market/execution.ts';
import { loadConfig } from '../../src/config/load.ts';
import { BINANCE_SPOT } from '../helpers/binance-costs.ts';

const BINANCE = BINANCE_SPOT;

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a}, expected ${b}`);

test(`fee side get: a buy of all 10,000 USDT at 50,000 spends it all on 0.2 BTC, of which 0.0002 (10 USDT) are the \
fee: the account holds 0.1998 BTC and no cash; a sell of it at 51,000 gets 10,189.8 less 10.1898 in USDT`, () => {
  const a = new Account(10_000, BINANCE);
  assert.ok(a.buy(50_000, 10_000), 'the buy fills');
  const b = { ...a.lastFill };
  close(b.units, 0.1998, 'units received');
  close(b.price, 50_000, 'price');
  close(b.gross, 9990, 'value of the units received (0.1998 × 50,000)');
  close(b.fee, 10, "fee (0.0002 BTC at 50,000): the order's cost 10,000 less the value received");
  close(a.units, 0.1998, 'units held');
  close(a.cash, 0, 'cash: the whole 10,000 was the cost, no fee on top');
  close(a.feesPaid, 10, 'fees paid');
  close(a.avgBuyPrice, 50_000, 'average buy price');
  close(a.avgCost, 10_000 / 0.1998, 'average cost, the fee in: 10,000 / 0.1998');
  close(a.value(50_000), 10_000 - 10, 'value lost the fee only');

  assert.ok(a.sell(51_000, a.units), 'the sell fills');
  const s = { ...a.lastFill };
  close(s.units, 0.1998, 'units sold');
  close(s.gross, 10_189.8, 'proceeds (0.1998 × 51,000)');
  close(s.fee, 10.1898, 'the fee out of the USDT received (0.1%)');
  close(s.realizedPnl, 10_179.6102 - 10_000, 'realized: net proceeds less the 10,000 the coins cost');
  close(a.cash, 10_179.6102, 'cash');
  assert.equal(a.units, 0);
  close(a.feesPaid, 20.1898, 'fees paid, both sides');
});

test(`fee side get with 10 bps slippage: 10,000 USDT at 50,050 buys 0.1998 BTC for 9,999.99 (0.2 is past the \
cash), the fee 0.0001998 BTC (9.99999 USDT), 0.1996002 BTC held and 0.01 USDT left`, () => {
  const a = new Account(10_000, { ...BINANCE, slippageBps: 10 });
  assert.ok(a.buy(50_000, 10_000));
  close(a.lastFill.price, 50_050, 'price with slippage');
  close(a.units, 0.1996002, 'units held');
  close(a.lastFill.fee, 0.0001998 * 50_050, 'fee');
  close(a.cash, 10_000 - 0.1998 * 50_050, 'cash left');
});

test(`fee side quote (the default, Upbit's) is unchanged: the same buy charges the fee on top, 0.1998 BTC for \
9,990 and 9.99 of fee, 0.01 left`, () => {
  for (const costs of [
    { ...BINANCE, feeSide: undefined },
    { ...BINANCE, feeSide: 'quote' as const },
  ]) {
    const a = new Account(10_000, costs);
    assert.ok(a.buy(50_000, 10_000));
    close(a.units, 0.1998, 'units held');
    close(a.lastFill.gross, 9990, 'value');
    close(a.lastFill.fee, 9.99, 'fee on top');
    close(a.cash, 0.01, 'cash left');
  }
});

test('fee side get: the minimum order is the cost sent, and a target buy grosses up for the fee the coins pay', () => {
  const a = new Account(10_000, { ...BINANCE, minOrderValue: 10_000 });
  assert.ok(a.buy(50_000, 10_000), 'a cost of exactly the minimum fills, though the coins received are worth less');
  close(spendFor(999, BINANCE), 1000, 'holding 999 of coin takes 1,000 when 0.1% of the coins is the fee');
  close(spendFor(1000, { ...BINANCE, feeSide: 'quote' }), 1001, 'and 1,001 with the fee on top');
  const b = new Account(10_000, BINANCE);
  const order = planOrder(b, { kind: 'target' }, BUY, 1, 0.5, 50_000, newOrder());
  close(order.spend, 5000 / 0.999, 'spend for half the value');
});

test('account.feeSide reaches the costs over a preset, a recipe preset and the default; a bad side is one line', () => {
  const config = loadConfig({ overrides: { account: { feeSide: 'get' } } });
  assert.equal(costsFromSettings(config.account).feeSide, 'get');
  assert.equal(costsFromSettings({ ...config.account, preset: 'zero' }).feeSide, 'get');
  assert.equal(runCosts('upbit-krw', config.account).costs.feeSide, 'get');
  const plain = loadConfig({});
  assert.equal(costsFromSettings(plain.account).feeSide, undefined, 'absent by default: quote');
  assert.throws(
    () => loadConfig({ overrides: { account: { feeSide: 'base' } } }),
    /account\.feeSide/,
    'the config names the field',
  );
  assert.throws(() => checkCosts({ ...BINANCE, feeSide: 'give' as never }), /feeSide "give" must be one of quote, get/);
});
