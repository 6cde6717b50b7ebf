import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Candles } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { createImageRenderer, parseImageSpec } from '../../src/chart/index.ts';
import { Rng } from '../../src/core/random.ts';

function corruptAfter(c: Candles, t: number, seed: number): Candles {
  const rng = new Rng(seed);
  const copy = (a: Float64Array) => Float64Array.from(a);
  const out: Candles = {
    ...c,
    ts: copy(c.ts),
    open: copy(c.open),
    high: copy(c.high),
    low: copy(c.low),
    close: copy(c.close),
    volume: copy(c.volume),
  };
  for (let i = t + 1; i < out.close.length; i++) {
    out.open[i] = rng.next() * 1e12;
    out.high[i] = 1e15;
    out.low[i] = rng.next() < 0.5 ? 0 : -5;
    out.close[i] = rng.normal() * 1e9;
    out.volume[i] = 1e18;
  }
  return out;
}

const candles = syntheticCandles({ seed: 51, count: 400, gapProbability: 0.02 });
const specs = [
  'ohlc:64x60:20',
  'ohlc:32x15:5:novol',
  'candles:64x64:20:c4:ma20:bb:volume:rsi:macd',
  'candles:48x40:40:c3:ma5:volume',
  'candles:64x60:20:layers:ma20:bb:volume:rsi',
  'candles:32x30:10:layers:ma5:bb:volume:macd',
];

for (const text of specs) {
  test(`no lookahead in ${text}: the image at t ignores every candle after t`, () => {
    const rng = new Rng(9);
    const clean = createImageRenderer(parseImageSpec(text));
    const a = new Float32Array(clean.frameSize);
    const b = new Float32Array(clean.frameSize);
    const ts = [clean.warmup, candles.close.length - 2];
    while (ts.length < 16) ts.push(clean.warmup + rng.int(candles.close.length - 1 - clean.warmup));
    for (const t of ts) {
      const dirty = corruptAfter(candles, t, t);
      clean.render(candles, t, a);
      createImageRenderer(parseImageSpec(text)).render(dirty, t, b);
      assert.deepEqual(b, a, `image at ${t}`);
      // The garbage is visible once the window reaches it.
      clean.render(dirty, t + 1, b);
      clean.render(candles, t + 1, a);
      assert.notDeepEqual(b, a, `garbage at ${t + 1} should show`);
    }
  });
}

test('a sequence holds the frames for t−k+1 … t, each equal to its own render', () => {
  for (const text of ['ohlc:64x60:20', 'candles:32x32:16:c2:ma8:rsi']) {
    const r = createImageRenderer(parseImageSpec(text));
    const k = 5;
    const t = r.warmup + 30;
    const seq = new Float32Array(7 + k * r.frameSize);
    r.renderSequence(candles, t, k, seq, 7);
    const one = new Float32Array(r.frameSize);
    for (let f = 0; f < k; f++) {
      r.render(candles, t - k + 1 + f, one);
      assert.deepEqual(seq.subarray(7 + f * r.frameSize, 7 + (f + 1) * r.frameSize), one, `${text} frame ${f}`);
    }
    assert.throws(() => r.renderSequence(candles, r.warmup + 2, 4, seq), /earlier candles/);
    assert.throws(() => r.renderSequence(candles, t, k, seq, 8), /buffer too small/);
  }
});

test('the image depends only on the last bars + lookback candles, not on where the series starts', () => {
  const r = createImageRenderer(parseImageSpec('candles:64x64:20:c4:ma20:bb:volume:rsi:macd'));
  const t = 350;
  const a = new Float32Array(r.frameSize);
  const b = new Float32Array(r.frameSize);
  r.render(candles, t, a);
  const from = t - r.warmup;
  const tail: Candles = {
    ...candles,
    ts: candles.ts.subarray(from),
    open: candles.open.subarray(from),
    high: candles.high.subarray(from),
    low: candles.low.subarray(from),
    close: candles.close.subarray(from),
    volume: candles.volume.subarray(from),
  };
  r.render(tail, r.warmup, b);
  assert.deepEqual(b, a);
});

test("the image recipes' frame sequences at t are byte-identical whatever the candles after t hold", () => {
  // the specs of strategies/cnnrnn-dqn.ts (5 frames) and strategies/cnnrnn-ppo.ts (3), here 5 frames each
  for (const text of ['ohlc:32x15:5', 'candles:32x30:10:layers:ma5:bb:volume:rsi']) {
    const r = createImageRenderer(parseImageSpec(text));
    const frames = 5;
    const a = new Float32Array(frames * r.frameSize);
    const b = new Float32Array(frames * r.frameSize);
    for (const t of [r.warmup + frames - 1, 200, candles.close.length - 2]) {
      r.renderSequence(candles, t, frames, a);
      r.renderSequence(corruptAfter(candles, t, t), t, frames, b);
      assert.ok(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), `${text}: frames ending at ${t}`);
    }
  }
});
