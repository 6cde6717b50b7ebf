/**
 * Rewards that see the cost of churning (issue 13): the turnover penalty and the excess log-return over a benchmark,
 * checked against hand-computed values through the real TradingEnv and Account.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyCandles, type Candles } from '../../src/core/candles.ts';
import { UserError } from '../../src/core/errors.ts';
import type { Costs } from '../../src/market/costs.ts';
import { TradingEnv, type RewardOptions } from '../../src/market/trading-env.ts';

const BUY = 0;
const SELL = 1;
const HOLD = 2;
const BALANCE = 1_000_000;
const FEE = 0.001;
const SLIP_BPS = 10;
const costs: Costs = {
  feeRate: FEE,
  sellTax: 0,
  slippageBps: SLIP_BPS,
  minOrderValue: 1,
  quantityPrecision: 8,
};

/** Four hand-made candles: opens 100, 110, 99, 120; closes 104, 106, 101, 118. */
function candles(): Candles {
  const c = emptyCandles('x', 'A/B', '1h', 4);
  const open = [100, 110, 99, 120];
  const close = [104, 106, 101, 118];
  for (let i = 0; i < 4; i++) {
    c.ts[i] = Date.UTC(2024, 0, 1) + i * 3_600_000;
    c.open[i] = open[i];
    c.close[i] = close[i];
    c.high[i] = Math.max(open[i], close[i]) + 1;
    c.low[i] = Math.min(open[i], close[i]) - 1;
    c.volume[i] = 1;
  }
  return c;
}

function env(reward: RewardOptions): TradingEnv {
  const e = new TradingEnv({
    candles: candles(),
    window: 0,
    range: { from: 0, to: 4 },
    costs,
    balance: BALANCE,
    sizing: { kind: 'all' },
    reward,
  });
  e.reset();
  return e;
}

/** The buy at candle 1's open, by hand: units floored to 1e-8, price with 10 bps slippage, 0.1% fee. */
function handBuy(): {
  units: number;
  fee: number;
  slipCost: number;
  cash: number;
} {
  const price = 110 * (1 + SLIP_BPS / 10_000);
  const units = Math.floor((BALANCE / (price * (1 + FEE))) * 1e8) / 1e8;
  const fee = units * price * FEE;
  return {
    units,
    fee,
    slipCost: units * (price - 110),
    cash: BALANCE - units * price - fee,
  };
}

test(`logReturn with a turnover penalty: the log return less penalty × (fee + slippage) / value before the \
step`, () => {
  const b = handBuy();
  const v1 = b.cash + b.units * 106;
  const plain = env({ kind: 'logReturn' }).step(BUY, 1).reward;
  assert.ok(Math.abs(plain - Math.log(v1 / BALANCE)) < 1e-12, `plain ${plain}`);
  const penalised = env({ kind: 'logReturn', turnoverPenalty: 2 }).step(BUY, 1).reward;
  const expected = Math.log(v1 / BALANCE) - (2 * (b.fee + b.slipCost)) / BALANCE;
  assert.ok(Math.abs(penalised - expected) < 1e-12, `penalised ${penalised} vs ${expected}`);
  // a step without a fill pays no penalty
  const e = env({ kind: 'logReturn', turnoverPenalty: 2 });
  e.step(BUY, 1);
  const v2 = b.cash + b.units * 101;
  assert.ok(Math.abs(e.step(HOLD, 1).reward - Math.log(v2 / v1)) < 1e-12);
  // penalty 0 is the plain reward
  assert.equal(env({ kind: 'logReturn', turnoverPenalty: 0 }).step(BUY, 1).reward, plain);
});

test('excessLogReturn over buy-and-hold: holding earns (about) nothing, staying flat earns minus the market', () => {
  const flat = env({ kind: 'excessLogReturn', benchmark: 'buyAndHold' });
  assert.ok(Math.abs(flat.step(HOLD, 1).reward + Math.log(106 / 104)) < 1e-12);
  assert.ok(Math.abs(flat.step(HOLD, 1).reward + Math.log(101 / 106)) < 1e-12);

  const b = handBuy();
  const e = env({
    kind: 'excessLogReturn',
    benchmark: 'buyAndHold',
    turnoverPenalty: 1,
  });
  const v1 = b.cash + b.units * 106;
  const r1 = e.step(BUY, 1).reward;
  assert.ok(Math.abs(r1 - (Math.log(v1 / BALANCE) - Math.log(106 / 104) - (b.fee + b.slipCost) / BALANCE)) < 1e-12);
  const v2 = b.cash + b.units * 101;
  const r2 = e.step(HOLD, 1).reward;
  assert.ok(Math.abs(r2 - (Math.log(v2 / v1) - Math.log(101 / 106))) < 1e-12);
  // fully invested, only the leftover cash separates the account from the benchmark
  assert.ok(Math.abs(r2) < 1e-5, `holding the benchmark earned ${r2}`);
  // the sell at candle 3's open: costs charged once in the value and once more by the penalty
  const r3 = e.step(SELL, 1).reward;
  const sellPrice = 120 * (1 - SLIP_BPS / 10_000);
  const gross = b.units * sellPrice;
  const v3 = b.cash + gross - gross * FEE;
  const expected = Math.log(v3 / v2) - Math.log(118 / 101) - (gross * FEE + b.units * (120 - sellPrice)) / v2;
  assert.ok(Math.abs(r3 - expected) < 1e-12, `${r3} vs ${expected}`);
});

test('excessLogReturn over flat is the log return: cash earns nothing', () => {
  const a = env({ kind: 'excessLogReturn', benchmark: 'flat' });
  const b = env({ kind: 'logReturn' });
  for (const action of [BUY, HOLD, SELL]) assert.equal(a.step(action, 1).reward, b.step(action, 1).reward);
});

test('bad reward options stop with one line', () => {
  assert.throws(
    () => env({ kind: 'logReturn', turnoverPenalty: -1 }),
    (e: unknown) => e instanceof UserError && /turnoverPenalty/.test(e.message),
  );
  assert.throws(
    () => env({ kind: 'excessLogReturn', benchmark: 'index' as 'flat' }),
    (e: unknown) => e instanceof UserError && /benchmark must be buyAndHold or flat/.test(e.message),
  );
});
