import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Candles } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { UserError } from '../../src/core/errors.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';
import { TradingEnv, type EnvOptions } from '../../src/market/trading-env.ts';
import type { ImageSequenceRenderer } from '../../src/market/observation.ts';
import { runBacktest } from '../../src/market/backtest-engine.ts';
import type { Decision, Observation, Policy } from '../../src/core/policy.ts';
import { ACTIONS } from '../../src/core/policy.ts';
import { Rng } from '../../src/core/random.ts';

const N = 400;
const COLS = 4;
const candles = syntheticCandles({ seed: 7, count: N });
/** A stand-in for scaled features: row i depends only on candles ≤ i. */
function featuresOf(c: Candles): Float32Array {
  const out = new Float32Array(c.close.length * COLS);
  for (let i = 0; i < c.close.length; i++) {
    const prev = c.close[Math.max(0, i - 1)];
    out[i * COLS] = Math.log(c.close[i] / prev) * 100;
    out[i * COLS + 1] = c.high[i] / c.close[i] - 1;
    out[i * COLS + 2] = c.low[i] / c.close[i] - 1;
    out[i * COLS + 3] = (i % 24) / 24;
  }
  return out;
}

function options(over: Partial<EnvOptions> = {}, c: Candles = candles): EnvOptions {
  return {
    candles: c,
    features: { data: featuresOf(c), cols: COLS },
    window: 10,
    range: { from: 20, to: N },
    costs: COST_PRESETS['upbit-krw'],
    balance: 10_000_000,
    sizing: { kind: 'confidence', minTradeValue: 500_000, maxTradeValue: 3_000_000 },
    reward: { kind: 'logReturn' },
    ...over,
  };
}

/** A deterministic "agent" that reads only its observation (features and state). */
function agentDecision(obs: Observation): { action: number; confidence: number } {
  const f = obs.features;
  const last = f[f.length - COLS];
  const action = last > 0.2 ? 0 : last < -0.2 ? 1 : 2;
  return { action, confidence: Math.min(1, Math.abs(last)) };
}

test('reset and step follow the gym shape; the order fills at the next candle open and marks at its close', () => {
  const env = new TradingEnv(options());
  assert.deepEqual(env.observationShape, { window: 10, cols: COLS, stateSize: 3 });
  const obs = env.reset();
  assert.equal(obs.t, 20);
  assert.equal(obs.features.length, 10 * COLS);
  assert.deepEqual(Array.from(obs.state), [0, 0, 0]);
  const r = env.step(0, 1);
  assert.equal(r.info.t, 21);
  assert.ok(r.info.fill);
  assert.equal(r.info.fill.refPrice, candles.open[21]);
  assert.equal(r.info.fill.side, 'buy');
  assert.equal(r.info.value, env.account.cash + env.account.units * candles.close[21]);
  assert.ok(Math.abs(r.info.fill.gross - 3_000_000 / 1.0005) < 100); // max trade value at confidence 1, fee inside
  assert.ok(r.observation.state[0] > 0.25 && r.observation.state[0] < 0.35, 'hold ratio in the state');
  assert.equal(r.observation.state[2], Math.fround(candles.close[21] / env.account.avgBuyPrice - 1));
  // the observation's features are rows t−9 … t
  const expected = featuresOf(candles).subarray((21 - 9) * COLS, 22 * COLS);
  assert.deepEqual(Array.from(r.observation.features), Array.from(expected));
  let steps = 1;
  let done = r.done;
  while (!done) {
    done = env.step(2, 0).done;
    steps++;
  }
  assert.equal(steps, N - 1 - 20, 'decisions at t ∈ [from, to − 1)');
  assert.throws(() => env.step(2, 0), /call reset/);
});

test('log-return rewards add up to the log growth of the account, fees included', () => {
  const env = new TradingEnv(options({ sizing: { kind: 'all' } }));
  env.reset();
  const rng = new Rng(3);
  let sum = 0;
  let done = false;
  let value = 0;
  while (!done) {
    const r = env.step(rng.int(3), rng.next());
    sum += r.reward;
    value = r.info.value;
    done = r.done;
  }
  assert.ok(env.account.feesPaid > 0);
  assert.ok(Math.abs(sum - Math.log(value / 10_000_000)) < 1e-9);
});

test("RLTrader's delayed reward pays the P/L only when it moved past the threshold since the last payment", () => {
  const env = new TradingEnv(options({ reward: { kind: 'delayed', threshold: 0.02 }, sizing: { kind: 'all' } }));
  env.reset();
  env.step(0, 1);
  let base = 10_000_000;
  let paid = 0;
  for (let i = 0; i < 200; i++) {
    const r = env.step(2, 0);
    const moved = r.info.value / base - 1;
    assert.equal(r.info.immediateReward, r.info.value / 10_000_000 - 1);
    if (Math.abs(moved) > 0.02) {
      assert.equal(r.reward, r.info.immediateReward);
      base = r.info.value;
      paid++;
    } else assert.equal(r.reward, 0);
    if (r.done) break;
  }
  assert.ok(paid > 0, 'the threshold was passed at least once');
});

test(`risk-adjusted rewards: differential Sharpe is finite; the drawdown penalty only ever lowers the log \
return`, () => {
  const plain = new TradingEnv(options({ sizing: { kind: 'all' } }));
  const penal = new TradingEnv(options({ sizing: { kind: 'all' }, reward: { kind: 'drawdown', penalty: 2 } }));
  const sharpe = new TradingEnv(options({ sizing: { kind: 'all' }, reward: { kind: 'sharpe', eta: 0.05 } }));
  plain.reset();
  penal.reset();
  sharpe.reset();
  let lower = 0;
  for (let i = 0; i < 300; i++) {
    const a = i === 0 ? 0 : 2;
    const p = plain.step(a, 1);
    const q = penal.step(a, 1);
    const s = sharpe.step(a, 1);
    assert.ok(Number.isFinite(s.reward));
    assert.ok(q.reward <= p.reward + 1e-15);
    if (q.reward < p.reward) lower++;
    if (p.done) break;
  }
  assert.ok(lower > 0);
  assert.throws(() => new TradingEnv(options({ reward: { kind: 'sharpe', eta: 0 } })), UserError);
});

test('random episodes: seeded starts and a fixed length; the stop-loss ends an episode early', () => {
  const env = new TradingEnv(options({ episode: { kind: 'random', length: 50, seed: 9 } }));
  const starts: number[] = [];
  for (let k = 0; k < 5; k++) {
    const o = env.reset();
    starts.push(o.t);
    let steps = 0;
    while (!env.step(2, 0).done) steps++;
    assert.equal(steps + 1, 49);
    assert.ok(o.t >= 20 && o.t + 50 <= N);
  }
  const again = new TradingEnv(options({ episode: { kind: 'random', length: 50, seed: 9 } }));
  assert.deepEqual(
    starts,
    [0, 1, 2, 3, 4].map(() => again.reset().t),
  );
  assert.ok(new Set(starts).size > 1);

  // a falling market: all-in at the start, the −5% stop ends it
  const falling = syntheticCandles({ seed: 1, count: 300 });
  for (let i = 0; i < 300; i++) {
    const f = Math.exp(-0.002 * i);
    falling.open[i] *= f;
    falling.high[i] *= f;
    falling.low[i] *= f;
    falling.close[i] *= f;
  }
  const stop = new TradingEnv({
    ...options({ sizing: { kind: 'all' }, stopLoss: 0.05 }, falling),
    features: undefined,
    window: 0,
    range: { from: 0, to: 300 },
  });
  stop.reset();
  let r = stop.step(0, 1);
  while (!r.done) r = stop.step(2, 0);
  assert.equal(r.info.end, 'stop_loss');
  assert.ok(r.info.value <= 9_500_000);
  assert.ok(r.info.t < 299);
});

test('no look-ahead: corrupting candles and features after T leaves every step up to T unchanged', () => {
  const T = 200;
  const bad = syntheticCandles({ seed: 7, count: N });
  for (let i = T + 1; i < N; i++) {
    bad.open[i] *= 3;
    bad.close[i] *= 0.2;
    bad.high[i] *= 5;
    bad.low[i] *= 0.1;
  }
  const run = (c: Candles) => {
    const env = new TradingEnv(options({}, c));
    let obs = env.reset();
    const trace: number[] = [];
    while (obs.t < T) {
      const d = agentDecision(obs);
      const r = env.step(d.action, d.confidence);
      // the step into candle t+1 ≤ T uses t+1's open and close, which are not corrupted
      trace.push(r.reward, r.info.value, ...r.observation.features, ...r.observation.state);
      obs = r.observation;
    }
    return trace;
  };
  assert.deepEqual(run(bad), run(candles));
});

test('the backtest engine and the environment agree to the last won for the same decisions', () => {
  const policy: Policy = {
    name: 'feature-agent',
    decide(obs): Decision {
      const d = agentDecision(obs);
      return { action: ACTIONS[d.action], confidence: d.confidence };
    },
  };
  const env = new TradingEnv(options());
  let obs = env.reset();
  const envValues = [env.account.value(candles.close[obs.t])];
  for (;;) {
    const d = agentDecision(obs);
    const r = env.step(d.action, d.confidence);
    envValues.push(r.info.value);
    obs = r.observation;
    if (r.done) break;
  }
  const bt = runBacktest({ ...options(), policy });
  assert.deepEqual(Array.from(bt.equity), envValues);
  assert.ok(bt.trades.length > 10);
  assert.equal(bt.feesPaid, env.account.feesPaid);
});

test('image observations come from the renderer, ending at t; steps reuse their result object', () => {
  const calls: number[] = [];
  const renderer: ImageSequenceRenderer = {
    frameSize: 6,
    warmup: 5,
    renderSequence(c, t, frames, out, offset = 0) {
      calls.push(t);
      for (let k = 0; k < frames * 6; k++) out[offset + k] = c.close[t - frames + 1 + Math.floor(k / 6)] / 1e8;
    },
  };
  const env = new TradingEnv(options({ images: { renderer, frames: 3 } }));
  assert.deepEqual(env.observationShape, { window: 10, cols: COLS, stateSize: 3, imageFrameSize: 6, frames: 3 });
  const o = env.reset();
  assert.equal(o.images?.length, 18);
  const r1 = env.step(2, 0);
  const img1 = r1.observation.images;
  const r2 = env.step(2, 0);
  assert.equal(r1, r2, 'result object reused');
  assert.notEqual(img1, r2.observation.images, 'each observation owns its image buffer');
  assert.equal(r2.observation.images?.[17], Math.fround(candles.close[22] / 1e8));
  assert.deepEqual(calls.slice(-2), [21, 22]);
  assert.throws(
    () => new TradingEnv(options({ images: { renderer, frames: 30 }, range: { from: 20, to: N } })),
    /first usable candle is 34/,
  );
});

test('bad options are one-line errors', () => {
  assert.throws(() => new TradingEnv(options({ range: { from: 5, to: N } })), /first usable candle is 9/);
  assert.throws(() => new TradingEnv(options({ range: { from: 20, to: 21 } })), /at least 2/);
  assert.throws(() => new TradingEnv(options({ range: { from: 20, to: N + 1 } })), /outside/);
  assert.throws(() => new TradingEnv(options({ balance: 0 })), /balance must be a positive/);
  assert.throws(() => new TradingEnv(options({ episode: { kind: 'random', length: 1, seed: 1 } })), /episode length/);
  assert.throws(() => new TradingEnv(options({ window: 3, features: undefined })), /no features/);
});

test('target sizing: a continuous action sets the fraction of value held, rebalanced at the next open', () => {
  const env = new TradingEnv(options({ sizing: { kind: 'target' } }));
  env.reset();
  let r = env.step(2, 0, 0.5);
  assert.ok(Math.abs(r.info.holdRatio - 0.5) < 0.02, `hold ratio ${r.info.holdRatio}`);
  r = env.step(2, 0, 0.2);
  assert.equal(r.info.fill?.side, 'sell');
  assert.ok(Math.abs(r.info.holdRatio - 0.2) < 0.02);
  // planned at t's close: asking for exactly the hold ratio there is no order at all
  r = env.step(2, 0, r.info.holdRatio);
  assert.equal(r.info.fill, null, 'already there: no order');
  assert.equal(r.info.rejected, null);
  env.step(2, 0, 0);
  assert.equal(env.account.units, 0);
});
