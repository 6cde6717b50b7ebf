import type { AgentStrategy } from '../src/agents/strategy.ts';
import type { AgentRecipe } from '../src/agents/recipe.ts';

/**
 * FinRL's ensemble strategy (Yang et al. 2020; issue 13): per walk-forward window, DQN, PPO and A2C are trained on the
 * same rows with the same features and network as dqn-dnn and ppo-dnn, and the one with the best validation Sharpe
 * after costs trades the window. Each candidate keeps its own switching margins (Q-value vs probability units).
 */
const dqn = {
  kind: 'dqn',
  gamma: 0.9,
  learningRate: 1e-3,
  batchSize: 128,
  trainEvery: 32,
  warmup: 512,
  target: { kind: 'periodic', every: 25 },
  double: true,
} as const;

const recipe: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'zscore',
  window: 5,
  network: { kind: 'dnn', hidden: [64, 32], dropout: 0, batchNorm: false, activation: 'relu' },
  learner: dqn,
  sizing: 'all',
  reward: { kind: 'logReturn' },
  selection: { windows: 3, purge: 24, embargo: 24, turnoverCost: 1 },
  costs: 'config',
  epochs: 20,
  learnerChoice: {
    candidates: [
      {
        learner: dqn,
        exploration: { kind: 'linear', start: 0.5, end: 0.02 },
        decision: { margins: [0, 0.1, 0.2, 0.4, 0.8, 1.6] },
      },
      {
        learner: {
          kind: 'ppo',
          action: 'discrete',
          envs: 16,
          gamma: 0.9,
          learningRate: 1e-3,
          rolloutSteps: 64,
          epochsPerRollout: 4,
          minibatchSize: 512,
          clip: 0.2,
          entropyCoef: 0.05,
        },
        decision: { margins: [0, 0.1, 0.2, 0.4] },
      },
      { learner: { kind: 'a2c', gamma: 0.9, learningRate: 1e-3 }, decision: { margins: [0, 0.1, 0.2, 0.4] } },
    ],
  },
};

const strategy: AgentStrategy = {
  kind: 'agent',
  name: 'finrl-dnn',
  description: "FinRL's ensemble strategy: per window the best of DQN, PPO and A2C by validation Sharpe",
  recipe,
};
export default strategy;
