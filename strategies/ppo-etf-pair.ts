import type { PortfolioStrategy } from '../src/agents/portfolio-strategy.ts';

/**
 * The PPO ETF-pair seed (issue 14; ../shared/seeds/002_*): the action is the split of the whole account between a
 * leveraged and an inverse instrument — one number, the leveraged share = sigmoid(u) with u Gaussian, the rest in the
 * inverse — decided from 10 candles of the index's features (min-max scaled, fitted on training rows) beside the two
 * instruments' own; 30-candle episodes, a −5% stop ends one. With `--sample` the index is the bundled S&P 500 and the
 * instruments its 2× and −1× daily-rebalanced series, derived from the bundled sample. On series derived from another
 * index (`bot data derive`), `--symbols` names the pair and `--informative` the index, replacing these.
 */
const strategy: PortfolioStrategy = {
  kind: 'portfolio',
  name: 'ppo-etf-pair',
  description: 'PPO splitting a fully invested account between a 2× and an inverse instrument, reading the index',
  recipe: {
    features: 'rltrader-v1',
    scaler: 'minmax',
    window: 10,
    symbols: ['SP500-2X/USD', 'SP500-INV/USD'],
    informative: ['SP500/USD'],
    network: { kind: 'dnn', hidden: [64, 32], dropout: 0, batchNorm: false, activation: 'tanh' },
    // the seed's action_std 0.6 → log-std −0.5; 8 episodes of 30 candles per update
    learner: {
      kind: 'ppo-weights',
      envs: 8,
      gamma: 0.9,
      learningRate: 3e-4,
      rolloutSteps: 30,
      epochsPerRollout: 4,
      minibatchSize: 60,
      clip: 0.2,
      initialLogStd: -0.5,
    },
    cash: false,
    reward: { kind: 'logReturn' },
    costs: 'config',
    epochs: 60,
    episodeLength: 30,
    stopLoss: 0.05,
    folds: 2,
    testShare: 0.3,
  },
};
export default strategy;
