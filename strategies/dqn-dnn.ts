import type { AgentStrategy } from '../src/agents/strategy.ts';
import type { AgentRecipe } from '../src/agents/recipe.ts';

/**
 * The default agent. Sees the last 5 candles of RLTrader's price/volume ratios (z-scored on the training rows) and
 * its own position; a small dense network estimates buy/sell/hold values; double DQN with replay, a target network and
 * Huber loss learns them from log returns after costs; ε decays linearly as in RLTrader. Trades all-in / all-out.
 */
const recipe: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'zscore',
  window: 5,
  network: { kind: 'dnn', hidden: [64, 32], dropout: 0, batchNorm: false, activation: 'relu' },
  learner: {
    kind: 'dqn',
    gamma: 0.9,
    learningRate: 1e-3,
    batchSize: 128,
    trainEvery: 32,
    warmup: 512,
    target: { kind: 'periodic', every: 25 },
    double: true,
  },
  exploration: { kind: 'linear', start: 0.5, end: 0.02 },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  // issue 13: trade only when switching beats keeping the position by a margin chosen on validation
  // (Q-value units: with rewardScale 100, 0.2 ≈ one round trip of costs), and keep a position at least 48 candles
  // (chosen by the README's validation rule: 24 over 0 and 6 in round two, 48 over 24 and 96 in round three; see
  // "Knowing when not to trade, third round")
  decision: { margins: [0, 0.1, 0.2, 0.4, 0.8, 1.6], minHold: 48 },
  // issue 13: epoch and margin chosen on 3 purged (1 day) and embargoed validation windows, costs charged twice; the
  // embargo is raised to the 123 candles an observation reaches back (selectionOptions): no training row sees a window
  selection: { windows: 3, purge: 24, embargo: 24, turnoverCost: 1 },
  costs: 'config',
  epochs: 20,
};

const strategy: AgentStrategy = {
  kind: 'agent',
  name: 'dqn-dnn',
  description: 'double DQN on a dense network over 5 candles of RLTrader features; all-in / all-out',
  recipe,
};
export default strategy;
