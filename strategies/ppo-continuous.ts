import type { AgentStrategy } from '../src/agents/strategy.ts';
import type { AgentRecipe } from '../src/agents/recipe.ts';

/**
 * The PPO ETF notebook's idea: the action is the fraction of portfolio value to hold in the asset (0..1), drawn from a
 * Gaussian around the policy's mean with a learned spread; 10 candles of min-max scaled features; a −5% stop-loss ends
 * a training episode. Orders rebalance to the target position.
 */
const recipe: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'minmax',
  window: 10,
  network: { kind: 'dnn', hidden: [64, 32], dropout: 0, batchNorm: false, activation: 'tanh' },
  learner: {
    kind: 'ppo',
    action: 'continuous',
    envs: 4,
    gamma: 0.9,
    learningRate: 1e-3,
    rolloutSteps: 128,
    epochsPerRollout: 4,
    minibatchSize: 128,
    clip: 0.2,
    initialLogStd: -1,
  },
  sizing: 'target',
  reward: { kind: 'logReturn' },
  costs: 'config',
  episodeLength: 250,
  epochs: 20,
};

const strategy: AgentStrategy = {
  kind: 'agent',
  name: 'ppo-continuous',
  description: 'PPO with a continuous target position (fraction of value held), Gaussian policy, min-max features',
  recipe,
};
export default strategy;
