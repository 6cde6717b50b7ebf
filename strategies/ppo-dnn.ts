import type { AgentStrategy } from '../src/agents/strategy.ts';
import type { AgentRecipe } from '../src/agents/recipe.ts';

/**
 * PPO with buy/sell/hold: 16 environments on random windows of the training range stepped together with one batched
 * forward pass, GAE(λ = 0.95), clipped surrogate (ε = 0.2), 4 passes of minibatches per rollout.
 */
const recipe: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'zscore',
  window: 5,
  network: { kind: 'dnn', hidden: [64, 32], dropout: 0, batchNorm: false, activation: 'relu' },
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
    // issue 13: chosen on validation over four real series (README, "Defaults chosen by evidence"); was 0.01
    entropyCoef: 0.05,
  },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  // issue 13: trade only when switching beats keeping the position by a margin chosen on validation (probability units)
  decision: { margins: [0, 0.1, 0.2, 0.4] },
  // issue 13: epoch and margin chosen on 3 purged (1 day) and embargoed (1 day) validation windows, costs charged twice
  selection: { windows: 3, purge: 24, embargo: 24, turnoverCost: 1 },
  costs: 'config',
  epochs: 20,
};

const strategy: AgentStrategy = {
  kind: 'agent',
  name: 'ppo-dnn',
  description: 'PPO (clipped, GAE) with buy/sell/hold on a dense network, 16 environments batched',
  recipe,
};
export default strategy;
