import type { AgentStrategy } from '../src/agents/strategy.ts';
import type { AgentRecipe } from '../src/agents/recipe.ts';

/**
 * "Bitcoin trading with RL (9)": a sequence of 3 chart images (OHLC bars with moving average and volume, 16×15
 * pixels for 5 candles each) goes through a small CNN per image and a GRU over the sequence; DQN with replay.
 * Kept small: 2-D convolution training is slow on the wasm and cpu backends (see the bench group `learners`).
 */
const recipe: AgentRecipe = {
  features: '',
  scaler: 'none',
  window: 0,
  image: { spec: 'ohlc:16x15:5', frames: 3 },
  network: { kind: 'cnnrnn', hidden: [4, 8], rnnUnits: 16, dropout: 0, batchNorm: false },
  learner: {
    kind: 'dqn',
    gamma: 0.9,
    learningRate: 1e-3,
    batchSize: 16,
    trainEvery: 32,
    warmup: 128,
    replayCapacity: 4000,
    target: { kind: 'periodic', every: 50 },
    double: true,
  },
  exploration: { kind: 'linear', start: 0.5, end: 0.02 },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
  epochs: 5,
};

const strategy: AgentStrategy = {
  kind: 'agent',
  name: 'cnnrnn-dqn',
  description: 'DQN on a CNN+GRU over sequences of 3 OHLC chart images (16×15, 5 candles each)',
  recipe,
};
export default strategy;
