/** Bench group: feature set computation speed. */
import * as ti from 'technicalindicators';
import { syntheticCandles } from '../../data/synthetic.ts';
import { computeFeatures, listFeatureSets } from '../../features/index.ts';
import { bollinger, rsi } from '../../features/indicators.ts';
import { peakRssMiB, type BenchGroup } from '../table.ts';

const COUNT = 1_000_000;

/** Wall-clock seconds of f, and its CPU seconds in the note (the machine may be shared). */
function seconds<T>(f: () => T): [T, number, number] {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = f();
  const c = process.cpuUsage(c0);
  return [r, (performance.now() - t0) / 1000, (c.user + c.system) / 1e6];
}

export const featuresGroup: BenchGroup = {
  name: 'features',
  description: `feature sets over ${COUNT.toLocaleString('en-US')} synthetic 1h candles`,
  async run(report) {
    const candles = syntheticCandles({ seed: 1, count: COUNT });
    const rssBefore = peakRssMiB();
    // All sets first, so the peak-memory figure is this computation's and not earlier garbage's.
    const all = listFeatureSets().join('+');
    const [m, s, cpu] = seconds(() => computeFeatures(candles, all));
    report({
      figure: `${all} (${m.cols} columns)`,
      value: s,
      unit: 's',
      note: `${cpu.toFixed(2)} CPU-s; every set, one matrix`,
    });
    report({
      figure: 'feature matrix, all sets',
      value: m.data.byteLength / 2 ** 20,
      unit: 'MiB',
      note: 'Float32 rows × columns',
    });
    report({
      figure: 'peak RSS, all sets',
      value: peakRssMiB(),
      unit: 'MiB',
      note: `candles + matrix + Float64 scratch; ${rssBefore.toFixed(0)} MiB before`,
    });

    for (const name of listFeatureSets()) {
      const [m, s, cpu] = seconds(() => computeFeatures(candles, name));
      report({
        figure: `${name} (${m.cols} columns)`,
        value: s,
        unit: 's',
        note: `${cpu.toFixed(2)} CPU-s; ${(COUNT / s / 1e6).toFixed(2)} M candles/s`,
      });
    }
    // Our typed-array indicators against technicalindicators on the same million closes.
    const close = Array.from(candles.close);
    const [, oursBb] = seconds(() => bollinger(candles.close, 20, 2));
    const [, theirsBb] = seconds(() => ti.BollingerBands.calculate({ values: close, period: 20, stdDev: 2 }));
    report({
      figure: 'Bollinger(20, 2), typed arrays',
      value: oursBb,
      unit: 's',
      note: `technicalindicators ${theirsBb.toFixed(2)} s`,
    });
    const [, oursRsi] = seconds(() => rsi(candles.close, 14));
    const [, theirsRsi] = seconds(() => ti.RSI.calculate({ values: close, period: 14 }));
    report({
      figure: 'RSI(14), typed arrays',
      value: oursRsi,
      unit: 's',
      note: `technicalindicators ${theirsRsi.toFixed(2)} s`,
    });
  },
};
