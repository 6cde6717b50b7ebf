/**
 * Bench group (issue 14): the portfolio engine's speed with 2 and 10 markets (equal weights rebalanced every 20), the
 * portfolio environment's steps/s with 5 markets, and PPO over weights with 5 markets + cash, learning included.
 */
import { trainPortfolioAgent } from '../../agents/portfolio-agent.ts';
import type { PortfolioRecipe } from '../../agents/portfolio-recipe.ts';
import { equalWeightPolicy } from '../../agents/portfolio-strategy.ts';
import { Rng } from '../../core/random.ts';
import { alignSeries } from '../../data/timeline.ts';
import { computeFeatures } from '../../features/index.ts';
import { applyScaler, fitScaler } from '../../features/scaler.ts';
import { firstDecisionIndex, PortfolioEnv } from '../../market/portfolio-env.ts';
import { PortfolioObservationBuilder } from '../../market/portfolio-observation.ts';
import { initBackend } from '../../nn/backend/backend.ts';
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
    await envAndPpo(report);
  },
};

const ENV_CANDLES = 20_000;
const MARKETS = 5;

/** PortfolioEnv.step with 5 markets (rltrader-v1, window 10), random weights; then PPO over weights learning on it. */
async function envAndPpo(report: Parameters<BenchGroup['run']>[0]): Promise<void> {
  const series = Array.from({ length: MARKETS }, (_, m) => ({
    ...syntheticCandles({ seed: 200 + m, count: ENV_CANDLES, timeframe: '1h' }),
    symbol: `M${m}/KRW`,
  }));
  const costs = series.map(() => COST_PRESETS['upbit-krw']);
  const features = series.map((c) => {
    const m = computeFeatures(c, 'rltrader-v1');
    return {
      candles: c,
      features: {
        data: applyScaler(fitScaler('zscore', m, 0, m.rows), m),
        cols: m.cols,
        firstValidRow: m.firstValidRow,
      },
    };
  });
  const builder = new PortfolioObservationBuilder(features, MARKETS, 10);
  const timeline = alignSeries(series);
  const env = new PortfolioEnv({
    timeline,
    series,
    costs,
    balance: 10_000_000,
    band: 0.01,
    observation: builder,
    range: { from: firstDecisionIndex(timeline, builder), to: ENV_CANDLES },
    reward: { kind: 'logReturn' },
  });
  const rng = new Rng(5);
  let best = Infinity;
  let steps = 0;
  for (let k = 0; k < 3; k++) {
    env.reset();
    steps = 0;
    const started = performance.now();
    for (let done = false; !done; steps++) {
      const raw = Array.from({ length: MARKETS + 1 }, () => rng.next());
      const total = raw.reduce((a, b) => a + b, 0);
      done = env.step(raw.slice(0, MARKETS).map((x) => x / total)).done;
    }
    best = Math.min(best, (performance.now() - started) / 1000);
  }
  report({
    figure: `env, ${MARKETS} markets`,
    value: Math.round(steps / best),
    unit: 'steps/s',
    note: `random weights every step, ${MARKETS} × 10 × ${builder.cols} feature window, fills and reward included`,
  });

  const backend = await initBackend('auto');
  const recipe: PortfolioRecipe = {
    features: 'rltrader-v1',
    scaler: 'zscore',
    window: 10,
    network: { kind: 'dnn', hidden: [64, 32], dropout: 0, batchNorm: false, activation: 'tanh' },
    learner: { kind: 'ppo-weights', envs: 8, rolloutSteps: 60, epochsPerRollout: 4, minibatchSize: 120 },
    cash: true,
    reward: { kind: 'logReturn' },
    costs: 'config',
    epochs: 3,
    episodeLength: 60,
  };
  let learned = 0;
  const started = performance.now();
  const agent = trainPortfolioAgent({
    recipe,
    traded: series,
    informative: [],
    costs,
    balance: 10_000_000,
    band: 0.01,
    range: { from: 0, to: 5_000 },
    seed: 1,
    onEpoch: (_e, s) => (learned += s.steps),
  });
  const secs = (performance.now() - started) / 1000;
  agent.dispose();
  report({
    figure: `PPO over weights, ${MARKETS} markets + cash`,
    value: Math.round(learned / secs),
    unit: 'env steps/s',
    note: `learning included (8 envs × 60 steps, 4 passes of 120-row minibatches), dnn 64-32, ${backend.name}`,
  });
}
