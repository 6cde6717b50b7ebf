import type { AgentStrategy } from '../src/backtest/strategy.ts';
import type { AgentRecipe } from '../src/agents/recipe.ts';

/**
 * "Bitcoin trading with RL (9)": a sequence of 4 chart images (OHLC bars with moving average and volume, 32×30
 * pixels for 10 candles each) goes through a small CNN per image and a GRU over the sequence; DQN with replay.
 */
const recipe: AgentRecipe = {
  features: '',
  scaler: 'none',
  window: 0,
  image: { spec: 'ohlc:32x30:10', frames: 4 },
  network: { kind: 'cnnrnn', hidden: [8, 16], rnnUnits: 32, dropout: 0, batchNorm: false },
  learner: { kind: 'dqn', gamma: 0.9, learningRate: 1e-3, batchSize: 32, trainEvery: 16, warmup: 256, replayCapacity: 4000, target: { kind: 'periodic', every: 50 }, double: true },
  exploration: { kind: 'linear', start: 0.5, end: 0.02 },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
  epochs: 5,
};

const strategy: AgentStrategy = {
  kind: 'agent',
  name: 'cnnrnn-dqn',
  description: 'DQN on a CNN+GRU over sequences of 4 OHLC chart images (32×30, 10 candles each)',
  recipe,
};
export default strategy;
