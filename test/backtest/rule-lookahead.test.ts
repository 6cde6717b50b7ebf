/**
 * A user's rule strategy file that tries to read candles after the one it decides: through the observation it sees
 * only candles 0…t (so it cannot profit; test/backtest/engine.test.ts corrupts the future under one), through the
 * series its createPolicy was given it is caught by the backtest with a one-line error; the paper trader's
 * observations end at t as well.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { COST_PRESETS } from '../../src/market/costs.ts';
import { ObservationBuilder } from '../../src/market/observation.ts';
import { Account } from '../../src/market/account.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { rulePolicySource } from '../../src/trading/rule-policy-source.ts';
import { runBot } from '../cli/run.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bot-rule-lookahead-'));
const costs = COST_PRESETS['upbit-krw'];

/**
 * A strategy file that buys when the next close is higher, reading closes from `series`: `o.candles.close` (the
 * walkthrough's, through the observation) or `candles.close` (the series createPolicy was handed, kept in the closure).
 */
function peekFile(name: string, series: string): string {
  return `export default {
  kind: 'rule',
  name: '${name}',
  description: 'buys when the next close is higher',
  createPolicy: ({ candles }: { candles: { close: Float64Array } }) => ({
    name: '${name}',
    decide: (o: { t: number; candles: { close: Float64Array } }) => ({
      action: ${series}[o.t + 1] > ${series}[o.t] ? 'buy' : 'sell',
      confidence: 1,
    }),
  }),
};
`;
}

function strategyFile(name: string, text: string): string {
  const file = path.join(dir, `${name}.ts`);
  writeFileSync(file, text);
  return file;
}

const bot = (args: string[]) => runBot([...args, '--log-level', 'error'], {}, dir);

test(`bot backtest of a strategy file reading close[t + 1] from its observation: it sees undefined there and \
never buys, instead of a fantastic return`, async () => {
  strategyFile('peek', peekFile('peek', 'o.candles.close'));
  const out = path.join(dir, 'peek-report');
  const r = await bot(['backtest', '--strategy', './peek.ts', '--sample', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as {
    metrics: { totalReturn: number; requested: { buy: number } };
  };
  // undefined > close is false: every decision asks to sell
  assert.equal(report.metrics.requested.buy, 0);
  assert.equal(report.metrics.totalReturn, 0);
});

test(`bot backtest of a strategy file whose createPolicy keeps the series and reads past t: one line naming the \
strategy, exit 1`, async () => {
  strategyFile('keep', peekFile('keep', 'candles.close'));
  const r = await bot(['backtest', '--strategy', './keep.ts', '--sample']);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /^error: strategy "keep" decides (buy|sell) .* reads candles after the one it decides .*\n$/);
});

test(`bot backtest of a strategy file that peeks at createPolicy's series only before moves over 3% (34 acting \
decisions among 1297 holds): one line naming the strategy, exit 1, no report`, async () => {
  // close[t + 2] / close[t + 1]: the move of the candle its order would fill at the open of
  strategyFile(
    'sneaky',
    `export default {
  kind: 'rule',
  name: 'sneaky',
  description: 'trades before large moves',
  createPolicy: ({ candles }: { candles: { close: Float64Array } }) => ({
    name: 'sneaky',
    decide: (o: { t: number }) => {
      const move = candles.close[o.t + 2] / candles.close[o.t + 1] - 1;
      if (move > 0.03) return { action: 'buy', confidence: 1 };
      if (move < -0.03) return { action: 'sell', confidence: 1 };
      return { action: 'hold', confidence: 0 };
    },
  }),
};
`,
  );
  const out = path.join(dir, 'sneaky-report');
  const r = await bot(['backtest', '--strategy', './sneaky.ts', '--sample', '--from', '2015-01-01', '--out', out]);
  assert.equal(r.code, 1, r.stdout);
  assert.match(
    r.stderr,
    /^error: strategy "sneaky" decides (buy|sell) .* reads candles after the one it decides .*\n$/,
  );
  assert.equal(existsSync(path.join(out, 'report.json')), false);
});

test('the paper trader catching up several candles hands the rule candles 0…t at each of them', () => {
  const candles = syntheticCandles({ seed: 3, count: 50 });
  const source = rulePolicySource(
    {
      kind: 'rule',
      name: 'x',
      description: 'x',
      createPolicy: () => ({
        name: 'x',
        decide: () => ({ action: 'hold', confidence: 0 }),
      }),
    },
    1,
  );
  const handle = source.forCandles(candles);
  assert.ok(!(handle instanceof Promise));
  const account = new Account(1_000_000, costs);
  for (const t of [10, 11, 30]) {
    const obs = handle.observe(t, account);
    assert.equal(obs.candles.close.length, t + 1);
    assert.equal(obs.candles.ts.length, t + 1);
    assert.equal(obs.candles.close[t], candles.close[t]);
    assert.equal(obs.candles.close[t + 1], undefined);
    // nor through the view's buffer
    assert.ok(
      new Float64Array(obs.candles.close.buffer).slice(t + 1).every((x) => !Number.isFinite(x)),
      `t=${t}`,
    );
  }
});

/** Values a column view's whole buffer holds after index `t` that are candles (not its unused NaN room). */
const beyond = (view: Float64Array, t: number) =>
  new Float64Array(view.buffer).slice(t + 1).filter((x) => Number.isFinite(x)).length;

test(`a column view kept from candle t and read again later reaches no more than the present through its buffer, \
also after the copy grows and after t goes back`, () => {
  const candles = syntheticCandles({ seed: 5, count: 200 });
  const builder = new ObservationBuilder({ candles, window: 0 });
  const account = new Account(1_000_000, costs);
  const kept = builder.build(10, account).candles.close;
  for (const now of [11, 15, 40, 150]) {
    const view = builder.build(now, account).candles.close;
    assert.deepEqual([...view], [...candles.close.subarray(0, now + 1)]);
    assert.equal(beyond(view, now), 0, `t=${now}`);
    assert.equal(beyond(kept, now), 0, `the view kept from t=10, at t=${now}`);
    assert.deepEqual([...kept], [...candles.close.subarray(0, 11)]);
  }
  const back = builder.build(5, account).candles;
  assert.equal(beyond(back.close, 5), 0, 'after going back to t=5');
  assert.equal(beyond(back.open, 5), 0, 'a column first read at t=5');
  assert.deepEqual([...back.close], [...candles.close.subarray(0, 6)]);
});
