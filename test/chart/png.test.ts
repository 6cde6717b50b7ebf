import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import {
  contactSheet,
  createImageRenderer,
  enlarge,
  parseImageSpec,
  readPng,
  toBytes,
  viewable,
  writePng,
} from '../../src/chart/index.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bot-chart-png-'));
const candles = syntheticCandles({ seed: 61, count: 300 });

test('a PNG written through sharp decodes back to exactly the rendered pixels (1–4 channels)', async () => {
  for (const text of [
    'ohlc:64x60:20',
    'candles:32x40:20:c2:ma5:rsi',
    'candles:64x64:20:c3:ma20:bb:volume',
    'candles:64x64:20:c4:ma20:volume:macd',
  ]) {
    const r = createImageRenderer(parseImageSpec(text));
    const px = new Float32Array(r.frameSize);
    r.render(candles, 290, px);
    const file = path.join(dir, `${text.replace(/:/g, '_')}.png`);
    await writePng(file, px, r.spec.width, r.spec.height, r.spec.channels);
    const back = await readPng(file);
    assert.deepEqual([back.width, back.height, back.channels], [r.spec.width, r.spec.height, r.spec.channels], text);
    assert.deepEqual(back.data, toBytes(px), text);
    // Every value the renderer uses survives the byte round trip to within half a step.
    for (let i = 0; i < px.length; i++) assert.ok(Math.abs(back.data[i] / 255 - px[i]) <= 0.5 / 255);
  }
});

test('contact sheets, channel tiles and enlargement keep the model pixels', () => {
  const r = createImageRenderer(parseImageSpec('ohlc:32x15:5'));
  const frames = [0, 1, 2].map((k) => {
    const f = new Float32Array(r.frameSize);
    r.render(candles, 100 + 5 * k, f);
    return f;
  });
  const sheet = contactSheet(frames, 15, 32, 1, 2, 2);
  assert.deepEqual([sheet.width, sheet.height], [2 * 15 + 2, 2 * 32 + 2]);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 15; x++) {
      assert.equal(sheet.pixels[y * sheet.width + x], frames[0][y * 15 + x]);
      assert.equal(sheet.pixels[y * sheet.width + 17 + x], frames[1][y * 15 + x]);
      assert.equal(sheet.pixels[(34 + y) * sheet.width + x], frames[2][y * 15 + x]);
    }
  }
  const big = enlarge(frames[0], 15, 32, 1, 3);
  for (let y = 0; y < 96; y++)
    for (let x = 0; x < 45; x++) assert.equal(big[y * 45 + x], frames[0][Math.floor(y / 3) * 15 + Math.floor(x / 3)]);
  const four = new Float32Array(2 * 2 * 4).map((_, i) => (i % 4) / 4);
  const tiles = viewable(four, 2, 2, 4);
  assert.equal(tiles.width, 4 * 2 + 3);
  for (let ch = 0; ch < 4; ch++) assert.equal(tiles.pixels[ch * 3], ch / 4);
  // A layers image is one colour chart: pixel 0 has only volume (grey), pixel 1 candles and MA (white wins).
  const layered = new Float32Array([0, 0, 1, 0, 1, 1, 0, 0]);
  const colour = viewable(layered, 2, 1, 4, true);
  assert.equal(colour.channels, 3);
  assert.deepEqual(Array.from(colour.pixels.subarray(0, 3)), [0.7, 0.7, 0.7].map(Math.fround));
  assert.deepEqual(Array.from(colour.pixels.subarray(3, 6)), [1, 1, 1]);
});
