import type { AgentStrategy } from '../src/agents/strategy.ts';
import type { AgentRecipe } from '../src/agents/recipe.ts';

/**
 * RLTrader's A2C-CNN (quantylab/rltrader v3): value and policy heads on one CNN over the last 5 candles of its
 * rltrader-v1 features, one fit per epoch (policy target sigmoid(advantage)), ε from 1 to 0, confidence-scaled trading
 * unit, delayed reward at 5%, KRX costs.
 */
const recipe: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'none',
  window: 5,
  network: { kind: 'cnn' },
  learner: { kind: 'rltrader', net: 'a2c', gamma: 0.9, learningRate: 1e-3 },
  exploration: { kind: 'linear', start: 1, end: 0 },
  sizing: 'confidence',
  reward: { kind: 'delayed', threshold: 0.05 },
  costs: 'krx-stock',
  epochs: 100,
};

const strategy: AgentStrategy = {
  kind: 'agent',
  name: 'rltrader-a2c-cnn',
  description: "RLTrader's A2C-CNN: delayed reward, confidence-scaled trading unit, one fit per epoch, KRX costs",
  recipe,
};
export default strategy;
