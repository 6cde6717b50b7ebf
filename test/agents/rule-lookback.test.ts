/**
 * A rule strategy's `lookback`: a paper/live tick loads max(RULE_TICK_CANDLES, lookback) candles before the candle it
 * decides (rule and portfolio rule sources alike); a bad value is one line naming the strategy's file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadStrategy, RULE_TICK_CANDLES, type RuleStrategy } from '../../src/agents/strategy.ts';
import { UserError } from '../../src/core/errors.ts';
import { rulePolicySource } from '../../src/trading/rule-policy-source.ts';
import { portfolioRuleSource } from '../../src/trading/portfolio-policy-source.ts';
import { fixedWeightsPolicy } from '../../src/agents/portfolio-strategy.ts';
import { sliceCandles } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { Account } from '../../src/market/account.ts';
import { COST_PRESETS } from '../../src/market/costs.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bot-rule-lookback-'));
const STRATEGY = path.resolve('src/agents/strategy.ts');
const POLICIES = path.resolve('src/agents/rule-policies.ts');

function strategyFile(name: string, lookback: string | undefined): string {
  const file = path.join(dir, `${name}.ts`);
  writeFileSync(
    file,
    `import type { RuleStrategy } from '${STRATEGY}';\n` +
      `import { smaCrossPolicy } from '${POLICIES}';\n` +
      `const s: RuleStrategy = { kind: 'rule', name: '${name}', description: 'long EMA', ` +
      (lookback === undefined ? '' : `lookback: ${lookback}, `) +
      `createPolicy: ({ candles }) => smaCrossPolicy(candles, 20, 500) };\nexport default s;\n`,
  );
  return file;
}

test("a rule's declared lookback is what its tick loads, never less than RULE_TICK_CANDLES", async () => {
  const long = (await loadStrategy(strategyFile('long', '10000'))) as RuleStrategy;
  assert.equal(rulePolicySource(long, 1).lookback, 10_000);
  const plain = (await loadStrategy(strategyFile('plain', undefined))) as RuleStrategy;
  assert.equal(rulePolicySource(plain, 1).lookback, RULE_TICK_CANDLES);
  const short = (await loadStrategy(strategyFile('short', '50'))) as RuleStrategy;
  assert.equal(rulePolicySource(short, 1).lookback, RULE_TICK_CANDLES, 'the default still bounds RSI/EMA(50)');
  const pf = {
    kind: 'portfolio' as const,
    name: 'fixed',
    description: 'fixed weights',
    lookback: 5000,
    createPolicy: () => fixedWeightsPolicy('fixed', [0.5, 0.5], 1),
  };
  assert.equal(portfolioRuleSource(pf, { symbols: ['A/KRW', 'B/KRW'], seed: 1, every: 1 }).lookback, 5000);
});

test('a bad lookback: one line naming the strategy file', async () => {
  for (const bad of ['0', '2.5', "'500'", '-3']) {
    const file = strategyFile(`bad${bad.replace(/\W/g, '')}`, bad);
    await assert.rejects(
      loadStrategy(file),
      (e: Error) =>
        e instanceof UserError &&
        e.message.startsWith(`${file}: lookback must be a whole number of candles ≥ 1, got `) &&
        !e.message.includes('\n'),
      bad,
    );
  }
});

/** Long while the close is above its EMA(800) seeded at the first close it is given, flat otherwise. */
function longEmaRule(lookback?: number): RuleStrategy {
  return {
    kind: 'rule',
    name: 'ema-800',
    description: 'close against its EMA(800)',
    ...(lookback === undefined ? {} : { lookback }),
    createPolicy: ({ candles }) => {
      const ema = new Float64Array(candles.close.length);
      const a = 2 / 801;
      candles.close.forEach((c, i) => (ema[i] = i === 0 ? c : a * c + (1 - a) * ema[i - 1]));
      return {
        name: 'ema-800',
        decide: (obs) => ({ action: candles.close[obs.t] > ema[obs.t] ? 'buy' : 'sell', confidence: 1 }),
      };
    },
  };
}

/**
 * Which of candles 1,500…3,999 a paper tick decides otherwise than the backtest over the whole series: the tick's
 * policy is built over the source's look-back before the candle, as the trader loads it.
 */
async function ticksThatDiffer(strategy: RuleStrategy): Promise<number[]> {
  const candles = syntheticCandles({ seed: 7, count: 4000, timeframe: '1h', start: Date.UTC(2020, 0, 1) });
  const source = rulePolicySource(strategy, 1);
  const whole = await source.forCandles(candles);
  const account = new Account(1_000_000, COST_PRESETS['upbit-krw']);
  const differ: number[] = [];
  for (let t = 1500; t < 4000; t++) {
    const from = Math.max(0, t - (source.lookback ?? 0));
    const tick = await source.forCandles(sliceCandles(candles, from, t + 1));
    const mine = tick.policy.decide(tick.observe(t - from, account)).action;
    if (mine !== whole.policy.decide(whole.observe(t, account)).action) differ.push(t);
  }
  return differ;
}

test(`paper = backtest for a rule whose EMA reaches past RULE_TICK_CANDLES only when it declares its lookback: \
EMA(800) decides otherwise at the default look-back, the same with lookback 4000`, async () => {
  assert.ok((await ticksThatDiffer(longEmaRule())).length > 0, 'the default look-back cuts the EMA short somewhere');
  assert.deepEqual(await ticksThatDiffer(longEmaRule(4000)), []);
});
