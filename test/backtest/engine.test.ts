import { test } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { runBaselines } from '../../src/backtest/baselines.ts';
import { runBacktest, tradesFingerprint, type BacktestResult } from '../../src/market/backtest-engine.ts';
import { stitchResults } from '../../src/backtest/stitch.ts';
import { computeMetrics } from '../../src/market/metrics.ts';
import { rangeIndices } from '../../src/backtest/range.ts';
import { randomPolicy } from '../../src/agents/rule-policies.ts';
import { listStrategies, loadStrategy, type RuleStrategy } from '../../src/agents/strategy.ts';
import type { Candles } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { emptyCandles } from '../../src/core/candles.ts';
import { Rng } from '../../src/core/random.ts';
import { UserError } from '../../src/core/errors.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';

const costs = COST_PRESETS['upbit-krw'];

async function rule(name: string): Promise<RuleStrategy> {
  const s = await loadStrategy(name);
  assert.equal(s.kind, 'rule');
  return s as RuleStrategy;
}

function backtest(candles: Candles, strategy: RuleStrategy, seed = 1, from = 0): BacktestResult {
  const policy = strategy.createPolicy({ candles, seed });
  return runBacktest({
    candles,
    window: 0,
    range: { from, to: candles.close.length },
    costs,
    balance: 10_000_000,
    sizing: { kind: 'all' },
    policy,
  });
}

/**
 * A fixed series built here (not by the synthetic generator, which may evolve): a seeded walk on Upbit's 1,000 KRW
 * tick.
 */
function goldenSeries(): Candles {
  const n = 3000;
  const rng = new Rng(2024);
  const c = emptyCandles('golden', 'BTC/KRW', '1h', n);
  let price = 50_000_000;
  for (let i = 0; i < n; i++) {
    const open = price;
    price = Math.max(1000, Math.round((price * Math.exp(0.01 * rng.normal() + 0.0001)) / 1000) * 1000);
    c.ts[i] = Date.UTC(2024, 0, 1) + i * 3_600_000;
    c.open[i] = open;
    c.close[i] = price;
    c.high[i] = Math.max(open, price) + 1000;
    c.low[i] = Math.min(open, price) - 1000;
    c.volume[i] = 1 + rng.next();
  }
  return c;
}

test(`golden: the sha256 of the sma-cross trade list on a fixed series is pinned (any change to fill times, sides, \
prices or units shows)`, async () => {
  const r = backtest(goldenSeries(), await rule('sma-cross'));
  assert.equal(r.trades.length, 63);
  assert.equal(tradesFingerprint(r.trades), '5a496edc6e4c23c44526fc1172d5b8aa2cc5d06f5a577fd8f47cc7b79383d1d7');
});

test('the trade fingerprint does not depend on where the loaded series begins (the candle index)', async () => {
  const r = backtest(goldenSeries(), await rule('sma-cross'));
  const shifted = r.trades.map((t) => ({ ...t, index: t.index + 100 }));
  assert.equal(tradesFingerprint(shifted), tradesFingerprint(r.trades));
  const moved = r.trades.map((t, i) => (i === 0 ? { ...t, units: t.units * 1.5 } : t));
  assert.notEqual(tradesFingerprint(moved), tradesFingerprint(r.trades), 'units are in it');
});

test('metrics of a hand-made equity curve', () => {
  const day = 86_400_000;
  const equity = new Float64Array([100, 110, 99, 121, 121]);
  const result: BacktestResult = {
    policy: 'hand',
    exchange: 'x',
    symbol: 'A/B',
    timeframe: '1d',
    range: { from: 0, to: 5 },
    initialBalance: 100,
    timestamps: new Float64Array([0, 1, 2, 3, 4].map((i) => i * day)),
    close: new Float64Array(5),
    equity,
    positions: new Float64Array([0, 1, 1, 1, 0]),
    actions: new Uint8Array([0, 2, 2, 1]),
    executed: new Uint8Array([0, 2, 2, 1]),
    trades: [
      {
        index: 1,
        ts: day,
        side: 'buy',
        price: 10,
        units: 10,
        gross: 100,
        fee: 0.5,
        tax: 0,
        realizedPnl: 0,
        cash: 0,
        unitsAfter: 10,
      },
      {
        index: 4,
        ts: 4 * day,
        side: 'sell',
        price: 12.1,
        units: 10,
        gross: 121,
        fee: 0.5,
        tax: 0,
        realizedPnl: 20,
        cash: 121,
        unitsAfter: 0,
      },
    ],
    feesPaid: 1,
    taxPaid: 0,
    rejected: { below_min_order: 0, no_cash: 0, no_position: 0, below_precision: 0 },
    finalValue: 121,
    stoppedAt: null,
    endState: {
      initialBalance: 100,
      cash: 121,
      units: 0,
      avgBuyPrice: 0,
      avgCost: 0,
      feesPaid: 1,
      taxPaid: 0,
      buys: 1,
      sells: 1,
      rejected: { below_min_order: 0, no_cash: 0, no_position: 0, below_precision: 0 },
    },
  };
  const m = computeMetrics(result, '1d');
  const rets = [0.1, -0.1, 121 / 99 - 1, 0];
  const mean = rets.reduce((a, b) => a + b) / 4;
  const sd = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
  const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≠ ${b}`);
  near(m.totalReturn, 0.21);
  near(m.volatility, sd * Math.sqrt(365));
  near(m.sharpe, (mean / sd) * Math.sqrt(365));
  near(m.sortino, (mean / Math.sqrt(0.01 / 4)) * Math.sqrt(365));
  near(m.maxDrawdown, 0.1);
  assert.equal(m.maxDrawdownCandles, 1);
  near(m.maxDrawdownDays, 2);
  near(m.years, 4 / 365.25);
  assert.ok(Math.abs(m.annualReturn / (1.21 ** (365.25 / 4) - 1) - 1) < 1e-12);
  assert.ok(Math.abs(m.calmar / (m.annualReturn / 0.1) - 1) < 1e-12);
  assert.equal(m.trades, 2);
  assert.equal(m.winRate, 1);
  assert.equal(m.profitFactor, Infinity);
  assert.equal(m.expectancy, 20);
  near(m.turnover, 221 / ((100 + 110 + 99 + 121 + 121) / 5));
  near(m.exposure, 3 / 5);
  assert.deepEqual(m.actions, { buy: 1, sell: 1, hold: 2 });
  assert.equal(m.periodsPerYear, 365);
});

test('Sharpe is annualised by the timeframe: the same returns on 1h candles scale by √24 against 1d', () => {
  const c = syntheticCandles({ seed: 5, count: 500, timeframe: '1h' });
  const r = backtest(c, {
    kind: 'rule',
    name: 'bh',
    description: '',
    createPolicy: () => ({ name: 'bh', decide: () => ({ action: 'buy', confidence: 1 }) }),
  });
  const hourly = computeMetrics(r, '1h');
  const daily = computeMetrics({ ...r, timestamps: r.timestamps.map((t, i) => t + i * 23 * 3_600_000) }, '1d');
  assert.ok(Math.abs(hourly.sharpe / daily.sharpe - Math.sqrt(24)) < 1e-9);
});

test('baselines: buy-and-hold matches a hand computation, flat never moves, random is mean ± sd over seeds', () => {
  const candles = syntheticCandles({ seed: 8, count: 600 });
  const range = { from: 50, to: 600 };
  const sizing = { kind: 'all' } as const;
  const b = runBaselines({ candles, range, costs, balance: 10_000_000, sizing, randomSeeds: 5, seed: 3 });
  const price = candles.open[51] * 1.0005;
  const units = Math.floor((10_000_000 / (price * 1.0005)) * 1e8) / 1e8;
  const cash = 10_000_000 - units * price * 1.0005;
  const expected = cash + units * candles.close[599];
  assert.ok(Math.abs(b.buy_and_hold.metrics.finalValue - expected) < 1e-6);
  assert.equal(b.buy_and_hold.metrics.trades, 1);
  assert.equal(b.flat.metrics.totalReturn, 0);
  assert.equal(b.flat.metrics.trades, 0);
  assert.equal(b.random.seeds, 5);
  assert.ok((b.random.sd?.totalReturn ?? 0) > 0);
  assert.ok(b.random.metrics.trades > 50);
  assert.ok(b.sma_cross.metrics.trades > 0);
  assert.equal(b.buy_and_hold.equity.length, 550);
});

test(`rule strategies never look ahead: corrupting candles after T leaves trades and equity up to T \
unchanged`, async () => {
  const T = 700;
  const clean = syntheticCandles({ seed: 31, count: 1200 });
  const bad = syntheticCandles({ seed: 31, count: 1200 });
  for (let i = T + 1; i < 1200; i++) {
    bad.open[i] *= 1.7;
    bad.close[i] *= i % 2 ? 0.5 : 1.9;
    bad.high[i] *= 2;
    bad.low[i] *= 0.4;
  }
  for (const name of ['sma-cross', 'rsi-reversion', 'random', 'buy-and-hold']) {
    const s = await rule(name);
    const a = backtest(clean, s, 4);
    const b = backtest(bad, s, 4);
    assert.deepEqual(
      a.trades.filter((t) => t.index <= T),
      b.trades.filter((t) => t.index <= T),
      name,
    );
    assert.deepEqual(Array.from(a.equity.subarray(0, T + 1)), Array.from(b.equity.subarray(0, T + 1)), name);
    // the decision at T itself too (actions[i] is the decision at candle i): it may read candle T, not T + 1
    assert.deepEqual(Array.from(a.actions.subarray(0, T + 1)), Array.from(b.actions.subarray(0, T + 1)), name);
  }
});

/** Takes the observation's last close as "now" (close.length − 1): momentum on candles ≤ t only if that is t. */
const LAST = `export default {
  kind: 'rule',
  name: 'last',
  description: 'buys when the last close of the series is above the previous close',
  createPolicy: () => ({
    name: 'last',
    decide: (o: { t: number; candles: { close: Float64Array } }) => {
      const c = o.candles.close;
      if (o.t === 0) return { action: 'hold', confidence: 0 };
      return { action: c[c.length - 1] > c[o.t - 1] ? 'buy' : 'sell', confidence: 1 };
    },
  }),
};
`;

/**
 * A strategy file's decisions at candles 0…T over clean candles and over the same candles with every close after T
 * corrupted: equal (actions[i] is the decision at candle i), and the rule trades.
 */
async function decisionsUpToTUnchanged(name: string, text: string): Promise<void> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), `bot-engine-${name}-`)), `${name}.ts`);
  writeFileSync(file, text);
  const s = await rule(file);
  const T = 300;
  const clean = syntheticCandles({ seed: 7, count: 600 });
  const bad = syntheticCandles({ seed: 7, count: 600 });
  for (let i = T + 1; i < 600; i++) bad.close[i] *= i % 2 ? 0.5 : 1.9;
  const a = backtest(clean, s);
  const b = backtest(bad, s);
  assert.deepEqual(Array.from(b.actions.subarray(0, T + 1)), Array.from(a.actions.subarray(0, T + 1)));
  assert.ok(a.trades.length > 10, 'the rule trades');
}

test(`a strategy file that reads the observation's last close: corrupting every candle after T leaves its \
decisions up to T unchanged`, () => decisionsUpToTUnchanged('last', LAST));

/**
 * Reads every close in the view's buffer: momentum on candles ≤ t, flipped by the parity of the sum of any closes the
 * buffer holds after t (a view of the whole series would hold them all).
 */
const BUFFER = `export default {
  kind: 'rule',
  name: 'buffer',
  description: 'momentum, flipped by what the buffer holds after t',
  createPolicy: () => ({
    name: 'buffer',
    decide: (o: { t: number; candles: { close: Float64Array } }) => {
      const c = o.candles.close;
      if (o.t === 0) return { action: 'hold', confidence: 0 };
      const all = new Float64Array(c.buffer);
      let later = 0;
      for (let i = o.t + 1; i < all.length; i++) if (Number.isFinite(all[i])) later += all[i];
      return { action: (c[o.t] > c[o.t - 1]) !== Math.floor(later) % 2 > 0 ? 'buy' : 'sell', confidence: 1 };
    },
  }),
};
`;

test(`a strategy file reading new Float64Array(obs.candles.close.buffer) past t: the buffer holds no later candle, \
so corrupting every candle after T leaves its decisions up to T unchanged`, () =>
  decisionsUpToTUnchanged('buffer', BUFFER));

test('strategies load by name; an unknown one is a one-line error listing the available names', async () => {
  const names = listStrategies();
  for (const n of ['buy-and-hold', 'sma-cross', 'rsi-reversion', 'random']) assert.ok(names.includes(n), n);
  await assert.rejects(loadStrategy('moon-shot'), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /unknown strategy "moon-shot" \(available: .*sma-cross/);
    return true;
  });
  await assert.rejects(loadStrategy('../package'), UserError);
  const rsi = await rule('rsi-reversion');
  const r = backtest(syntheticCandles({ seed: 12, count: 1500 }), rsi);
  assert.ok(r.trades.length > 0);
  assert.ok(
    r.trades.every((t, i) => t.side === (i % 2 === 0 ? 'buy' : 'sell')),
    'all-in / all-out alternates',
  );
});

test('every fill happens at the open of the candle after the decision', async () => {
  const candles = syntheticCandles({ seed: 2, count: 800 });
  const r = backtest(candles, await rule('sma-cross'));
  for (const t of r.trades) {
    const slip = t.side === 'buy' ? 1.0005 : 0.9995;
    assert.ok(Math.abs(t.price - candles.open[t.index] * slip) < 1e-6);
    assert.equal(r.executed[t.index - 1], t.side === 'buy' ? 0 : 1);
  }
});

test(`date ranges: candles opening in [from, to); empty, reversed, too short and no-data ranges are one-line \
errors`, () => {
  const c = syntheticCandles({ seed: 1, count: 48, start: Date.UTC(2024, 0, 1) });
  const h = 3_600_000;
  const t0 = Date.UTC(2024, 0, 1);
  assert.deepEqual(rangeIndices(c), { from: 0, to: 48 });
  assert.deepEqual(rangeIndices(c, t0 + 10 * h, t0 + 20 * h), { from: 10, to: 20 });
  assert.throws(() => rangeIndices(c, t0 + 5 * h, t0 + 5 * h), /--to .* is not after --from/);
  assert.throws(() => rangeIndices(c, t0 + 9 * h, t0 + 5 * h), /is not after/);
  assert.throws(() => rangeIndices(c, t0 + 100 * h, undefined, 'x.csv'), /no candles in .* in x\.csv/);
  assert.throws(
    () => rangeIndices(c, t0 + 46 * h),
    (e: unknown) => e instanceof UserError && /holds 2 candles .* at least 3/.test(e.message),
  );
});

test(`the random rule draws per candle: a policy rebuilt mid-run (as the paper trader does) decides each candle as \
before`, () => {
  const candles = syntheticCandles({ seed: 5, count: 60 });
  const obs = (t: number) => ({
    t,
    candles,
    features: new Float32Array(0),
    window: 0,
    cols: 0,
    state: new Float32Array(3),
  });
  const once = randomPolicy(3);
  const straight = Array.from({ length: 60 }, (_, t) => ({ ...once.decide(obs(t)) }));
  const rebuilt = Array.from({ length: 60 }, (_, t) => ({ ...randomPolicy(3).decide(obs(t)) }));
  assert.deepEqual(rebuilt, straight);
  const actions = new Set(straight.map((d) => d.action));
  assert.equal(actions.size, 3, 'all three actions occur');
  const other = Array.from({ length: 60 }, (_, t) => randomPolicy(4).decide(obs(t)).action);
  assert.notDeepEqual(
    other,
    straight.map((d) => d.action),
    'the seed matters',
  );
});

test(`a run continued from its own account state (walk-forward chaining) stitches to exactly the one long \
run`, async () => {
  const candles = goldenSeries();
  const strategy = await rule('sma-cross');
  const whole = backtest(candles, strategy);
  const policy = strategy.createPolicy({ candles, seed: 1 });
  const cuts = [0, 1000, 2000, candles.close.length];
  const parts: BacktestResult[] = [];
  for (let k = 0; k < 3; k++) {
    // each part ends one candle into the next, where its last decision fills; the next part starts on that candle
    const to = k < 2 ? cuts[k + 1] + 1 : cuts[3];
    parts.push(
      runBacktest({
        candles,
        window: 0,
        range: { from: cuts[k], to },
        costs,
        balance: 10_000_000,
        sizing: { kind: 'all' },
        policy,
        startState: parts[k - 1]?.endState,
      }),
    );
  }
  assert.ok(
    parts.every((p) => p.trades.length > 0),
    'every part trades',
  );
  const stitched = stitchResults(parts, whole.policy);
  assert.deepEqual(stitched.equity, whole.equity);
  assert.deepEqual(stitched.positions, whole.positions);
  assert.deepEqual(stitched.actions, whole.actions);
  assert.deepEqual(stitched.timestamps, whole.timestamps);
  assert.equal(tradesFingerprint(stitched.trades), tradesFingerprint(whole.trades));
  assert.equal(stitched.feesPaid, whole.feesPaid);
  assert.deepEqual(stitched.endState, whole.endState);
  assert.deepEqual(computeMetrics(stitched, '1h'), computeMetrics(whole, '1h'));
  // a fresh start at a cut is a different run: the carried state is what makes them equal
  const fresh = runBacktest({
    candles,
    window: 0,
    range: { from: 1000, to: 2001 },
    costs,
    balance: 10_000_000,
    sizing: { kind: 'all' },
    policy,
  });
  assert.notDeepEqual(fresh.equity, parts[1].equity);
  assert.throws(() => stitchResults([parts[0], parts[2]], 'x'), /starts at 2000/);
});
