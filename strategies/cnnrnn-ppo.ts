import type { AgentStrategy } from '../src/agents/strategy.ts';
import type { AgentRecipe } from '../src/agents/recipe.ts';

/**
 * PPO over candlestick charts with indicator panels (issue 16): each observation is a sequence of 3 images of the
 * last 10 candles, 32×30 pixels in 4 layers — candles, MA(5) and Bollinger bands (20, 2), volume panel, RSI(14)
 * panel with its 30/70 guides — through JKX blocks (5×3 convolution, batch norm, leaky ReLU, max-pool) with 16 and
 * 32 filters and a GRU (32); buy/sell/hold with 8 environments stepped together, GAE, clipped surrogate.
 * `bot chart --spec candles:32x30:10:layers:ma5:bb:volume:rsi --scale 8` shows the picture in colour.
 * Size chosen so `bot backtest --strategy cnnrnn-ppo --sample` stays within minutes on two cores on today's tfjs
 * engines (README "Chart-image recipes" has the measured times).
 */
const recipe: AgentRecipe = {
  features: '',
  scaler: 'none',
  window: 0,
  image: { spec: 'candles:32x30:10:layers:ma5:bb:volume:rsi', frames: 3 },
  network: { kind: 'cnnrnn', hidden: [16, 32], rnnUnits: 32, dropout: 0, batchNorm: true },
  learner: {
    kind: 'ppo',
    action: 'discrete',
    envs: 8,
    gamma: 0.9,
    learningRate: 5e-4,
    rolloutSteps: 32,
    epochsPerRollout: 2,
    minibatchSize: 64,
    clip: 0.2,
    entropyCoef: 0.01,
  },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
  epochs: 5,
};

const strategy: AgentStrategy = {
  kind: 'agent',
  name: 'cnnrnn-ppo',
  // the numbers come from the recipe, so the text cannot drift from it again (it said 5 images for frames: 3)
  description:
    `PPO on a CNN (${recipe.network.hidden?.join('/')} filters) + GRU over ${recipe.image?.frames} candlestick ` +
    'images with MA/Bollinger, volume and RSI layers',
  recipe,
};
export default strategy;
