/** Bench group: the portfolio engine's speed (issue 14) with 2 and 10 markets, equal weights rebalanced every 20. */
import { equalWeightPolicy } from '../../agents/portfolio-strategy.ts';
import { syntheticCandles } from '../../data/synthetic.ts';
import { COST_PRESETS } from '../../market/costs.ts';
import { runPortfolioBacktest } from '../../market/portfolio-engine.ts';
import type { BenchGroup } from '../table.ts';

const CANDLES = 100_000;

export const portfolioGroup: BenchGroup = {
  name: 'portfolio',
  description: `equal-weight portfolio backtest over ${CANDLES.toLocaleString('en-US')} synthetic 1m candle times`,
  async run(report) {
    for (const markets of [2, 10]) {
      const series = Array.from({ length: markets }, (_, m) => ({
        ...syntheticCandles({ seed: 100 + m, count: CANDLES, timeframe: '1m', tick: 1000 }),
        symbol: `M${m}/KRW`,
      }));
      const costs = series.map(() => COST_PRESETS['upbit-krw']);
      const run = () =>
        runPortfolioBacktest({
          series,
          costs,
          balance: 10_000_000,
          policy: equalWeightPolicy(markets, 20),
          band: 0.01,
        });
      run(); // warm-up
      let best = Infinity;
      let fills = 0;
      for (let k = 0; k < 3; k++) {
        const started = performance.now();
        fills = run().fills.length;
        best = Math.min(best, (performance.now() - started) / 1000);
      }
      report({
        figure: `engine, ${markets} markets`,
        value: Math.round(CANDLES / best),
        unit: 'candle times/s',
        note: `${fills} fills; alignment, rebalancing, per-market results included`,
      });
    }
  },
};
