import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candlesFromRows, type CandleRow } from '../../src/core/candles.ts';
import { UserError } from '../../src/core/errors.ts';
import { createImageRenderer, type ImageSpec } from '../../src/chart/index.ts';
import { ohlcLayout } from '../../src/chart/ohlc.ts';

/** Five hand-made candles spanning prices 100..131, so a 32-row image maps price p to row 131 − p. */
const rows: CandleRow[] = [
  { ts: 0, open: 110, high: 120, low: 105, close: 115, volume: 10 },
  { ts: 1, open: 115, high: 131, low: 112, close: 130, volume: 40 },
  { ts: 2, open: 128, high: 129, low: 100, close: 101, volume: 20 },
  { ts: 3, open: 101, high: 108, low: 101, close: 107, volume: 0 },
  { ts: 4, open: 107, high: 107, low: 107, close: 107, volume: 5 },
];
const candles = candlesFromRows('x', 'A/B', '1h', rows);

function pixel(buf: Float32Array, spec: ImageSpec, x: number, y: number): number {
  return buf[y * spec.width + x];
}

test('ohlc 32×15: every bar lands on exactly the pixels the JKX layout prescribes', () => {
  const spec: ImageSpec = { style: 'ohlc', height: 32, width: 15, bars: 5, channels: 1 };
  const r = createImageRenderer(spec);
  assert.equal(r.frameSize, 32 * 15);
  assert.equal(r.warmup, 4);
  const out = new Float32Array(r.frameSize).fill(0.3); // stale content must be cleared
  r.render(candles, 4, out);
  const expected = new Float32Array(r.frameSize);
  rows.forEach((c, k) => {
    expected[(131 - c.open) * 15 + 3 * k] = 1;
    for (let p = c.low; p <= c.high; p++) expected[(131 - p) * 15 + 3 * k + 1] = 1;
    expected[(131 - c.close) * 15 + 3 * k + 2] = 1;
  });
  assert.deepEqual(out, expected);
});

test('volume bars fill the bottom fifth under a one-row gap, scaled to the largest volume', () => {
  const spec: ImageSpec = { style: 'ohlc', height: 32, width: 15, bars: 5, channels: 1, volume: true };
  const layout = ohlcLayout(spec);
  assert.deepEqual(layout, { priceTop: 0, priceRows: 25, volumeRows: 6 });
  const out = new Float32Array(32 * 15);
  createImageRenderer(spec).render(candles, 4, out);
  const heights = rows.map((c) => Math.round((c.volume / 40) * 6)); // 2, 6, 3, 0, 1
  rows.forEach((_, k) => {
    for (let r = 0; r < 6; r++)
      assert.equal(pixel(out, spec, 3 * k + 1, 31 - r), r < heights[k] ? 1 : 0, `bar ${k} volume row ${r}`);
    assert.equal(pixel(out, spec, 3 * k, 31), 0, 'volume only in the middle column');
  });
  for (let x = 0; x < 15; x++) assert.equal(pixel(out, spec, x, 25), 0, 'gap row stays empty');
  // Prices now span rows 0..24: the highest high (131) is on row 0 and the lowest low (100) on row 24.
  assert.equal(pixel(out, spec, 4, 0), 1);
  assert.equal(pixel(out, spec, 7, 24), 1);
});

test('the moving-average line passes through the middle column of every bar and joins them', () => {
  const spec: ImageSpec = { style: 'ohlc', height: 32, width: 6, bars: 2, channels: 1, ma: 3 };
  const r = createImageRenderer(spec);
  assert.equal(r.warmup, 3);
  const out = new Float32Array(r.frameSize);
  r.render(candles, 4, out);
  // Window = candles 3, 4 (prices 101..108, MA3 at 3 = (130+101+107)/3 = 112.67, at 4 = (101+107+107)/3 = 105).
  const lo = 101;
  const hi = (130 + 101 + 107) / 3;
  const row = (p: number) => Math.round(((hi - p) / (hi - lo)) * 31);
  assert.equal(pixel(out, spec, 1, row(hi)), 1, 'MA at the first bar, top of the range');
  assert.equal(pixel(out, spec, 4, row(105)), 1, 'MA at the second bar');
  for (let x = 1; x <= 4; x++) {
    let lit = 0;
    for (let y = 0; y < 32; y++) lit += pixel(out, spec, x, y);
    assert.ok(lit >= 1, `column ${x} is crossed by the line`);
  }
});

test('a flat window draws in the middle row; bad specs and windows are UserErrors', () => {
  const flat = candlesFromRows(
    'x',
    'A/B',
    '1h',
    [rows[4], rows[4], rows[4]].map((c, i) => ({ ...c, ts: i })),
  );
  const spec: ImageSpec = { style: 'ohlc', height: 32, width: 9, bars: 3, channels: 1 };
  const out = new Float32Array(32 * 9);
  createImageRenderer(spec).render(flat, 2, out);
  for (let x = 0; x < 9; x++) assert.equal(pixel(out, spec, x, 15), 1);
  assert.equal(
    out.reduce((a, b) => a + b, 0),
    9,
  );
  const r = createImageRenderer(spec);
  assert.throws(
    () => r.render(flat, 1, out),
    (e: unknown) => e instanceof UserError && /needs 2 earlier candles/.test(e.message),
  );
  assert.throws(() => r.render(flat, 3, out), UserError);
  assert.throws(() => r.render(flat, 2, new Float32Array(10)), /buffer too small/);
  assert.throws(() => createImageRenderer({ ...spec, width: 10 }), /3 × bars/);
  assert.throws(() => createImageRenderer({ ...spec, channels: 3 }), /1 channel/);
  assert.throws(() => createImageRenderer({ ...spec, height: 0 }), /height/);
});
