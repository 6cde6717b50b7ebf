import type { AgentStrategy } from '../src/agents/strategy.ts';
import type { AgentRecipe } from '../src/agents/recipe.ts';

/**
 * RLTrader's DQN-DNN (quantylab/rltrader v3), like for like: its rltrader-v1 features of one candle plus the agent
 * state, its DNN (256-128-64-32, sigmoid, batch norm, dropout), one fit per epoch on the epoch's memory with targets
 * from the final P/L, ε from 1 down to 0, trading unit scaled by confidence, delayed reward at a 5% threshold, and
 * Korean stock costs (0.015% commission, 0.25% sell tax).
 */
const recipe: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'none',
  window: 1,
  network: { kind: 'dnn' },
  learner: { kind: 'rltrader', net: 'dqn', gamma: 0.9, learningRate: 1e-3 },
  exploration: { kind: 'linear', start: 1, end: 0 },
  sizing: 'confidence',
  reward: { kind: 'delayed', threshold: 0.05 },
  costs: 'krx-stock',
  epochs: 100,
};

const strategy: AgentStrategy = {
  kind: 'agent',
  name: 'rltrader-dqn-dnn',
  description: "RLTrader's DQN-DNN: delayed reward, confidence-scaled trading unit, one fit per epoch, KRX costs",
  recipe,
};
export default strategy;
