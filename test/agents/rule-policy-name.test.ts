/**
 * A rule whose policy has no `name` records its decisions under the strategy's name: paper and live store it in
 * trading_decisions.policy (NOT NULL), where a missing one crashed the first decision after a passing backtest
 * (audit, session 38, item 3). Single-market and portfolio rules alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { createRulePolicy } from '../../src/agents/rule-guard.ts';
import { createPortfolioRulePolicy } from '../../src/agents/portfolio-rule-guard.ts';
import type { Policy } from '../../src/core/policy.ts';
import type { PortfolioPolicy } from '../../src/market/portfolio-engine.ts';

test('a rule policy without a name takes its strategy name', () => {
  const candles = syntheticCandles({ seed: 1, count: 10, timeframe: '1h', start: 0 });
  const policy = createRulePolicy(
    {
      kind: 'rule',
      name: 'unnamed-rule',
      description: 'its policy has no name',
      createPolicy: () => ({ decide: () => ({ action: 'hold' }) }) as unknown as Policy,
    },
    { candles, seed: 1 },
  );
  assert.equal(policy.name, 'unnamed-rule');
  const portfolio = createPortfolioRulePolicy(
    {
      name: 'unnamed-weights',
      createPolicy: () => ({ decide: () => [0.5, 0.5] }) as unknown as PortfolioPolicy,
    },
    { symbols: ['A/KRW', 'B/KRW'], seed: 1, every: 1 },
  );
  assert.equal(portfolio.name, 'unnamed-weights');
});
