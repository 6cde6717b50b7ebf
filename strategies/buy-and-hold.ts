import type { RuleStrategy } from '../src/agents/strategy.ts';
import { buyAndHoldPolicy } from '../src/agents/rule-policies.ts';

const strategy: RuleStrategy = {
  kind: 'rule',
  name: 'buy-and-hold',
  description: 'buy everything at the first decision, hold to the end',
  createPolicy: () => buyAndHoldPolicy(),
};
export default strategy;
