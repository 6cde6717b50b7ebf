import type { RuleStrategy } from '../src/agents/strategy.ts';
import { smaCrossPolicy } from '../src/agents/rule-policies.ts';

/** Moving-average crossover on closes: long while SMA(20) > SMA(50), flat while below. */
const strategy: RuleStrategy = {
  kind: 'rule',
  name: 'sma-cross',
  description: 'long while SMA(20) of closes is above SMA(50), flat otherwise',
  createPolicy: ({ candles }) => smaCrossPolicy(candles, 20, 50),
};
export default strategy;
