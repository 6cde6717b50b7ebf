import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createImageRenderer, parseImageSpec, writePng } from '../../chart/index.ts';
import { syntheticCandles } from '../../data/synthetic.ts';
import type { BenchGroup } from '../table.ts';

/** Renders as many images as fit in `ms` (after a short warm-up), cycling through the series; returns images/s. */
function rate(spec: string, ms: number, frames = 1): number {
  const candles = syntheticCandles({ seed: 2, count: 20_000 });
  const r = createImageRenderer(parseImageSpec(spec));
  const out = new Float32Array(r.frameSize * frames);
  const span = candles.close.length - r.warmup - frames;
  for (let i = 0; i < 500; i++) r.renderSequence(candles, r.warmup + frames - 1 + (i % span), frames, out);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let k = 0; k < 100; k++, n++) r.renderSequence(candles, r.warmup + frames - 1 + (n % span), frames, out);
  }
  return (n * frames) / ((performance.now() - t0) / 1000);
}

export const imagesGroup: BenchGroup = {
  name: 'images',
  description: 'chart images rendered to Float32 buffers on one core, and PNG files through sharp',
  async run(report) {
    report({ figure: 'ohlc 64×60 (20 bars, MA, volume)', value: Math.round(rate('ohlc:64x60:20', 2000)), unit: 'images/s', note: 'target ≥ 20,000/s' });
    report({ figure: 'ohlc 32×15 (5 bars)', value: Math.round(rate('ohlc:32x15:5', 1000)), unit: 'images/s' });
    report({ figure: 'ohlc 96×180 (60 bars)', value: Math.round(rate('ohlc:96x180:60', 1000)), unit: 'images/s' });
    report({ figure: 'ohlc 64×60 as 16-frame sequences', value: Math.round(rate('ohlc:64x60:20', 1000, 16)), unit: 'images/s' });
    report({ figure: 'candles 64×64×4 (MA, BB, volume, RSI)', value: Math.round(rate('candles:64x64:20:c4:ma20:bb:volume:rsi', 2000)), unit: 'images/s' });
    report({ figure: 'candles 64×64×4 (+ MACD panel)', value: Math.round(rate('candles:64x64:20:c4:ma20:bb:volume:rsi:macd', 1000)), unit: 'images/s' });

    const dir = mkdtempSync(path.join(tmpdir(), 'bot-bench-png-'));
    try {
      const candles = syntheticCandles({ seed: 3, count: 5_000 });
      const r = createImageRenderer(parseImageSpec('ohlc:64x60:20'));
      const px = new Float32Array(r.frameSize);
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 2000) {
        r.render(candles, r.warmup + (n % 4000), px);
        await writePng(path.join(dir, `${n % 50}.png`), px, 60, 64, 1);
        n++;
      }
      report({ figure: 'PNG files 64×60 via sharp (render + encode + write)', value: Math.round(n / ((performance.now() - t0) / 1000)), unit: 'files/s', note: 'one at a time' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
