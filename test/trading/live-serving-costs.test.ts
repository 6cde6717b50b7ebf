/**
 * A live run whose policy serves at other costs than the process started with (a model run fallen back on an earlier
 * version: PolicyHandle.costs, its own recipe's, as src/trading/model-policy-source.ts gives them) sizes its orders by
 * those costs: the fee a buy of all the cash leaves room for, and the minimum order. The fake Upbit through real ccxt,
 * real SQLite.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Policy } from '../../src/core/policy.ts';
import type { Costs } from '../../src/market/costs.ts';
import { ObservationBuilder } from '../../src/market/observation.ts';
import type { PolicySource } from '../../src/trading/types.ts';
import { HOUR, liveSetup } from './live-setup.ts';

/** A policy that buys at every candle, served as version `old` at `costs` (not the market's: the setup's Upbit's). */
function fallenBackOn(costs: { current: Costs }): PolicySource {
  const policy: Policy = { name: 'always-buy', decide: () => ({ action: 'buy', confidence: 1 }) };
  return {
    label: 'model:home',
    forCandles(candles) {
      const builder = new ObservationBuilder({ candles, window: 0 });
      const observe = builder.build.bind(builder);
      return { policy, version: 'old', label: 'model:home', warmup: 0, observe, costs: costs.current };
    },
  };
}

const OLD: Costs = { feeRate: 0.01, sellTax: 0, slippageBps: 0, minOrderValue: 5000, quantityPrecision: 8 };

test(`live: a buy decided by a version serving at its own costs is sized by them (the room its fee leaves, its \
minimum order), not by the costs the process started with`, async () => {
  const costs = { current: OLD };
  const s = await liveSetup({ maxOrderValue: 1e12, maxDailyLoss: 1e12 }, { policies: fallenBackOn(costs) });
  try {
    const trader = s.make();
    await trader.tick();
    const run = s.repo.list()[0];
    const [first] = s.repo.orders(run.id);
    assert.equal(first.status, 'filled');
    // all of the run's 10,000,000 KRW less room for a 1% fee (the market's 0.05% left 9,995,002)
    const spent = Number(s.book.orders[0].price);
    assert.ok(Math.abs(spent - 10_000_000 / 1.01) < 1, `spent ${spent}`);
    const left = s.repo.get(run.id).account.cash;
    assert.ok(left > 90_000 && left < 100_000, `cash left ${left}`);
    // a version whose minimum order is above what is left holds (the market's 5,000 KRW would have bought)
    costs.current = { ...OLD, minOrderValue: 200_000 };
    s.clock.now += HOUR;
    await trader.tick();
    const second = s.repo.orders(run.id)[1];
    assert.deepEqual([second.status, second.reason], ['skipped', 'below_min_order']);
    assert.equal(s.book.orders.length, 1, 'no second order sent');
  } finally {
    await s.cleanup();
  }
});
