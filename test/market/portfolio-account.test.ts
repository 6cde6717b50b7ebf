/** The N-asset account: rebalancing by hand, per-market rules and rejections, invariants over long random runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/random.ts';
import { Account } from '../../src/market/account.ts';
import { COST_PRESETS, type Costs } from '../../src/market/costs.ts';
import { PortfolioAccount } from '../../src/market/portfolio-account.ts';

const whole: Costs = { feeRate: 0.001, sellTax: 0, slippageBps: 0, minOrderValue: 0, quantityPrecision: 0 };
const near = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

test('rebalancing by hand: buys from cash, then sells first and buys with what is there', () => {
  const p = new PortfolioAccount(10_000, [
    { symbol: 'A/USD', costs: { ...whole, sellTax: 0.002 } },
    { symbol: 'B/USD', costs: whole },
  ]);
  // A: floor(5000 / 100.1) = 49 units, 4900 + 4.9 fee; B: floor(3000 / 50.05) = 59 units, 2950 + 2.95 fee
  const first = p.rebalance([0.5, 0.3], [100, 50], { band: 0.02 });
  assert.deepEqual([p.units(0), p.units(1)], [49, 59]);
  near(p.cash, 10_000 - 4904.9 - 2952.95);
  assert.deepEqual(first.traded, [4900, 2950]);
  near(first.costs[0], 4.9);
  // at 110 / 40 the value is 2142.15 + 5390 + 2360 = 9892.15; to 30 % / 60 %:
  // A sells floor((5390 − 2967.645) / 110) = 22 units: 2420 − 2.42 fee − 4.84 tax; cash 4554.89
  // B buys floor(3575.29 / 40.04) = 89 units: 3560 + 3.56 fee; cash 991.33
  near(p.value([110, 40]), 9892.15);
  const second = p.rebalance([0.3, 0.6], [110, 40], { band: 0.02 });
  assert.deepEqual([p.units(0), p.units(1)], [27, 148]);
  near(p.cash, 991.33, 1e-8);
  near(second.costs[0], 2.42 + 4.84);
  near(p.taxPaid(0), 4.84);
  near(p.feesPaid(1), 2.95 + 3.56);
  near(p.value([110, 40]), 991.33 + 27 * 110 + 148 * 40, 1e-8);
});

test('all-in switch: the sell funds the buy, which is scaled to the cash there is', () => {
  const p = new PortfolioAccount(1000, [
    { symbol: 'A/USD', costs: whole },
    { symbol: 'B/USD', costs: whole },
  ]);
  p.rebalance([1, 0], [10, 10], { band: 0 }); // floor(1000 / 10.01) = 99 units, cash 1000 − 990.99 = 9.01
  assert.equal(p.units(0), 99);
  near(p.cash, 9.01);
  // sell 99 at 10: +990 − 0.99; cash 998.02; B wants 998.02 of value but only 998.02 of cash (fee inside): 99 units
  p.rebalance([0, 1], [10, 10], { band: 0 });
  assert.equal(p.units(0), 0);
  assert.equal(p.units(1), 99);
  near(p.cash, 998.02 - 990.99);
});

test('when the sells bring less than the buys want, every buy is scaled by the same factor', () => {
  const fine = { ...whole, quantityPrecision: 8 };
  const markets = ['A/USD', 'B/USD', 'C/USD'].map((symbol) => ({ symbol, costs: fine }));
  const p = new PortfolioAccount(1000, markets);
  p.rebalance([1, 0, 0], [10, 10, 10], { band: 0 });
  const value = p.value([10, 10, 10]);
  p.rebalance([0, 0.5, 0.5], [10, 10, 10], { band: 0 }); // the sell's fee leaves less than `value` of cash
  assert.ok(p.units(1) < value / 2 / 10);
  near(p.units(1), p.units(2), 1e-8);
  near(p.cash, 0, 1e-6);
});

test('band, minimum order and markets without a candle are left alone; rejections count per market', () => {
  const p = new PortfolioAccount(10_000, [
    { symbol: 'A/USD', costs: whole },
    { symbol: 'B/USD', costs: { ...whole, minOrderValue: 1000 } },
    { symbol: 'C/USD', costs: whole },
  ]);
  const r = p.rebalance([0.01, 0.05, 0.5], [100, 100, 100], { band: 0.02, canFill: [true, true, false] });
  // A's 100 is under the 2 % band (200); B's 500 is under its 1000 minimum; C has no candle: waits
  assert.deepEqual(r.skipped, [0, 1]);
  assert.deepEqual(r.waiting, [2]);
  assert.deepEqual([p.units(0), p.units(1), p.units(2)], [0, 0, 0]);
  assert.equal(p.cash, 10_000);
  assert.deepEqual(p.skips, [1, 1, 0]);
  assert.equal(p.sell(1, 100, 5), false);
  assert.equal(p.rejected(1).no_position, 1);
  assert.equal(p.rejected(0).no_position, 0);
  assert.throws(() => p.rebalance([0.6, 0.6, 0], [1, 1, 1], { band: 0 }), /sum to 1.2, more than 1 \(no leverage\)/);
  assert.throws(() => p.rebalance([-0.1, 0, 0], [1, 1, 1], { band: 0 }), /≥ 0 \(spot only\)/);
  assert.throws(() => p.rebalance([0.1, 0], [1, 1, 1], { band: 0 }), /2 weights for 3 markets/);
});

test('a one-market portfolio fills exactly as the single-market Account', () => {
  const costs = COST_PRESETS['upbit-krw'];
  const rng = new Rng(7);
  const single = new Account(1_000_000, costs);
  const p = new PortfolioAccount(1_000_000, [{ symbol: 'BTC/KRW', costs }]);
  let price = 50_000;
  for (let k = 0; k < 2000; k++) {
    price *= Math.exp(0.02 * rng.normal());
    const amount = rng.next();
    if (rng.next() < 0.5) assert.equal(p.buy(0, price, amount * p.cash), single.buy(price, amount * single.cash));
    else assert.equal(p.sell(0, price, amount * p.units(0)), single.sell(price, amount * single.units));
    assert.equal(p.cash, single.cash);
    assert.equal(p.units(0), single.units);
  }
  assert.deepEqual(p.rejected(0), single.rejected);
  assert.equal(p.feesPaid(0), single.feesPaid);
});

test('invariants over long seeded random runs: value = cash + Σ units × price; fills cost only their costs', () => {
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed);
    const markets = [
      { symbol: 'A/KRW', costs: COST_PRESETS['upbit-krw'] },
      { symbol: 'B/KRW', costs: { ...COST_PRESETS['krx-stock'], slippageBps: 10 } },
      { symbol: 'C/KRW', costs: { ...COST_PRESETS['upbit-krw'], sellTax: 0.001, quantityPrecision: 3 } },
    ];
    const p = new PortfolioAccount(10_000_000, markets);
    const prices = [50_000, 800, 3_000];
    let charged = 0;
    for (let k = 0; k < 3000; k++) {
      for (let i = 0; i < 3; i++) prices[i] *= Math.exp(0.01 * rng.normal());
      const before = p.value(prices);
      const feesBefore = sumOver(p, (i) => p.feesPaid(i) + p.taxPaid(i));
      const slip = slippageCost(p, prices, rng);
      const after = p.value(prices);
      const costs = sumOver(p, (i) => p.feesPaid(i) + p.taxPaid(i)) - feesBefore;
      charged += costs;
      near(before - after, costs + slip, 1e-6 * before);
      assert.ok(p.cash >= 0, `cash ${p.cash} < 0 at step ${k}`);
      for (let i = 0; i < 3; i++) assert.ok(p.units(i) >= 0);
      let v = p.cash;
      for (let i = 0; i < 3; i++) v += p.units(i) * prices[i];
      assert.equal(p.value(prices), v);
    }
    assert.ok(charged > 0);
    assert.ok(sumOver(p, (i) => p.books[i].buys + p.books[i].sells) > 1000, 'the sequence trades');
  }
});

function sumOver(p: PortfolioAccount, f: (i: number) => number): number {
  let s = 0;
  for (let i = 0; i < p.size; i++) s += f(i);
  return s;
}

/** One random action at `prices`; returns what slippage cost (units × |fill − reference|). */
function slippageCost(p: PortfolioAccount, prices: number[], rng: Rng): number {
  const i = rng.int(p.size);
  const roll = rng.next();
  if (roll < 0.2) {
    const raw = [rng.next(), rng.next(), rng.next()];
    const total = raw.reduce((a, b) => a + b, 0) / (0.5 + rng.next() * 0.5);
    const held = p.books.map((b) => b.units);
    p.rebalance(
      raw.map((w) => w / total),
      prices,
      { band: 0.01 },
    );
    let slip = 0;
    for (let m = 0; m < p.size; m++) {
      const moved = Math.abs(p.units(m) - held[m]);
      slip += moved * prices[m] * (p.books[m].costs.slippageBps / 10_000);
    }
    return slip;
  }
  if (roll < 0.6) {
    if (!p.buy(i, prices[i], rng.next() * p.cash)) return 0;
  } else if (!p.sell(i, prices[i], rng.next() * 1.2 * p.units(i))) return 0;
  const f = p.books[i].lastFill;
  return f.units * Math.abs(f.price - f.refPrice);
}
