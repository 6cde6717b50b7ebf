import type { AgentStrategy } from '../src/agents/strategy.ts';
import type { AgentRecipe } from '../src/agents/recipe.ts';

/** Double DQN whose Q-network reads the last 10 candles of RLTrader features through an LSTM. All-in / all-out. */
const recipe: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'zscore',
  window: 10,
  network: { kind: 'lstm', hidden: [32], dropout: 0, batchNorm: false },
  learner: {
    kind: 'dqn',
    gamma: 0.9,
    learningRate: 1e-3,
    batchSize: 32,
    trainEvery: 16,
    warmup: 256,
    target: { kind: 'soft', tau: 0.05 },
    double: true,
  },
  exploration: { kind: 'exponential', start: 0.5, end: 0.02, decay: 0.8 },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
  epochs: 10,
};

const strategy: AgentStrategy = {
  kind: 'agent',
  name: 'dqn-lstm',
  description: 'double DQN on an LSTM over 10 candles of RLTrader features, soft target updates, exponential ε',
  recipe,
};
export default strategy;
