/**
 * How a portfolio retrain names the costs it judged at (src/trading/retrain-costs.ts): each market's source in the
 * order its runs take them (`--market-costs`, then `account.markets`, then the recipe's or the account's), one name
 * when they all agree.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { portfolioCostsName } from '../../src/trading/retrain-costs.ts';

const SYMBOLS = ['BTC/KRW', 'ETH/KRW', 'XRP/KRW'];

test("a portfolio retrain's costs: one name when every market has the account's, else each market's own", () => {
  const plain = loadConfig({ overrides: { account: { preset: 'upbit-krw' } } }).account;
  assert.equal(portfolioCostsName(SYMBOLS, 'config', plain), 'account.preset upbit-krw');
  assert.equal(portfolioCostsName(SYMBOLS, 'zero', plain), 'cost preset zero');
  const all = { 'BTC/KRW': 'zero', 'ETH/KRW': 'zero', 'XRP/KRW': 'zero' };
  assert.equal(portfolioCostsName(SYMBOLS, 'config', plain, all), '--market-costs zero');

  const markets = { 'ETH/KRW': { preset: 'krx-stock' }, 'XRP/KRW': { feeRate: 0.002 }, 'BTC/KRW': { preset: 'zero' } };
  const account = loadConfig({ overrides: { account: { preset: 'custom', markets } } }).account;
  assert.equal(
    portfolioCostsName(SYMBOLS, 'config', account, { 'BTC/KRW': 'upbit-krw' }),
    'BTC/KRW --market-costs upbit-krw · ETH/KRW account.markets preset krx-stock · XRP/KRW account.markets entry',
    'the flag over the file, a preset, explicit fields',
  );
});
