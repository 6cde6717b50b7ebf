/**
 * Chart-image frames in the portfolio observation (issue 14): each series' frames are the single-market
 * ObservationBuilder's frames for that series at its last candle at or before t (one code path), they never look
 * past t in any one series, an image agent's tensors stay flat over training epochs, and a bad image spec in a
 * portfolio recipe is one line naming the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { portfolioBuilder, portfolioFeatures, trainPortfolioAgent } from '../../src/agents/portfolio-agent.ts';
import { checkPortfolioRecipe } from '../../src/agents/portfolio-recipe.ts';
import { createImageRenderer, parseImageSpec } from '../../src/chart/index.ts';
import { candleRows, candlesFromRows, lastAtOrBefore, type Candles } from '../../src/core/candles.ts';
import { Account } from '../../src/market/account.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';
import { ObservationBuilder } from '../../src/market/observation.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { alternatingPair, imageRecipe } from './portfolio-helpers.ts';

const costs = { ...COST_PRESETS['upbit-krw'], minOrderValue: 0 };

/** `c` without every candle whose index is ≡ 3 mod 7 (a market that skips intervals). */
function withHoles(c: Candles): Candles {
  const rows = candleRows(c).filter((_, i) => i % 7 !== 3);
  return candlesFromRows('x', c.symbol, c.timeframe, rows);
}

// JKX's OHLC bars, and the 4-channel candle layers of issue 16
for (const text of ['ohlc:16x9:3', 'candles:32x30:10:layers:ma5:bb:volume:rsi'])
  test(`the observation holds each series’ ${text} frames: the single-market builder’s at its last candle ≤ t`, () => {
    framesAsSingleMarket(text);
  });

function framesAsSingleMarket(text: string): void {
  const d = alternatingPair(300, 5);
  const b = withHoles(d.b);
  const recipe = imageRecipe({ image: { spec: text, frames: 2, informative: true } });
  const series = [d.a, b, d.index];
  const { features } = portfolioFeatures(recipe, series, d.a.ts[150]);
  const builder = portfolioBuilder(recipe, features, 2);
  const spec = parseImageSpec(text);
  const renderer = createImageRenderer(spec);
  const seq = 2 * renderer.frameSize;
  assert.equal(builder.imageSize, 3 * seq, 'three series (the informative one too) × 2 frames');
  const single = series.map((c) => new ObservationBuilder({ candles: c, window: 0, images: { renderer, frames: 2 } }));
  const account = new Account(1e6, costs);
  const first = d.a.ts.findIndex((ts) => ts >= builder.firstTs);
  // the first full observations (B's holes among them) and the last
  for (const t of [...Array.from({ length: 10 }, (_, k) => first + k), 299]) {
    const ts = d.a.ts[t];
    const obs = builder.build(ts, [0.25, 0.5], 0.03);
    assert.ok(obs.images, 'an image recipe gives images');
    series.forEach((c, s) => {
      const idx = lastAtOrBefore(c.ts, ts);
      const want = single[s].build(idx, account).images!;
      assert.deepEqual(obs.images!.subarray(s * seq, (s + 1) * seq), want, `series ${c.symbol} at t ${t}`);
    });
    // the heads' side input: the feature windows, then the weights and the P/L
    assert.equal(obs.state.length, obs.features.length + 3);
    assert.deepEqual(obs.state.subarray(0, obs.features.length), obs.features);
    assert.deepEqual([...obs.state.subarray(obs.features.length)], [0.25, 0.5, Math.fround(0.03)]);
  }
  const tradedOnly = portfolioBuilder({ ...recipe, image: { spec: text, frames: 2 } }, features, 2);
  assert.equal(tradedOnly.imageSize, 2 * seq, 'traded series only');
}

test('frames never look ahead: rewriting the future of one series leaves earlier observations unchanged', () => {
  const d = alternatingPair(300, 9);
  const recipe = imageRecipe({ image: { spec: 'ohlc:16x9:3', frames: 3, informative: true } });
  // scalers fitted once on the untouched series, so only the candles themselves differ
  const fitted = portfolioFeatures(recipe, [d.a, d.b, d.index], d.a.ts[150]).scalers;
  const withScalers = (series: Candles[]) =>
    portfolioBuilder(recipe, portfolioFeatures(recipe, series, 0, fitted).features, 2);
  const base = withScalers([d.a, d.b, d.index]);
  const cut = 200;
  const rewrite = (c: Candles): Candles => {
    const x = { ...c, close: c.close.slice(), open: c.open.slice(), high: c.high.slice(), low: c.low.slice() };
    for (let i = cut + 1; i < c.ts.length; i++) {
      x.close[i] *= 1.5;
      x.open[i] *= 0.7;
      x.high[i] = Math.max(x.open[i], x.close[i]) * 1.05;
      x.low[i] = Math.min(x.open[i], x.close[i]) * 0.95;
    }
    return x;
  };
  for (const which of [1, 2]) {
    const changed = withScalers([d.a, d.b, d.index].map((c, i) => (i === which ? rewrite(c) : c)));
    // from the first full window (rltrader-v1's warm-up, 119 candles, and the window) to the cut
    for (let t = d.a.ts.indexOf(base.firstTs); t <= cut; t++) {
      const a = base.build(d.a.ts[t], [0.2, 0.3], 0.01);
      const b = changed.build(d.a.ts[t], [0.2, 0.3], 0.01);
      assert.deepEqual(b.images, a.images, `series ${which}: frames at t ${t}`);
      assert.deepEqual(b.state, a.state, `series ${which}: state at t ${t}`);
    }
    const after = d.a.ts[cut + 2];
    assert.notDeepEqual(changed.build(after, [0, 0], 0).images, base.build(after, [0, 0], 0).images);
  }
});

test('an image agent trains with flat tensor counts over epochs', async () => {
  await initBackend('wasm');
  const d = alternatingPair(200, 3);
  const counts: number[] = [];
  const agent = trainPortfolioAgent({
    recipe: imageRecipe(),
    traded: [d.a, d.b],
    informative: [d.index],
    costs: [costs, costs],
    balance: 1e6,
    band: 0.01,
    range: { from: 0, to: 200 },
    seed: 4,
    epochs: 4,
    onEpoch: () => counts.push(tf.memory().numTensors),
  });
  try {
    assert.equal(agent.spec.kind, 'cnnrnn');
    assert.deepEqual(agent.spec.image, { frames: 2 * 2, height: 16, width: 9, channels: 1 });
    assert.equal(counts.length, 4);
    assert.deepEqual(counts.slice(1), [counts[0], counts[0], counts[0]], `tensors per epoch: ${counts.join(', ')}`);
  } finally {
    agent.dispose();
  }
});

test('a bad image spec in a portfolio recipe is one line naming the key', () => {
  const bad = (over: Parameters<typeof imageRecipe>[0]) => () =>
    checkPortfolioRecipe('strategies/x.ts', imageRecipe(over));
  const oneLine = (re: RegExp) => (e: unknown) => {
    const m = (e as Error).message;
    assert.ok(!m.includes('\n'), `one line: ${m}`);
    assert.match(m, re);
    return true;
  };
  assert.throws(
    bad({ image: { spec: 'ohlc:16x10:3', frames: 2 } }),
    oneLine(/^strategies\/x\.ts: recipe\.image\.spec: image spec: ohlc images are 3 pixels per bar/),
  );
  assert.throws(bad({ image: { spec: 'bars:16', frames: 2 } }), oneLine(/^strategies\/x\.ts: recipe\.image\.spec: /));
  assert.throws(bad({ image: { spec: 'ohlc:16x9:3', frames: 0 } }), oneLine(/recipe\.image\.frames: /));
  assert.throws(
    bad({ network: { kind: 'dnn', hidden: [4] } }),
    oneLine(/recipe\.image: chart images need network kind cnnrnn/),
  );
  assert.throws(bad({ image: undefined }), oneLine(/recipe\.network\.kind: cnnrnn reads chart images/));
  // a misspelt key is named (it used to be the key it left missing: `recipe.network: Invalid input`)
  const { network, ...rest } = imageRecipe();
  assert.throws(
    () => checkPortfolioRecipe('strategies/x.ts', { ...rest, netwrk: network }),
    oneLine(/^strategies\/x\.ts: recipe: unknown key netwrk, did you mean network\?$/),
  );
  assert.equal(checkPortfolioRecipe('strategies/x.ts', imageRecipe()).image?.spec, 'ohlc:16x9:3');
});
