/** Each market's costs in a portfolio run of a saved model: recipe or account, then account.markets, then the flag. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COST_PRESETS, modelMarketCosts } from '../../src/market/costs.ts';
import type { AccountSection } from '../../src/market/config.ts';

const account: AccountSection = {
  preset: 'custom',
  balance: 1e7,
  ...COST_PRESETS['upbit-krw'],
  feeRate: 0.001,
  markets: { 'ETH/KRW': { feeRate: 0.004 }, 'XRP/KRW': { preset: 'zero', slippageBps: 7 } },
};
const symbols = ['BTC/KRW', 'ETH/KRW', 'XRP/KRW'];

test("a model recipe naming 'config' takes the account's costs, each listed market its own entry", () => {
  const [btc, eth, xrp] = modelMarketCosts(symbols, 'config', account).map((c) => c.costs);
  assert.equal(btc.feeRate, 0.001);
  assert.deepEqual(eth, { ...btc, feeRate: 0.004 }, 'fields without a preset override the run base');
  assert.deepEqual(xrp, { ...COST_PRESETS.zero, slippageBps: 7 });
});

test("a recipe's preset is the base of unlisted markets; --market-costs beats the file", () => {
  const flagged = new Map([['ETH/KRW', { ...COST_PRESETS['krx-stock'] }]]);
  const [btc, eth, xrp] = modelMarketCosts(symbols, 'krx-stock', account, flagged).map((c) => c.costs);
  assert.deepEqual(btc, COST_PRESETS['krx-stock']);
  assert.deepEqual(eth, COST_PRESETS['krx-stock']);
  assert.deepEqual(xrp, { ...COST_PRESETS.zero, slippageBps: 7 });
  assert.throws(() => modelMarketCosts(symbols, 'nope', account), /unknown cost preset "nope"/);
});
