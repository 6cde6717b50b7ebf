import type { PortfolioStrategy } from '../src/agents/portfolio-strategy.ts';
import { recipe as base } from './ppo-portfolio.ts';

/**
 * PPO over N markets + cash reading chart images (issue 14): as `ppo-portfolio`, but each observation also holds a
 * sequence of 2 JKX OHLC images (32×15 pixels: 5 candles, MA(5), volume) of every traded market, ending at the
 * decision's close. One CNN (JKX blocks, 8 and 16 filters) and a 64-wide embedding are shared by every series' frames;
 * a GRU (16) reads them series by series; the heads see its output beside the 2-candle feature windows, the weights
 * and the P/L. Sized so `bot backtest --strategy ppo-portfolio-cnn --sample` finishes within minutes on two cores.
 */
const strategy: PortfolioStrategy = {
  kind: 'portfolio',
  name: 'ppo-portfolio-cnn',
  description: "PPO target weights over --symbols and cash from each market's chart images (shared CNN + GRU)",
  recipe: {
    ...base,
    window: 2,
    image: { spec: 'ohlc:32x15:5', frames: 2 },
    network: { kind: 'cnnrnn', hidden: [8, 16], rnnUnits: 16, dropout: 0, batchNorm: true },
    // half the PPO passes per rollout and a quarter of the epochs: the image path's cost, sized for the sample
    learner: { ...base.learner, epochsPerRollout: 2 },
    epochs: 10,
  },
};
export default strategy;
