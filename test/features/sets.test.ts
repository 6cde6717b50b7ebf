import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ti from 'technicalindicators';
import { candlesFromRows, emptyCandles } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { UserError } from '../../src/core/errors.ts';
import {
  computeFeatures,
  featureNames,
  featureSpecVersion,
  featureValue,
  featureWarmup,
  listFeatureSets,
} from '../../src/features/index.ts';
import { PATTERN_DETECTORS } from '../../src/features/patterns.ts';

test('sets are listed, combine with + in spec order, and record their versions', () => {
  assert.deepEqual(listFeatureSets(), ['rltrader-v1', 'ta', 'patterns']);
  const c = syntheticCandles({ seed: 1, count: 300 });
  const a = computeFeatures(c, 'rltrader-v1');
  const b = computeFeatures(c, 'ta');
  const ab = computeFeatures(c, 'rltrader-v1+ta');
  assert.equal(ab.version, 'rltrader-v1@1+ta@1');
  assert.equal(featureSpecVersion('rltrader-v1+ta'), ab.version);
  assert.deepEqual(ab.names, [...a.names, ...b.names]);
  assert.deepEqual(featureNames('rltrader-v1+ta'), ab.names);
  assert.equal(ab.firstValidRow, Math.max(a.firstValidRow, b.firstValidRow));
  assert.equal(featureWarmup('rltrader-v1+ta'), ab.firstValidRow);
  for (let i = ab.firstValidRow; i < c.close.length; i++) {
    for (let k = 0; k < a.cols; k++) assert.equal(ab.data[i * ab.cols + k], a.data[i * a.cols + k]);
    for (let k = 0; k < b.cols; k++) assert.equal(ab.data[i * ab.cols + a.cols + k], b.data[i * b.cols + k]);
  }
  assert.deepEqual(a.names.slice(0, 7), [
    'open_lastclose',
    'high_close',
    'low_close',
    'close_lastclose',
    'volume_lastvolume',
    'close_ma5',
    'volume_ma5',
  ]);
  assert.equal(a.firstValidRow, 119);
});

test('unknown, empty or repeated set names are a UserError naming the problem', () => {
  const c = syntheticCandles({ seed: 1, count: 50 });
  assert.throws(
    () => computeFeatures(c, 'rltrader-v2'),
    (e: unknown) =>
      e instanceof UserError && /unknown feature set "rltrader-v2"/.test(e.message) && /rltrader-v1/.test(e.message),
  );
  assert.throws(() => computeFeatures(c, 'ta+'), UserError);
  assert.throws(() => computeFeatures(c, ''), UserError);
  assert.throws(() => computeFeatures(c, 'ta+ta'), /appears twice/);
});

test('rltrader-v1 values match a hand computation', () => {
  // 130 candles: close climbs by 10 a candle from 1000, open = previous close + 5, volume alternates 100/300.
  const rows = Array.from({ length: 130 }, (_, i) => ({
    ts: i * 3_600_000,
    open: i === 0 ? 1000 : 1000 + 10 * (i - 1) + 5,
    high: 1000 + 10 * i + 7,
    low: 1000 + 10 * i - 20,
    close: 1000 + 10 * i,
    volume: i % 2 === 0 ? 100 : 300,
  }));
  const m = computeFeatures(candlesFromRows('x', 'A/B', '1h', rows), 'rltrader-v1');
  const t = 125;
  const close = 1000 + 10 * t;
  const near = (name: string, want: number) =>
    assert.ok(Math.abs(featureValue(m, t, name) - want) < 1e-6, `${name}: ${featureValue(m, t, name)} vs ${want}`);
  near('open_lastclose', 5 / (close - 10));
  near('high_close', 7 / close);
  near('low_close', -20 / close);
  near('close_lastclose', 10 / (close - 10));
  near('volume_lastvolume', (300 - 100) / 100); // t = 125 is odd: 300 after 100
  near('close_ma5', (close - (close - 20)) / (close - 20)); // MA5 of an arithmetic run is its middle value
  near('close_ma120', (close - (close - 595)) / (close - 595));
  near('volume_ma5', (300 - (3 * 300 + 2 * 100) / 5) / ((3 * 300 + 2 * 100) / 5));
  near('volume_ma10', (300 - 200) / 200);
  // Warm-up rows are zero, and the first valid row is not.
  for (let i = 0; i < m.firstValidRow; i++) for (let k = 0; k < m.cols; k++) assert.equal(m.data[i * m.cols + k], 0);
  assert.notEqual(featureValue(m, 119, 'close_ma120'), 0);
});

test('no NaN or Infinity leaves the module: zero volume, flat candles, gaps, a zero price, tiny series', () => {
  const c = syntheticCandles({ seed: 5, count: 400, tick: 50_000, gapProbability: 0.2, volatility: 0.002 });
  for (let i = 100; i < 180; i++) c.volume[i] = 0; // a dead market
  for (let i = 200; i < 260; i++) {
    c.open[i] = c.high[i] = c.low[i] = c.close[i] = c.close[199]; // flat candles
  }
  c.close[300] = 0; // a broken tick must not poison anything
  c.low[300] = 0;
  const tiny = syntheticCandles({ seed: 6, count: 3 });
  for (const spec of ['rltrader-v1+ta+patterns']) {
    for (const candles of [c, tiny, emptyCandles('x', 'A/B', '1h')]) {
      const m = computeFeatures(candles, spec);
      assert.equal(m.data.length, m.rows * m.cols);
      assert.ok(m.firstValidRow <= m.rows);
      for (let i = 0; i < m.data.length; i++)
        assert.ok(
          Number.isFinite(m.data[i]),
          `${m.names[i % m.cols]} at row ${Math.floor(i / m.cols)} is ${m.data[i]}`,
        );
    }
  }
  // The dead market gives 0 volume ratios (not NaN), and the flat stretch gives %b 0.5 and zero band width.
  const m = computeFeatures(c, 'rltrader-v1+ta');
  assert.equal(featureValue(m, 150, 'volume_ma5'), 0);
  assert.equal(featureValue(m, 250, 'bb_pctb'), 0.5);
  assert.equal(featureValue(m, 250, 'bb_width'), 0);
});

test('patterns are 0/1 and agree with technicalindicators detector by detector', () => {
  // A coarse tick and low volatility make dojis, ties and gaps common enough to exercise every branch.
  const series = [
    syntheticCandles({ seed: 21, count: 2500, tick: 10_000, volatility: 0.003 }),
    syntheticCandles({ seed: 22, count: 2500 }),
  ];
  const hits: Record<string, number> = {};
  for (const c of series) {
    const m = computeFeatures(c, 'patterns');
    const data = {
      open: Array.from(c.open),
      high: Array.from(c.high),
      low: Array.from(c.low),
      close: Array.from(c.close),
    };
    PATTERN_DETECTORS.forEach((d, col) => {
      for (let t = 0; t < m.rows; t++) {
        const v = m.data[t * m.cols + col];
        assert.ok(v === 0 || v === 1);
        if (t < m.firstValidRow) continue;
        const from = t - d.candles + 1;
        const w = {
          open: data.open.slice(from, t + 1),
          high: data.high.slice(from, t + 1),
          low: data.low.slice(from, t + 1),
          close: data.close.slice(from, t + 1),
        };
        if (d.fixesTrend) {
          // Compare only where the library's string comparison of average gain and loss agrees with the numbers.
          const d1 = w.close[1] - w.close[0];
          const d2 = w.close[2] - w.close[1];
          const g = (Math.max(d1, 0) + Math.max(d2, 0)) / 2;
          const l = (Math.max(-d1, 0) + Math.max(-d2, 0)) / 2;
          if (String(g) > String(l) !== g > l || String(l) > String(g) !== l > g) continue;
        }
        assert.equal(v, d.reference(w) ? 1 : 0, `${d.column} at ${t}`);
        hits[d.column] = (hits[d.column] ?? 0) + v;
      }
    });
  }
  const seen = Object.values(hits).filter((n) => n > 0).length;
  assert.ok(seen >= 20, `most detectors should fire somewhere: ${JSON.stringify(hits)}`);
});

test('the five-candle trend compares numbers, not strings as technicalindicators does', () => {
  // Closes 100 → 121 → 103: average gain 10.5 vs average loss 9, an up-trend by numbers; as strings "10.5" < "9".
  const w = { open: [0, 0, 0, 0, 0], high: [1, 1, 1, 50, 50], low: [0, 0, 0, 0, 0], close: [100, 121, 103, 0, 0] };
  assert.ok(String([10.5]) < String([9]));
  const c = candlesFromRows(
    'x',
    'A/B',
    '1h',
    w.close.map((close, i) => ({ ts: i, open: w.open[i], high: w.high[i], low: w.low[i], close, volume: 1 })),
  );
  const tweezerTop = PATTERN_DETECTORS.find((d) => d.column === 'tweezer_top')!;
  assert.equal(tweezerTop.detect(c, 4), true);
  assert.equal(ti.tweezertop(w), false);
});
