/**
 * Hand-checked account arithmetic of `bot backtest`'s numbers on tiny series through the real engine (runBacktest,
 * computeMetrics): the cases an audit of the report found wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candlesFromRows, type Candles } from '../../src/core/candles.ts';
import type { Decision, Policy } from '../../src/core/policy.ts';
import { runBacktest } from '../../src/market/backtest-engine.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';
import { computeMetrics } from '../../src/market/metrics.ts';

const DAY = 86_400_000;

/** Daily candles opening and closing at the given prices, from 2024-01-01. */
function series(opens: readonly number[], closes: readonly number[] = opens): Candles {
  const rows = opens.map((open, i) => {
    const close = closes[i];
    return { ts: Date.UTC(2024, 0, 1) + i * DAY, open, high: Math.max(open, close), low: Math.min(open, close), close };
  });
  return candlesFromRows(
    'test',
    'BTC/KRW',
    '1d',
    rows.map((r) => ({ ...r, volume: 1 })),
  );
}

/** A policy that plays the given decisions in order (then holds). */
function scripted(decisions: readonly Decision[]): Policy {
  let k = 0;
  return { name: 'scripted', decide: () => decisions[k++] ?? { action: 'hold', confidence: 0 } };
}

test(`target sizing: a sell whose remainder would be below the minimum order sells everything (no unsellable \
dust left to count as exposure)`, () => {
  // Upbit KRW: 5,000 KRW minimum order; at 1e8 KRW a unit, target 0.03% of 10M KRW would leave 3,000 KRW held
  const candles = series([1e8, 1e8, 1e8, 1e8, 1e8]);
  const target = (targetPosition: number): Decision => ({ action: 'hold', confidence: 1, targetPosition });
  const r = runBacktest({
    candles,
    window: 0,
    range: { from: 0, to: 5 },
    costs: COST_PRESETS['upbit-krw'],
    balance: 10_000_000,
    sizing: { kind: 'target' },
    policy: scripted([target(1), target(0.0003), target(0), target(0)]),
  });
  assert.deepEqual(
    r.trades.map((t) => t.side),
    ['buy', 'sell'],
  );
  assert.equal(r.trades[1].unitsAfter, 0, 'the sell leaves nothing behind');
  assert.deepEqual(
    [...r.positions].map((u) => u > 0),
    [false, true, false, false, false],
  );
  assert.equal(computeMetrics(r).exposure, 1 / 5);
});
