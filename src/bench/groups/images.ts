/** Bench group: chart image rendering speed. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createImageRenderer, parseImageSpec, writePng } from '../../chart/index.ts';
import { syntheticCandles } from '../../data/synthetic.ts';
import type { BenchGroup } from '../table.ts';
import { guardDir } from '../cleanup.ts';

/**
 * Renders images for `ms` of this process's CPU time (after a warm-up), cycling through the series. Returns images per
 * CPU-second — what one core does, even when other processes share the machine — and per wall-clock second.
 */
function rate(spec: string, ms: number, frames = 1): { cpu: number; wall: number } {
  const candles = syntheticCandles({ seed: 2, count: 20_000 });
  const r = createImageRenderer(parseImageSpec(spec));
  const out = new Float32Array(r.frameSize * frames);
  const span = candles.close.length - r.warmup - frames;
  for (let i = 0; i < 500; i++) r.renderSequence(candles, r.warmup + frames - 1 + (i % span), frames, out);
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let cpuMs = 0;
  while (cpuMs < ms) {
    for (let k = 0; k < 100; k++, n++) r.renderSequence(candles, r.warmup + frames - 1 + (n % span), frames, out);
    const used = process.cpuUsage(cpu0);
    cpuMs = (used.user + used.system) / 1000;
  }
  return {
    cpu: Math.round((n * frames) / (cpuMs / 1000)),
    wall: Math.round((n * frames) / ((performance.now() - t0) / 1000)),
  };
}

function figure(name: string, spec: string, ms: number, frames = 1, target?: string) {
  const r = rate(spec, ms, frames);
  const load = os.loadavg()[0].toFixed(1);
  return {
    figure: name,
    value: r.cpu,
    unit: 'images/cpu-s',
    note: `${target ? `${target}; ` : ''}wall ${r.wall.toLocaleString('en-US')}/s at load ${load}`,
  };
}

export const imagesGroup: BenchGroup = {
  name: 'images',
  description: 'chart images rendered to Float32 buffers on one core, and PNG files through sharp',
  async run(report) {
    report(figure('ohlc 64×60 (20 bars, MA, volume)', 'ohlc:64x60:20', 2000, 1, 'target ≥ 20,000/s'));
    report(figure('ohlc 32×15 (5 bars)', 'ohlc:32x15:5', 1000));
    report(figure('ohlc 96×180 (60 bars)', 'ohlc:96x180:60', 1000));
    report(figure('ohlc 64×60 as 16-frame sequences', 'ohlc:64x60:20', 1000, 16));
    report(figure('candles 64×64×4 (MA, BB, volume, RSI)', 'candles:64x64:20:c4:ma20:bb:volume:rsi', 2000));
    report(figure('candles 64×64×4 (+ MACD panel)', 'candles:64x64:20:c4:ma20:bb:volume:rsi:macd', 1000));
    const dir = mkdtempSync(path.join(tmpdir(), 'bot-bench-png-'));
    const removeDir = guardDir(dir);
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
      report({
        figure: 'PNG files 64×60 via sharp (render + encode + write)',
        value: Math.round(n / ((performance.now() - t0) / 1000)),
        unit: 'files/s',
        note: 'one at a time',
      });
    } finally {
      await removeDir();
    }
  },
};
