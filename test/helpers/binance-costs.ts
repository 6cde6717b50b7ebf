/** Costs shaped like Binance spot's for the fee-side tests: 0.1% taken from the coins a buy gets, 5 USDT minimum. */
import type { Costs } from '../../src/market/costs.ts';

export const BINANCE_SPOT: Costs = {
  feeRate: 0.001,
  sellTax: 0,
  slippageBps: 0,
  minOrderValue: 5,
  quantityPrecision: 5,
  feeSide: 'get',
};
