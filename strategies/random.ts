import type { RuleStrategy } from '../src/agents/strategy.ts';
import { randomPolicy } from '../src/agents/rule-policies.ts';

const strategy: RuleStrategy = {
  kind: 'rule',
  name: 'random',
  description: 'uniformly random buy / sell / hold with random confidence (seeded by --seed)',
  createPolicy: ({ seed }) => randomPolicy(seed),
};
export default strategy;
