import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candlesFromRows, type CandleRow } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { UserError } from '../../src/core/errors.ts';
import { createImageRenderer, formatImageSpec, parseImageSpec, type ImageSpec } from '../../src/chart/index.ts';
import { candleLayout } from '../../src/chart/candles.ts';

const rows: CandleRow[] = [
  { ts: 0, open: 110, high: 120, low: 100, close: 118, volume: 10 }, // up
  { ts: 1, open: 118, high: 119, low: 104, close: 106, volume: 20 }, // down
  { ts: 2, open: 106, high: 110, low: 105, close: 108, volume: 5 }, // up
];
const candles = candlesFromRows('x', 'A/B', '1h', rows);

test('candles: bodies span open..close, wicks high..low, up and down in their own ink', () => {
  // 21 rows for prices 100..120 → row = 120 − p; 3 bars × 4 pixels: body in columns 4k..4k+2, wick at 4k+1, gap at
  // 4k+3.
  const spec: ImageSpec = { style: 'candles', height: 21, width: 12, bars: 3, channels: 3 };
  const out = new Float32Array(21 * 12 * 3);
  createImageRenderer(spec).render(candles, 2, out);
  const px = (x: number, y: number) => Array.from(out.subarray((y * 12 + x) * 3, (y * 12 + x) * 3 + 3));
  const RED = [1, 0, 0];
  const GREEN = [0, 1, 0];
  const BLACK = [0, 0, 0];
  rows.forEach((c, k) => {
    const ink = c.close >= c.open ? GREEN : RED;
    const top = 120 - Math.max(c.open, c.close);
    const bottom = 120 - Math.min(c.open, c.close);
    for (let y = 0; y < 21; y++) {
      const inBody = y >= top && y <= bottom;
      const inWick = y >= 120 - c.high && y <= 120 - c.low;
      assert.deepEqual(px(4 * k, y), inBody ? ink : BLACK, `bar ${k} left body column row ${y}`);
      assert.deepEqual(px(4 * k + 1, y), inBody || inWick ? ink : BLACK, `bar ${k} wick column row ${y}`);
      assert.deepEqual(px(4 * k + 3, y), BLACK, `bar ${k} gap column row ${y}`);
    }
  });
});

test('one channel: up candles 1.0, down 0.5; four channels split down, up, lines, secondary lines', () => {
  const one = new Float32Array(21 * 12);
  createImageRenderer({ style: 'candles', height: 21, width: 12, bars: 3, channels: 1 }).render(candles, 2, one);
  assert.equal(one[(120 - 118) * 12 + 0], 1);
  assert.equal(one[(120 - 110) * 12 + 4], 0.5);
  const c = syntheticCandles({ seed: 3, count: 300 });
  const spec = parseImageSpec('candles:64x64:20:c4:ma10:bb:volume:rsi:macd');
  const r = createImageRenderer(spec);
  const four = new Float32Array(r.frameSize);
  r.render(c, 250, four);
  const sums = [0, 0, 0, 0];
  for (let i = 0; i < four.length; i++) sums[i % 4] += four[i];
  assert.ok(
    sums.every((s) => s > 0),
    `every channel carries something: ${sums}`,
  );
  for (let i = 0; i < four.length; i++) assert.ok(four[i] >= 0 && four[i] <= 1);
});

test('panels stack under the price panel with one empty row between them', () => {
  const spec = parseImageSpec('candles:64x64:20:c1:volume:rsi:macd');
  const boxes = candleLayout(spec);
  assert.deepEqual(
    boxes.map((b) => b.kind),
    ['price', 'volume', 'rsi', 'macd'],
  );
  assert.equal(boxes[0].top, 0);
  for (let i = 1; i < boxes.length; i++) assert.equal(boxes[i].top, boxes[i - 1].top + boxes[i - 1].rows + 1);
  const last = boxes[boxes.length - 1];
  assert.equal(last.top + last.rows, 64);
  assert.ok(boxes[0].rows >= 3 * boxes[1].rows - 3);
  // The separator rows are black in a rendered image.
  const c = syntheticCandles({ seed: 4, count: 300 });
  const r = createImageRenderer(spec);
  const out = new Float32Array(r.frameSize);
  r.render(c, 299, out);
  for (let i = 1; i < boxes.length; i++) for (let x = 0; x < 64; x++) assert.equal(out[(boxes[i].top - 1) * 64 + x], 0);
  // Volume bars sit on the bottom row of their panel.
  let bottomLit = 0;
  for (let x = 0; x < 64; x++) bottomLit += out[(boxes[1].top + boxes[1].rows - 1) * 64 + x] > 0 ? 1 : 0;
  assert.ok(bottomLit >= 20);
});

test('image specs parse, print back, and reject nonsense with a UserError', () => {
  const jkx = parseImageSpec('ohlc:64x60:20');
  assert.deepEqual(jkx, {
    style: 'ohlc',
    height: 64,
    width: 60,
    bars: 20,
    channels: 1,
    ma: 20,
    volume: true,
    panels: undefined,
  });
  assert.deepEqual(parseImageSpec(formatImageSpec(jkx)), jkx);
  const cs = parseImageSpec('candles:64x64:20:c4:ma20:bb:volume:rsi');
  assert.deepEqual(parseImageSpec(formatImageSpec(cs)), cs);
  assert.equal(parseImageSpec('ohlc:32x15:5:novol:noma').volume, false);
  const layered = parseImageSpec('candles:64x60:20:layers:ma20:bb:volume:rsi');
  assert.equal(layered.channels, 4, 'layers means 4 channels');
  assert.equal(layered.layers, true);
  assert.deepEqual(parseImageSpec(formatImageSpec(layered)), layered);
  for (const bad of [
    'ohlc',
    'candles:64x64:20:vol',
    'ohlc:64x61:20',
    'candles:64x64:20:c5',
    'pie:10x10:2',
    'candles:64x64:20:volume:volume',
    'candles:64x64:20:sparkle',
    'candles:12x64:20:volume:rsi:macd',
    'candles:64x64:20:c3:layers:volume',
    'ohlc:64x60:20:layers',
  ]) {
    assert.throws(() => parseImageSpec(bad), UserError, bad);
  }
});

test('layers: candles, MA/Bollinger, volume and RSI/MACD each in their own channel, nothing elsewhere', () => {
  const c = syntheticCandles({ seed: 5, count: 400 });
  for (const osc of ['rsi', 'macd']) {
    const text = `candles:64x60:20:c4:ma20:bb:volume:${osc}`;
    const plain = createImageRenderer(parseImageSpec(text));
    const split = createImageRenderer(parseImageSpec(`${text}:layers`));
    const boxes = candleLayout(parseImageSpec(text));
    const a = new Float32Array(plain.frameSize);
    const b = new Float32Array(split.frameSize);
    plain.render(c, 380, a);
    split.render(c, 380, b);
    const box = (y: number) => boxes.find((x) => y >= x.top && y < x.top + x.rows)?.kind ?? 'gap';
    // The same drawing, inks regrouped: c4 is [down, up, main lines, secondary lines].
    const lit = [0, 0, 0, 0];
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 60; x++) {
        const p = (y * 60 + x) * 4;
        const candle = Math.max(a[p + 1], 0.5 * a[p]);
        const lines = Math.max(a[p + 2], 0.5 * a[p + 3]);
        const kind = box(y);
        const want = [
          kind === 'price' ? candle : 0,
          kind === 'price' ? lines : 0,
          kind === 'volume' ? candle : 0,
          kind === osc ? lines : 0,
        ];
        for (let ch = 0; ch < 4; ch++) {
          assert.equal(b[p + ch], want[ch], `${osc}: channel ${ch} at (${x}, ${y}) in the ${kind} panel`);
          if (b[p + ch] > 0) lit[ch]++;
        }
      }
    assert.ok(
      lit.every((n) => n >= 20),
      `${osc}: every layer is drawn (${lit})`,
    );
  }
});
