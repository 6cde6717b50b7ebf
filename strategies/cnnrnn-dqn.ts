import type { AgentStrategy } from '../src/agents/strategy.ts';
import type { AgentRecipe } from '../src/agents/recipe.ts';

/**
 * "Bitcoin trading with RL (9)" at Jiang–Kelly–Xiu scale (issue 16): a sequence of 5 OHLC chart images — JKX's
 * 5-day image, 32×15 pixels: open tick, high–low bar and close tick per candle, a 5-candle moving average, volume bars
 * in the bottom fifth — goes through JKX blocks (5×3 convolution, batch norm, leaky ReLU, max-pool) with 16 and 32
 * filters per image and a GRU (32) over the sequence; DQN with replay.
 * Size chosen for the budget: `bot backtest --strategy cnnrnn-dqn --sample` must finish within 5 minutes on two
 * cores on today's tfjs engines. JKX's 20-candle image (64×60) with the same network costs 5× the CPU per training
 * step (78 against 16 ms on wasm), about 12 minutes for the sample's 5 epochs, so the 5-candle image is the one that
 * fits; batch 32 every 32 steps for the same reason (README "Chart-image recipes" has the measured times).
 */
const recipe: AgentRecipe = {
  features: '',
  scaler: 'none',
  window: 0,
  image: { spec: 'ohlc:32x15:5', frames: 5 },
  network: { kind: 'cnnrnn', hidden: [16, 32], rnnUnits: 32, dropout: 0, batchNorm: true },
  learner: {
    kind: 'dqn',
    gamma: 0.9,
    learningRate: 1e-3,
    batchSize: 32,
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
  description: 'DQN on a CNN (16/32 filters) + GRU over sequences of 5 JKX OHLC images (32×15: 5 candles, MA, volume)',
  recipe,
};
export default strategy;
