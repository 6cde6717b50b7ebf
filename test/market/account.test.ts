import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Account } from '../../src/market/account.ts';
import { COST_PRESETS, costPreset, costsFromSettings, type Costs } from '../../src/market/costs.ts';
import { BUY, HOLD, SELL, newOrder, planOrder } from '../../src/market/execution.ts';
import { UserError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/random.ts';

const upbit: Costs = { ...COST_PRESETS['upbit-krw'] };
const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≠ ${b}`);

test('a buy pays price × (1 + slippage) plus the fee; units are rounded down to the precision', () => {
  const a = new Account(1_000_000, upbit);
  assert.equal(a.buy(50_000_000, 500_000), true);
  const f = a.lastFill;
  close(f.price, 50_000_000 * 1.0005);
  assert.equal(f.units, Math.floor((500_000 / (f.price * 1.0005)) * 1e8) / 1e8);
  close(f.fee, f.units * f.price * 0.0005);
  close(a.cash, 1_000_000 - f.gross - f.fee);
  assert.equal(a.units, f.units);
  close(a.avgBuyPrice, f.price);
  close(a.feesPaid, f.fee);
});

test('a sell receives price × (1 − slippage) minus fee and sell tax (RLTrader stock costs)', () => {
  const stock = costPreset('krx-stock');
  assert.deepEqual(stock, {
    feeRate: 0.00015,
    sellTax: 0.0025,
    slippageBps: 0,
    minOrderValue: 0,
    quantityPrecision: 0,
  });
  const a = new Account(1_000_000, stock);
  assert.ok(a.buy(10_000, 500_000));
  assert.equal(a.units, 49); // whole shares: 500,000 / (10,000 × 1.00015) = 49.99
  const cashBefore = a.cash;
  assert.ok(a.sell(11_000, 20));
  const f = a.lastFill;
  close(f.tax, 20 * 11_000 * 0.0025);
  close(f.fee, 20 * 11_000 * 0.00015);
  close(a.cash, cashBefore + 220_000 - f.fee - f.tax);
  assert.equal(a.units, 29);
  // realized P/L: proceeds net of fee and tax minus the cost of 20 shares incl. their buy fee
  close(f.realizedPnl, 220_000 - f.fee - f.tax - 20 * 10_000 * 1.00015);
});

test('orders that break a rule become holds and are counted by reason', () => {
  const a = new Account(100_000, upbit);
  assert.equal(a.sell(50_000_000, 1), false);
  assert.equal(a.lastReject, 'no_position');
  assert.equal(a.buy(50_000_000, 4_000), false);
  assert.equal(a.lastReject, 'below_min_order');
  const prec = new Account(100_000, { ...upbit, quantityPrecision: 0, minOrderValue: 0 });
  assert.equal(prec.buy(50_000_000, 100_000), false);
  assert.equal(prec.lastReject, 'below_precision');
  assert.ok(a.buy(50_000_000, 96_000));
  assert.equal(a.buy(50_000_000, 10_000), false); // 4,000-odd left: below the minimum order
  assert.equal(a.lastReject, 'no_cash');
  assert.equal(a.sell(50_000_000, 0.00005), false); // 2,500 KRW worth
  assert.equal(a.lastReject, 'below_min_order');
  assert.deepEqual(a.rejected, { below_min_order: 2, no_cash: 1, no_position: 1, below_precision: 0 });
  assert.equal(a.totalRejected, 4);
  assert.equal(a.buys, 1);
  assert.equal(a.sells, 0);
});

test('whole shares: a buy while all in is no_cash; a share dearer than the order or balance is below_precision', () => {
  const stock = costPreset('krx-stock'); // whole shares, no minimum order value
  const a = new Account(1_000_000, stock);
  assert.ok(a.buy(60_000, 1_000_000)); // 16 shares; the change (about 40,000) cannot buy a 17th
  assert.equal(a.buy(60_000, 1_000_000), false);
  assert.equal(a.lastReject, 'no_cash'); // an all-in policy asking for what it holds, not a size refusal
  const b = new Account(1_000_000, stock);
  assert.ok(b.buy(60_000, 500_000)); // 8 shares, about 520,000 left
  assert.equal(b.buy(60_000, 30_000), false); // a genuinely small order: the cash could buy a share
  assert.equal(b.lastReject, 'below_precision');
  const flat = new Account(50_000, stock);
  assert.equal(flat.buy(60_000, 50_000), false); // flat, the whole balance is below one share: too small to trade
  assert.equal(flat.lastReject, 'below_precision');
  assert.deepEqual(a.rejected, { below_min_order: 0, no_cash: 1, no_position: 0, below_precision: 0 });
});

test('a zero or negative balance is refused with a one-line error', () => {
  assert.throws(
    () => new Account(0, upbit),
    (e: unknown) => e instanceof UserError && /balance must be a positive/.test(e.message),
  );
  assert.throws(() => new Account(-5, upbit), UserError);
  assert.throws(() => new Account(1000, { ...upbit, feeRate: -0.1 }), /feeRate/);
});

test(`invariant over 20,000 random orders: value = cash + units × price; money only leaves as fees, tax and \
slippage`, () => {
  const rng = new Rng(42);
  for (const costs of [upbit, costPreset('krx-stock'), { ...upbit, slippageBps: 30, sellTax: 0.001 }]) {
    const a = new Account(10_000_000, costs);
    let price = 50_000;
    let bought = 0;
    let sold = 0;
    let realized = 0;
    for (let i = 0; i < 20_000; i++) {
      price *= Math.exp(rng.normal() * 0.01);
      const before = a.value(price);
      const r = rng.next();
      const ok =
        r < 0.4 ? a.buy(price, rng.next() * a.cash * 1.2) : r < 0.8 ? a.sell(price, rng.next() * a.units * 1.2) : false;
      assert.ok(a.cash >= 0, 'cash never negative');
      assert.ok(a.units >= 0, 'units never negative');
      assert.equal(a.value(price), a.cash + a.units * price);
      if (ok) {
        const f = a.lastFill;
        // at the fill price the trade only costs fee and tax
        const slipCost = Math.abs(f.price - price) * f.units;
        close(a.value(price), before - f.fee - f.tax - slipCost, 1e-9);
        if (f.side === 'buy') bought += f.gross;
        else {
          sold += f.gross;
          realized += f.realizedPnl;
        }
        const steps = f.units * 10 ** costs.quantityPrecision;
        assert.ok(Math.abs(steps - Math.round(steps)) < 1e-3, `units ${f.units} off the precision grid`);
      } else if (r < 0.8) {
        assert.notEqual(a.lastReject, null);
      }
    }
    // the books balance: cash = start − bought − buy fees + sold − sell fees − tax
    // (up to float rounding over the whole turnover)
    const books = 10_000_000 - bought + sold - a.feesPaid - a.taxPaid;
    assert.ok(Math.abs(a.cash - books) <= 1e-12 * (bought + sold), `cash ${a.cash} vs books ${books}`);
    if (a.units === 0) assert.ok(Math.abs(realized - (a.cash - 10_000_000)) <= 1e-9 * (bought + sold));
  }
});

test('snapshot and restore give an identical account', () => {
  const a = new Account(1_000_000, upbit);
  a.buy(40_000_000, 600_000);
  a.sell(41_000_000, 0.003);
  a.sell(41_000_000, 0.0000001);
  const b = Account.restore(JSON.parse(JSON.stringify(a.snapshot())), upbit);
  assert.deepEqual(b.snapshot(), a.snapshot());
  assert.equal(b.value(42_000_000), a.value(42_000_000));
  // a live run's withdrawn value rides along (a restore and snapshot must not drop it), absent when there is none
  assert.equal('withdrawn' in a.snapshot(), false);
  const live = Account.restore({ ...a.snapshot(), withdrawn: 123_456 }, upbit);
  live.buy(42_000_000, 100_000);
  assert.equal(live.snapshot().withdrawn, 123_456);
  live.reset();
  assert.equal('withdrawn' in live.snapshot(), false);
});

test("a live run's fees paid in a third currency (offBookFees) survive a save and restore; reset clears them", () => {
  const a = new Account(1_000_000, upbit);
  assert.equal('offBookFees' in a.snapshot(), false, 'absent when there are none');
  const saved = JSON.stringify({ ...a.snapshot(), offBookFees: 24, withdrawn: 5 });
  const live = Account.restore(JSON.parse(saved), upbit);
  live.buy(42_000_000, 100_000);
  const again = Account.restore(JSON.parse(JSON.stringify(live.snapshot())), upbit);
  assert.equal(again.snapshot().offBookFees, 24);
  assert.equal(again.snapshot().withdrawn, 5);
  // a portfolio's books go through the same snapshot (src/market/portfolio-state.ts)
  const book = new Account(1_000_000, upbit);
  book.load({ ...live.snapshot(), cash: 0 });
  assert.equal(book.snapshot().offBookFees, 24);
  again.reset();
  assert.equal('offBookFees' in again.snapshot(), false);
});

test('confidence sizing trades between the minimum and maximum trade value; all and target sizing', () => {
  const a = new Account(10_000_000, upbit);
  const o = newOrder();
  const sizing = { kind: 'confidence', minTradeValue: 100_000, maxTradeValue: 1_100_000 } as const;
  assert.equal(planOrder(a, sizing, BUY, 0, undefined, 1000, o).spend, 100_000);
  assert.equal(planOrder(a, sizing, BUY, 0.5, undefined, 1000, o).spend, 600_000);
  assert.equal(planOrder(a, sizing, BUY, 7, undefined, 1000, o).spend, 1_100_000);
  assert.equal(planOrder(a, sizing, HOLD, 1, undefined, 1000, o).side, HOLD);
  assert.equal(planOrder(a, { kind: 'all' }, BUY, 0, undefined, 1000, o).spend, 10_000_000);
  a.buy(1000, 5_000_000);
  const sell = planOrder(a, sizing, SELL, 0.5, undefined, 1000, o);
  assert.equal(sell.side, SELL);
  close(sell.units, 600);
  // target: hold 25% of value in the asset → sell down from ~50%
  const t = planOrder(a, { kind: 'target' }, HOLD, 0, 0.25, 1000, o);
  assert.equal(t.side, SELL);
  close(t.units, (a.units * 1000 - 0.25 * a.value(1000)) / 1000);
  a.sell(1000, t.units);
  close(a.holdRatio(1000), 0.25, 1e-3);
  // a rebalance smaller than the minimum order is no order
  assert.equal(planOrder(a, { kind: 'target' }, HOLD, 0, 0.2502, 1000, o).side, HOLD);
});

test('costs come from the account settings or a named preset', () => {
  const settings = { preset: 'custom' as const, balance: 1, ...upbit, feeRate: 0.001 };
  assert.equal(costsFromSettings(settings).feeRate, 0.001);
  assert.deepEqual(costsFromSettings({ ...settings, preset: 'krx-stock' }), COST_PRESETS['krx-stock']);
  assert.throws(() => costPreset('nyse'), /unknown cost preset "nyse"/);
});
