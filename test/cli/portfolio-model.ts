/** A seeded (untrained) portfolio model saved for the CLI tests of `bot predict` and `bot backtest --model`. */
import type { Candles } from '../../src/core/candles.ts';
import { createPortfolioAgent, portfolioBuilder, portfolioFeatures } from '../../src/agents/portfolio-agent.ts';
import { savePortfolioAgent } from '../../src/agents/portfolio-model.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { pairRecipe } from '../agents/portfolio-helpers.ts';

/**
 * A portfolio model of `series` (the first two traded, the rest informative) in `dir`, its scalers fitted on the first
 * 300 candles, recording `market` as the one it was trained on.
 */
export async function saveSeededPortfolioModel(
  dir: string,
  series: readonly Candles[],
  market: { exchange: string; timeframe: string },
  name: string,
): Promise<void> {
  await initBackend('cpu');
  const recipe = pairRecipe();
  const { features, scalers } = portfolioFeatures(recipe, series, series[0].ts[300]);
  const agent = createPortfolioAgent(recipe, portfolioBuilder(recipe, features, 2), scalers, 5);
  try {
    await savePortfolioAgent(dir, agent, {
      name,
      strategy: 'ppo-portfolio',
      seed: 5,
      trainingWindow: { from: isoTime(series[0].ts[0]), to: isoTime(series[0].ts[300]) },
      market,
    });
  } finally {
    agent.dispose();
  }
}
