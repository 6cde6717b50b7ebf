/**
 * A portfolio live run whose policy serves at other costs than the run started with (a model run fallen back on an
 * earlier version: PortfolioPolicyHandle.costs, its own recipe's, as src/trading/portfolio-model-source.ts gives them)
 * sizes its orders by those costs, as one market's does (live-serving-costs.test.ts). The fake Upbit through real
 * ccxt, real SQLite.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPortfolioStrategy } from '../../src/agents/portfolio-strategy.ts';
import type { Costs } from '../../src/market/costs.ts';
import { portfolioRuleSource, type PortfolioPolicySource } from '../../src/trading/portfolio-policy-source.ts';
import { setup, SYMBOLS } from './portfolio-live-setup.ts';

/** Equal weights at every candle, served as version `old` at `costs` per market (not the run's: the setup's). */
async function fallenBackOn(costs: readonly Costs[]): Promise<PortfolioPolicySource> {
  const strategy = await loadPortfolioStrategy('equal-weight');
  const rule = portfolioRuleSource(strategy, { symbols: SYMBOLS, seed: 1, every: 1 });
  return {
    ...rule,
    label: 'model:home',
    async forSeries(...args) {
      const handle = await rule.forSeries(...args);
      return handle && { ...handle, version: 'old', label: 'model:home', costs };
    },
  };
}

test(`portfolio live: the orders of a version serving at its own costs are held to its minimum order, not to the \
costs the run started with`, async () => {
  // the run's 5,000 KRW minimum lets each market's half of the 10,000,000 KRW through; the serving version's does not
  const old: Costs = { feeRate: 0.0005, sellTax: 0, slippageBps: 0, minOrderValue: 6_000_000, quantityPrecision: 8 };
  const s = await setup({ maxOrderValue: 1e12, maxDailyLoss: 1e12 }, 1);
  try {
    await s.make(undefined, await fallenBackOn(SYMBOLS.map(() => old))).tick();
    const run = s.repo.list()[0];
    assert.equal(s.repo.decisions(run.id)[0].action, 'rebalance', 'equal weights decided');
    // each market's move is under the serving version's minimum: no order, as on paper at those costs
    assert.deepEqual(s.repo.orders(run.id), [], 'no order planned');
    assert.equal(s.book.orders.length, 0, 'no order sent');
  } finally {
    await s.cleanup();
  }
});
