import type { AgentStrategy } from '../src/agents/strategy.ts';
import type { AgentRecipe } from '../src/agents/recipe.ts';

/**
 * REINFORCE with a learned value baseline and an entropy bonus; softmax policy over buy/sell/hold on a dense network.
 */
const recipe: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'zscore',
  window: 5,
  network: { kind: 'dnn', hidden: [64, 32], dropout: 0, batchNorm: false, activation: 'relu' },
  learner: { kind: 'pg', baseline: 'value', gamma: 0.9, learningRate: 1e-3, rolloutSteps: 256, entropyCoef: 0.01 },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
  epochs: 20,
};

const strategy: AgentStrategy = {
  kind: 'agent',
  name: 'pg-dnn',
  description:
    'REINFORCE with a value baseline and entropy bonus on a dense network over 5 candles of RLTrader features',
  recipe,
};
export default strategy;
