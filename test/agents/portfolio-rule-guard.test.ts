/**
 * A portfolio rule whose weights break the portfolio contract (wrong length, NaN, negative, summing above 1, not an
 * array) stops the run with one line naming the strategy, the candle time and the weights: in the backtest (the
 * policy `bot backtest --symbols` builds) and in paper and live (the policy source their traders ask), one guard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HaltError } from '../../src/core/errors.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import type { PortfolioStrategy } from '../../src/agents/portfolio-strategy.ts';
import { createPortfolioRulePolicy } from '../../src/agents/portfolio-rule-guard.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';
import { runPortfolioBacktest, type PortfolioPolicy } from '../../src/market/portfolio-engine.ts';
import { portfolioRuleSource } from '../../src/trading/portfolio-policy-source.ts';

const H = 3_600_000;
const series = [
  { ...syntheticCandles({ seed: 1, count: 40, timeframe: '1h', start: 0 }), symbol: 'A/KRW' },
  { ...syntheticCandles({ seed: 2, count: 40, timeframe: '1h', start: 0 }), symbol: 'B/KRW' },
];
const ctx = { symbols: ['A/KRW', 'B/KRW'], seed: 1, every: 1 };
const upbit = COST_PRESETS['upbit-krw'];
/** A portfolio rule (createPolicy), not a learning strategy. */
type Rule = Extract<PortfolioStrategy, { recipe?: undefined }>;

/** A rule that keeps cash until candle 5, then returns `bad`. */
function strategy(bad: unknown): Rule {
  return {
    kind: 'portfolio',
    name: 'bad',
    description: 'bad weights at candle 5',
    createPolicy: () => ({ name: 'bad', decide: (v) => (v.t < 5 ? [0.5, 0.5] : (bad as number[] | null)) }),
  };
}

function run(policy: PortfolioPolicy): void {
  runPortfolioBacktest({ series, costs: [upbit, upbit], balance: 10_000_000, policy });
}

const AT = isoTime(5 * H);
const cases: [unknown, RegExp][] = [
  [[1], /returned \[1\]: 1 weights for 2 markets$/],
  [[0.5, NaN], /returned \[0\.5, NaN\]: weight NaN for market 2: weights must be numbers ≥ 0 \(spot only\)$/],
  [[-0.1, 0.5], /returned \[-0\.1, 0\.5\]: weight -0\.1 for market 1: weights must be numbers ≥ 0/],
  [[0.6, 0.6], /returned \[0\.6, 0\.6\]: the weights sum to 1\.2, more than 1 \(no leverage\)$/],
  [[0.5, '0.5'], /returned \[0\.5, "0\.5"\]: weight "0\.5" for market 2/],
  [0.5, /returned 0\.5, not 2 target weights or null$/],
];

for (const [bad, message] of cases) {
  test(`weights ${JSON.stringify(bad)}: one line naming the strategy, the candle time and the value`, () => {
    const paper = portfolioRuleSource(strategy(bad), ctx).forSeries(series, []);
    assert.ok(paper && !(paper instanceof Promise));
    const policies = { backtest: createPortfolioRulePolicy(strategy(bad), ctx), 'paper and live': paper.policy };
    for (const [where, policy] of Object.entries(policies)) {
      assert.throws(
        () => run(policy),
        (e: unknown) => {
          assert.ok(e instanceof HaltError, `${where}: ${String(e)}`);
          assert.ok(e.message.startsWith(`strategy "bad": decide at ${AT} returned `), `${where}: ${e.message}`);
          assert.match(e.message, message, where);
          assert.ok(!e.message.includes('\n'));
          return true;
        },
      );
    }
  });
}

test('weights within the contract (a typed array, cash left over, null) run as before', () => {
  for (const ok of [new Float64Array([0.3, 0.2]), [0, 0], [0.5, 0.5 + 1e-12], null]) {
    assert.doesNotThrow(() => run(createPortfolioRulePolicy(strategy(ok), ctx)), JSON.stringify(ok));
  }
});

test('what createPolicy or decide throws is one line naming the strategy', () => {
  const throwing: Rule = {
    kind: 'portfolio',
    name: 'boom',
    description: 'x',
    createPolicy: () => ({
      name: 'boom',
      decide: () => {
        throw new Error('no weights today');
      },
    }),
  };
  assert.throws(
    () => run(createPortfolioRulePolicy(throwing, ctx)),
    (e: unknown) => e instanceof HaltError && /^strategy "boom": decide at \S+ threw: no weights today/.test(e.message),
  );
});
