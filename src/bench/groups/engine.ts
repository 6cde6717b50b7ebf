/** Bench group: the backtest engine's speed and memory on a long series. */
import { runBacktest } from '../../market/backtest-engine.ts';
import { smaCrossPolicy } from '../../agents/rule-policies.ts';
import { syntheticCandles } from '../../data/synthetic.ts';
import { COST_PRESETS } from '../../market/costs.ts';
import { peakRssMiB, type BenchGroup } from '../table.ts';

const CANDLES = 1_000_000;

export const engineGroup: BenchGroup = {
  name: 'engine',
  description:
    `sma-cross backtest over ${CANDLES.toLocaleString('en-US')} ` +
    `synthetic 1m candles with Upbit costs and the equity curve`,
  async run(report) {
    const candles = syntheticCandles({ seed: 1, count: CANDLES, timeframe: '1m', tick: 1000 });
    const rssBefore = process.memoryUsage().rss / 2 ** 20;
    const options = {
      candles,
      window: 0,
      range: { from: 0, to: CANDLES },
      costs: COST_PRESETS['upbit-krw'],
      balance: 10_000_000,
      sizing: { kind: 'all' as const },
    };
    // one warm-up run so the JIT has settled, then the best of three
    runBacktest({ ...options, policy: smaCrossPolicy(candles, 20, 50) });
    let best = Infinity;
    let trades = 0;
    for (let k = 0; k < 3; k++) {
      const policy = smaCrossPolicy(candles, 20, 50);
      const started = performance.now();
      const r = runBacktest({ ...options, policy });
      best = Math.min(best, (performance.now() - started) / 1000);
      trades = r.trades.length;
    }
    report({
      figure: 'sma-cross candles/s',
      value: Math.round(CANDLES / best),
      unit: 'candles/s',
      note: 'target ≥ 2,000,000 (fees, fills, equity curve; SMAs precomputed)',
    });
    report({ figure: 'sma-cross run time', value: best, unit: 's', note: `${trades} fills` });
    report({ figure: 'rss before runs', value: rssBefore, unit: 'MiB', note: 'candles in memory' });
    report({ figure: 'peak rss', value: peakRssMiB(), unit: 'MiB' });
  },
};
