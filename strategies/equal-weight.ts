import type { PortfolioStrategy } from '../src/agents/portfolio-strategy.ts';
import { equalWeightPolicy } from '../src/agents/portfolio-strategy.ts';

/** Equal weights over every market, fully invested, rebalanced every K candles (`--rebalance-every`, default 20). */
const strategy: PortfolioStrategy = {
  kind: 'portfolio',
  name: 'equal-weight',
  description: 'equal weights over the markets of --symbols, rebalanced every K candles',
  createPolicy: (ctx) => equalWeightPolicy(ctx.symbols.length, ctx.every),
};
export default strategy;
