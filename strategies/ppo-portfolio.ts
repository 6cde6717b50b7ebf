import type { PortfolioStrategy } from '../src/agents/portfolio-strategy.ts';
import type { PortfolioRecipe } from '../src/agents/portfolio-recipe.ts';

/**
 * PPO over N markets + cash (issue 14): weights = softmax([u, 0]) with u a Gaussian around the network's output (cash
 * is the pinned category), from 10 candles of every market's features (and any `--informative` series'), the
 * current weights and P/L; 60-candle random episodes, a −10% stop ends one. Give the markets with
 * `--symbols BTC/KRW,ETH/KRW,XRP/KRW` (store or `--data`); `--sample` trades the bundled S&P 500 and its 2× and −1×
 * series.
 */
/** The recipe, also the base of `ppo-portfolio-cnn`. */
export const recipe: PortfolioRecipe = {
  features: 'rltrader-v1',
  scaler: 'zscore',
  window: 10,
  network: { kind: 'dnn', hidden: [64, 32], dropout: 0, batchNorm: false, activation: 'tanh' },
  learner: {
    kind: 'ppo-weights',
    envs: 8,
    gamma: 0.9,
    learningRate: 3e-4,
    rolloutSteps: 60,
    epochsPerRollout: 4,
    minibatchSize: 120,
    clip: 0.2,
    initialLogStd: -0.5,
  },
  cash: true,
  reward: { kind: 'logReturn' },
  costs: 'config',
  epochs: 40,
  episodeLength: 60,
  stopLoss: 0.1,
  folds: 2,
  testShare: 0.3,
};

const strategy: PortfolioStrategy = {
  kind: 'portfolio',
  name: 'ppo-portfolio',
  description: 'PPO target weights over the markets of --symbols and cash, Gaussian on logits through a softmax',
  recipe,
};
export default strategy;
