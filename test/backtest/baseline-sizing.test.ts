/**
 * The baselines trade like for like (src/backtest/baselines.ts): random and sma-cross with the strategy's own sizing,
 * buy-and-hold all-in whatever it is, and the report says which sizing each used when the strategy's is not all-in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBaselines } from '../../src/backtest/baselines.ts';
import { reportBacktest } from '../../src/backtest/rule-backtest.ts';
import { summaryTable } from '../../src/backtest/report.ts';
import { buyAndHoldPolicy, randomPolicy, smaCrossPolicy } from '../../src/agents/rule-policies.ts';
import type { Policy } from '../../src/core/policy.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { runBacktest } from '../../src/market/backtest-engine.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';
import type { SizingOptions } from '../../src/market/execution.ts';
import type { ScheduleRule } from '../../src/agents/decision-rule.ts';
import { computeMetrics } from '../../src/market/metrics.ts';

const candles = syntheticCandles({ seed: 8, count: 400 });
const range = { from: 60, to: 400 };
const costs = COST_PRESETS['upbit-krw'];
const balance = 10_000_000;
const confidence: SizingOptions = { kind: 'confidence', minTradeValue: 100_000, maxTradeValue: 1_000_000 };
const direct = (policy: Policy, sizing: SizingOptions) =>
  computeMetrics(runBacktest({ candles, window: 0, range, costs, balance, sizing, policy }), candles.timeframe);

test(`with confidence sizing, random and sma-cross trade with it (random seeds seed × 7919 + s) and buy-and-hold \
stays all-in`, () => {
  const b = runBaselines({ candles, range, costs, balance, sizing: confidence, randomSeeds: 3, seed: 2 });
  assert.deepEqual(b.buy_and_hold.metrics, direct(buyAndHoldPolicy(), { kind: 'all' }));
  assert.deepEqual(b.sma_cross.metrics, direct(smaCrossPolicy(candles, 20, 50), confidence));
  const sharpes = [0, 1, 2].map((s) => direct(randomPolicy(2 * 7919 + s), confidence).sharpe);
  assert.ok(Math.abs(b.random.metrics.sharpe - (sharpes[0] + sharpes[1] + sharpes[2]) / 3) < 1e-12);
  // before: every baseline traded all-in, whatever the strategy's sizing
  assert.notDeepEqual(b.sma_cross.metrics, direct(smaCrossPolicy(candles, 20, 50), { kind: 'all' }));
  assert.match(b.random.description, /sized as the strategy is \(confidence: 100000 \+ confidence/);
  assert.match(b.buy_and_hold.description, /all-in, whatever the strategy sizes/);
});

test('with target sizing, a random buy or sell rebalances to a random weight (not all-in / all-out)', () => {
  const target = runBaselines({ candles, range, costs, balance, sizing: { kind: 'target' }, randomSeeds: 2, seed: 1 });
  const allIn = runBaselines({ candles, range, costs, balance, sizing: { kind: 'all' }, randomSeeds: 2, seed: 1 });
  assert.notEqual(target.random.metrics.turnover, allIn.random.metrics.turnover);
  assert.deepEqual(target.buy_and_hold.metrics, allIn.buy_and_hold.metrics);
  assert.match(target.random.sizing, /uniformly random weight 0\.\.1/);
  // a weight strictly between 0 and 1 is held at some close: neither all cash nor all in
  const r = runBacktest({
    ...{ candles, window: 0, range, costs, balance, sizing: { kind: 'target' } },
    policy: randomPolicy(7919, true),
  });
  const partial = [...r.positions].some((u, i) => u > 0 && (r.equity[i] - u * r.close[i]) / r.equity[i] > 0.05);
  assert.ok(partial, 'some close holds a partial position');
});

/** SMA cross's report folder through the report step rule and saved-model runs share (with a saved model's rule). */
async function run(sizing: SizingOptions, rule?: ScheduleRule) {
  const result = runBacktest({ candles, window: 0, range, costs, balance, sizing, policy: smaCrossPolicy(candles) });
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'bot-baseline-sizing-')), 'run');
  const settings = {
    account: { balance, preset: 'upbit-krw' },
    backtest: { randomSeeds: 2 },
  } as Parameters<typeof reportBacktest>[0]['settings'];
  const series = { candles, label: 'synthetic', origin: 'file' as const };
  const strategy = { name: 'sma', kind: 'rule' as const, description: 'sma' };
  return reportBacktest({ settings, series, strategy, result, costs, sizing, seed: 1, out, rule });
}

test(`a rule backtest with confidence sizing says in the console table, report.html and report.json which sizing \
each baseline used; with all-in sizing nothing is added`, async () => {
  const sized = await run(confidence);
  const line = new RegExp(
    'baseline sizing: buy &(amp;)? hold all-in / all-out; flat none \\(no trades\\); ' +
      'random confidence: 100000 .*; sma-cross confidence',
  );
  assert.match(summaryTable(sized.report), line);
  assert.match(readFileSync(sized.files.html, 'utf8'), line);
  const json = JSON.parse(readFileSync(sized.files.json, 'utf8')) as {
    baselines: Record<string, { description: string }>;
  };
  assert.match(json.baselines.sma_cross.description, /sized as the strategy is \(confidence/);
  const allIn = await run({ kind: 'all' });
  assert.doesNotMatch(summaryTable(allIn.report), /baseline sizing/);
  assert.doesNotMatch(allIn.baselines.random.description, /sized/);
});

test("a saved model's report (the same report step) records the random baseline's rule in report.json", async () => {
  const ruled = await run({ kind: 'all' }, { every: 4, minHold: 6 });
  const json = JSON.parse(readFileSync(ruled.files.json, 'utf8')) as {
    baselines: { random: { description: string; rule?: unknown } };
  };
  assert.deepEqual(json.baselines.random.rule, { every: 4, minHold: 6 });
  assert.match(json.baselines.random.description, /decision rule: every 4, minHold 6/);
});
