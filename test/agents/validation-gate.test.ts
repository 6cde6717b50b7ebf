/**
 * The validation gate (issue 13, src/agents/validation-gate.ts): what a fallen-back policy does, the one-line errors,
 * and the look-ahead check — training, the gate's verdict and the decisions up to a candle do not change when every
 * candle after it is rewritten, for both places the gate compares (the selection windows, the held-out window).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import type { Candles } from '../../src/core/candles.ts';
import { UserError } from '../../src/core/errors.ts';
import type { Observation } from '../../src/core/policy.ts';
import { checkDecisionRule, PLAIN_RULE } from '../../src/agents/decision-rule.ts';
import { AgentPolicy } from '../../src/agents/load-agent.ts';
import type { DecidingNet } from '../../src/agents/greedy-decision.ts';
import { checkRecipe, type AgentRecipe } from '../../src/agents/recipe.ts';
import type { Fold } from '../../src/agents/splits.ts';
import { trainOnFold } from '../../src/agents/train-fold.ts';
import type { GateKind } from '../../src/agents/selection.ts';
import { SMALL_RECIPE } from '../trading/agents.ts';
import { quietLogger, testConfig } from './helpers.ts';

const config = testConfig();

before(async () => {
  await initBackend('wasm');
});

test('a fallen-back policy trades its baseline from the position alone, never asking the network', () => {
  const candles = syntheticCandles({ seed: 3, count: 200, timeframe: '1h', start: Date.UTC(2024, 0, 1) });
  const asked = { n: 0 };
  // a network that wants to buy whatever it sees, and counts how often it is asked
  const counting: DecidingNet = {
    continuous: false,
    policyOutput: 'softmax',
    dispose: () => {},
    forwardOne: () => {
      asked.n++;
      return { value: new Float32Array([1, 0, 0]) };
    },
  };
  {
    const obs = (held: number): Observation =>
      ({ t: 150, candles, state: new Float32Array([held, 0]), fills: 0 }) as unknown as Observation;
    const flat = new AgentPolicy('gated', counting, checkDecisionRule({ fallback: 'flat' }, 'test'));
    assert.equal(flat.decide(obs(0)).action, 'hold', 'flat in cash: hold');
    assert.equal(flat.decide(obs(1)).action, 'sell', 'flat holding: sell everything');
    const hold = new AgentPolicy('gated', counting, checkDecisionRule({ fallback: 'buyAndHold' }, 'test'));
    assert.equal(hold.decide(obs(0)).action, 'buy', 'buy-and-hold in cash: buy');
    assert.equal(hold.decide(obs(1)).action, 'hold', 'buy-and-hold holding: hold');
    assert.equal(asked.n, 0, 'the network is not asked');
    assert.equal(new AgentPolicy('plain', counting, PLAIN_RULE).decide(obs(0)).action, 'buy');
    assert.equal(asked.n, 1, 'without a fallback it is');
  }
});

test('a bad fallback or gate stops with one line', () => {
  assert.throws(
    () => checkDecisionRule({ fallback: 'cash' as never }, 'model m: meta.json learner.decision'),
    (e: unknown) => e instanceof UserError && /fallback must be one of flat, buyAndHold/.test(e.message),
  );
  const recipe = { ...SMALL_RECIPE, selection: { gate: 'always' } } as unknown as AgentRecipe;
  assert.throws(
    () => checkRecipe('strategies/x.ts', recipe),
    (e: unknown) => e instanceof UserError && /recipe\.selection\.gate/.test(e.message) && !e.message.includes('\n'),
  );
});

/** Rewrites every candle after `cut` (prices scaled by a wave): what a decision at or before `cut` must not see. */
function rewriteAfter(c: Candles, cut: number): Candles {
  const future = structuredClone(c);
  for (let i = cut + 1; i < future.close.length; i++) {
    const k = 1 + 0.05 * Math.sin(i);
    future.open[i] *= k;
    future.close[i] *= k;
    future.high[i] *= k * 1.01;
    future.low[i] *= k * 0.99;
  }
  return future;
}

for (const gate of ['selectionWindows', 'heldOutWindow'] as GateKind[]) {
  test(`the gate (${gate}) does not look ahead: a rewritten future leaves the verdict`, async (t) => {
    const candles = syntheticCandles({ seed: 5, count: 640, timeframe: '1h', start: Date.UTC(2024, 0, 1) });
    const fold: Fold = {
      index: 0,
      train: { from: 130, to: 440 },
      validation: { from: 440, to: 540 },
      test: { from: 540, to: 640 },
    };
    const recipe: AgentRecipe = {
      ...SMALL_RECIPE,
      learner: { ...SMALL_RECIPE.learner, warmup: 64, batchSize: 32, trainEvery: 8 } as AgentRecipe['learner'],
      decision: { margins: [0, 0.4] },
      selection: { windows: 2, purge: 4, embargo: 4, turnoverCost: 1, gate },
    };
    // the cut is the validation window's end: everything after it is test, which neither training nor gate may see
    const cut = fold.validation.to - 1;
    const run = async (c: Candles) => {
      const agent = await trainOnFold({
        settings: config,
        recipe,
        strategyName: 'gated',
        candles: c,
        fold,
        seed: 2,
        epochs: 2,
        logger: quietLogger(),
        label: 'gate',
      });
      try {
        return { gate: agent.gate, rule: agent.rule, actions: Array.from(agent.backtest(fold.test).actions) };
      } finally {
        agent.dispose();
      }
    };
    const a = await run(candles);
    const b = await run(rewriteAfter(candles, cut));
    assert.ok(a.gate, 'the gate ran');
    t.diagnostic(JSON.stringify(a.gate));
    assert.deepEqual(b.gate, a.gate, 'the verdict and its scores do not see the future');
    assert.deepEqual(b.rule, a.rule, 'neither does the rule traded');
    // the first test decision (at the cut's next candle) is made on data up to it, which is rewritten: only the
    // fallback's or the rule's own state can keep it; the verdict is what must not move
    if (!a.gate.fallback) assert.notDeepEqual(b.actions, a.actions, 'the network sees the rewritten test candles');
  });
}
