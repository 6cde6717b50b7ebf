import type { AgentStrategy } from '../src/agents/strategy.ts';
import type { AgentRecipe } from '../src/agents/recipe.ts';

/**
 * Advantage actor-critic: 1-D convolutions across the last 16 candles of RLTrader + TA features feed one trunk with a
 * value head and a softmax policy head; advantages from 5-step returns.
 */
const recipe: AgentRecipe = {
  features: 'rltrader-v1+ta',
  scaler: 'zscore',
  window: 16,
  network: { kind: 'cnn', hidden: [16, 16], dropout: 0, batchNorm: false, activation: 'relu' },
  learner: {
    kind: 'a2c',
    gamma: 0.9,
    learningRate: 5e-4,
    rolloutSteps: 32,
    advantage: 'nstep',
    nSteps: 5,
    entropyCoef: 0.01,
  },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
  epochs: 10,
};

const strategy: AgentStrategy = {
  kind: 'agent',
  name: 'a2c-cnn',
  description: 'A2C (5-step returns) on a 1-D CNN over 16 candles of RLTrader and TA features',
  recipe,
};
export default strategy;
