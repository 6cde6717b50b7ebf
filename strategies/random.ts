import type { RuleStrategy } from '../src/backtest/strategy.ts';
import { randomPolicy } from '../src/backtest/rules.ts';

const strategy: RuleStrategy = {
  kind: 'rule',
  name: 'random',
  description: 'uniformly random buy / sell / hold with random confidence (seeded by --seed)',
  createPolicy: ({ seed }) => randomPolicy(seed),
};
export default strategy;
