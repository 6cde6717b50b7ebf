/**
 * Cost-aware decisions (issue 13): the switching margin in the network's units, the minimum holding period and the
 * decision interval, on real tfjs networks whose outputs are set by hand, through the real backtest engine.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { AgentPolicy } from '../../src/agents/load-agent.ts';
import { checkDecisionRule, DecisionGate, type DecisionRule } from '../../src/agents/decision-rule.ts';
import { switchAdvantage } from '../../src/agents/greedy-decision.ts';
import { createNet, envOptions, networkSpec, prepareData } from '../../src/agents/setup.ts';
import { recipeWarmup } from '../../src/agents/recipe-reach.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import { runBacktest, type BacktestResult } from '../../src/market/backtest-engine.ts';
import type { AgentNet } from '../../src/nn/agent-net.ts';
import { UserError } from '../../src/core/errors.ts';
import { SMALL_RECIPE } from '../trading/agents.ts';
import { assertCausalPolicy, testConfig } from './helpers.ts';
import { sliceCandles, type Candles } from '../../src/core/candles.ts';
import { CHINA_FUTURE_OPENS, sessionCandles } from '../data/helpers.ts';

const candles = syntheticCandles({
  seed: 3,
  count: 300,
  timeframe: '1h',
  start: Date.UTC(2024, 0, 1),
});
const config = testConfig();
const STATE = new Float32Array(3);
const warm = recipeWarmup(SMALL_RECIPE);
const prepared = prepareData(SMALL_RECIPE, candles, { from: warm, to: 200 });
const range = { from: warm, to: 300 };

before(async () => {
  await initBackend('wasm');
});

/**
 * A DQN network that churns: features ignored, Q = [a, −a, 0] when flat and [−a, a, 0] when fully invested, so it
 * wants to switch at every candle and its advantage over keeping the position is exactly `a`.
 */
function churner(a: number, recipe: AgentRecipe = SMALL_RECIPE): AgentNet {
  const net = createNet(networkSpec(recipe, prepared, 1), false);
  const weights = net.model.getWeights();
  const last = weights.length - 1;
  const replaced = weights.map((w, i) => {
    if (i === last) return tf.tensor1d([a, -a, 0]);
    if (i === last - 1) {
      // the value head reads [trunk (hidden units), state]; state[0] is the hold ratio
      const [rows, cols] = w.shape as [number, number];
      const k = new Float32Array(rows * cols);
      const holdRow = rows - 3;
      k[holdRow * cols] = -2 * a;
      k[holdRow * cols + 1] = 2 * a;
      return tf.tensor2d(k, [rows, cols]);
    }
    return tf.zerosLike(w);
  });
  net.model.setWeights(replaced);
  tf.dispose(replaced);
  net.sync();
  return net;
}

function run(net: AgentNet, rule?: Partial<DecisionRule>): BacktestResult {
  const policy = new AgentPolicy('churner', net, rule ? checkDecisionRule(rule, 'test') : undefined);
  return runBacktest({
    ...envOptions(SMALL_RECIPE, config, prepared, range),
    policy,
  });
}

test(`margin: a switch happens only when the network prefers it to keeping the position by more than the \
margin`, () => {
  const net = churner(0.01);
  try {
    const plain = run(net);
    assert.equal(plain.trades.length, range.to - range.from - 1, 'the churner trades at every candle');
    assert.deepEqual(run(net, { margin: 0.009 }).trades, plain.trades);
    assert.equal(run(net, { margin: 0.011 }).trades.length, 0);
  } finally {
    net.dispose();
  }
});

test('a network whose outputs are not finite holds (argmax over NaN would pick the first action, a buy)', () => {
  const net = churner(NaN);
  try {
    const result = run(net);
    assert.equal(result.trades.length, 0, `traded ${result.trades.length} times on NaN Q-values`);
    assert.equal(run(net, { margin: 0.1, minHold: 2 }).trades.length, 0);
  } finally {
    net.dispose();
  }
});

test(`switchAdvantage: Q difference against the best way of keeping the position, probability difference for \
policies`, () => {
  const net = churner(0.01);
  const ppoRecipe: AgentRecipe = {
    ...SMALL_RECIPE,
    learner: { kind: 'ppo', action: 'discrete' },
  };
  const ppo = createNet(networkSpec(ppoRecipe, prepared, 1), false);
  const probs = new Float32Array(3);
  try {
    const q = { value: new Float32Array([0.3, 0.1, 0.25]) };
    assert.ok(Math.abs(switchAdvantage(net, q, 0, { action: 'buy', confidence: 1 }, probs) - 0.05) < 1e-6);
    // fully invested: a buy cannot trade, so keeping is worth max(hold, buy) = 0.3; selling is 0.2 behind
    assert.ok(Math.abs(switchAdvantage(net, q, 1, { action: 'sell', confidence: 1 }, probs) + 0.2) < 1e-6);
    const logits = new Float32Array([Math.log(0.6), Math.log(0.1), Math.log(0.3)]);
    const p = ppo.policyOutput === 'logits' ? logits : new Float32Array([0.6, 0.1, 0.3]);
    assert.ok(Math.abs(switchAdvantage(ppo, { policy: p }, 0, { action: 'buy', confidence: 1 }, probs) - 0.3) < 1e-6);
  } finally {
    net.dispose();
    ppo.dispose();
  }
});

test('minHold: a position is kept at least minHold candles between fills', () => {
  const net = churner(0.01);
  try {
    for (const minHold of [2, 5, 9]) {
      const trades = run(net, { minHold }).trades;
      assert.ok(trades.length > 10);
      for (let i = 1; i < trades.length; i++)
        assert.equal(trades[i].index - trades[i - 1].index, minHold, `minHold ${minHold}, fill ${i}`);
    }
  } finally {
    net.dispose();
  }
});

test(`minHold counts from the fill when a paper tick shows the same candles loaded from a later first candle (each \
tick loads only its lookback, so candle indices shift between ticks)`, () => {
  const gate = new DecisionGate(checkDecisionRule({ minHold: 5 }, 'test'));
  const seen = (from: number, t: number, fills: number) => {
    const c = sliceCandles(candles, from, 250);
    gate.see({ t: t - from, candles: c, fills, features: new Float32Array(0), window: 0, cols: 0, state: STATE });
    return gate.heldLongEnough(t - from);
  };
  seen(0, 99, 0);
  assert.equal(seen(0, 100, 1), false, 'a fill at candle 100: an order now would hold 1 candle');
  assert.equal(seen(90, 101, 1), false, 'loaded from candle 90: 2 candles held');
  assert.equal(seen(95, 103, 1), false, 'loaded from candle 95, a candle missed: 4 candles held');
  assert.equal(seen(98, 104, 1), true, 'loaded from candle 98: 5 candles held');
});

test('every: decisions only at closes on the UTC grid of k candles, so fills open on it', () => {
  const net = churner(0.01);
  try {
    const trades = run(net, { every: 4 }).trades;
    assert.ok(trades.length >= Math.floor((range.to - range.from) / 4) - 1, `${trades.length} fills`);
    for (const t of trades) assert.equal(new Date(t.ts).getUTCHours() % 4, 0, new Date(t.ts).toISOString());
    // with a holding period too: fills on the grid, at least 6 candles apart, so 8 on a 4-candle grid
    const both = run(net, { every: 4, minHold: 6 }).trades;
    for (let i = 1; i < both.length; i++) assert.equal(both[i].index - both[i - 1].index, 8);
  } finally {
    net.dispose();
  }
});

/** The candles a gate with `every` decides at, fed in order as the backtest engine and the paper trader do. */
function decisionCandles(c: Candles, every: number): number[] {
  const gate = new DecisionGate(checkDecisionRule({ every }, 'test'));
  const out: number[] = [];
  for (let t = 0; t < c.ts.length; t++) {
    const obs = { t, candles: c, features: new Float32Array(0), window: 0, cols: 0, state: new Float32Array(3) };
    gate.see(obs);
    if (gate.onSchedule(obs)) out.push(t);
  }
  return out;
}

test(`every on session candles (closes off the UTC hour, lunch and night gaps): the first candle closing at or after \
each grid time decides, so every 24 is once a trading day and every 2 every other candle`, () => {
  // an index future's hourly candles closing 02:30, 03:30, 06:00 and 07:00 UTC: no close on a 00:00 UTC grid point
  const c = sessionCandles({ seed: 4, count: 40, opens: CHINA_FUTURE_OPENS });
  const days = c.ts.length / CHINA_FUTURE_OPENS.length;
  const daily = decisionCandles(c, 24);
  assert.deepEqual(
    daily,
    Array.from({ length: days - 1 }, (_, d) => (d + 1) * 4),
    'the first candle of each day decides for the midnight before it (the data has no night before day 1)',
  );
  const second = decisionCandles(c, 2);
  assert.deepEqual(
    second,
    Array.from({ length: c.ts.length / 2 }, (_, k) => 2 * k),
    'grid points at even hours: 00:00 goes to 02:30, 04:00 and 06:00 to 06:00',
  );

  // an around-the-clock series decides exactly where a close lies on the grid, as before
  const regular = syntheticCandles({ seed: 5, count: 200, timeframe: '1h', start: Date.UTC(2024, 0, 1, 3) });
  for (const every of [2, 4, 24]) {
    const onGrid = [...regular.ts].flatMap((ts, t) => ((ts + 3_600_000) % (every * 3_600_000) === 0 ? [t] : []));
    assert.deepEqual(decisionCandles(regular, every), onGrid, `every ${every}`);
  }
});

test('the rule keeps decisions causal: rewriting the future leaves earlier decisions unchanged', () => {
  const net = createNet(networkSpec(SMALL_RECIPE, prepared, 7), false);
  try {
    const rule = checkDecisionRule({ margin: 0.01, minHold: 3, every: 2 }, 'test');
    const policy = new AgentPolicy('seeded', net, rule);
    assertCausalPolicy({ candles, prepared, config, range, policy, cut: 240, label: 'rule' });
  } finally {
    net.dispose();
  }
});

test('bad rules stop with one line', () => {
  assert.throws(
    () => checkDecisionRule({ margin: -1 }, 'r'),
    (e: unknown) => e instanceof UserError && /margin/.test(e.message),
  );
  assert.throws(
    () => checkDecisionRule({ minHold: 1.5 }, 'r'),
    (e: unknown) => e instanceof UserError && /minHold/.test(e.message),
  );
  assert.throws(
    () => checkDecisionRule({ every: 0 }, 'r'),
    (e: unknown) => e instanceof UserError && /every/.test(e.message),
  );
});
