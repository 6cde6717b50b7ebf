/**
 * The validation gate (issue 13, src/agents/validation-gate.ts): what a fallen-back policy does, the one-line errors,
 * and the look-ahead check — training, the gate's verdict and the decisions up to a candle do not change when every
 * candle after it is rewritten, for every kind of gate (the selection windows, with the deflated Sharpe ratio, the
 * held-out window); the deflated verdict; and the judge window, which no choice may see.
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
import { GATE_KINDS } from '../../src/agents/selection.ts';
import { DSR_LEVEL, verdictOf } from '../../src/agents/validation-gate.ts';
import { SMALL_RECIPE } from '../trading/agents.ts';
import { quietLogger, rewriteAfter, testConfig } from './helpers.ts';

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
  // the judge and the held-out gate would both claim the last window
  const both = { ...SMALL_RECIPE, selection: { windows: 3, gate: 'heldOutWindow', judge: true } } as AgentRecipe;
  assert.throws(
    () => checkRecipe('strategies/x.ts', both),
    (e: unknown) =>
      e instanceof UserError && /judge and gate 'heldOutWindow'/.test(e.message) && !e.message.includes('\n'),
  );
});

test(`the deflated gate: the agent trades only when it beats both baselines and its DSR reaches ${DSR_LEVEL}`, () => {
  const evidence = (dsr: number) => ({ deflated: { dsr, sharpe: 0.1, expectedMax: 0.05, trials: 60 } });
  // beats both, credible: trades
  assert.equal(verdictOf(2, 0, 1, evidence(0.97)).fallback, undefined);
  // beats both on its (selected) score, but the edge is within what 60 trials reach by luck: the better baseline
  assert.equal(verdictOf(2, 0, 1, evidence(0.6)).fallback, 'buyAndHold');
  assert.equal(verdictOf(2, 0, -1, evidence(0.6)).fallback, 'flat');
  // an undefined DSR (too few returns, or a degenerate series) does not pass
  assert.equal(verdictOf(2, 0, 1, evidence(NaN)).fallback, 'buyAndHold');
  // credible but beaten by buy-and-hold: buy-and-hold; no evidence (the other gates): the scores alone
  assert.equal(verdictOf(0.5, 0, 1, evidence(0.99)).fallback, 'buyAndHold');
  assert.equal(verdictOf(2, 0, 1).fallback, undefined);
  assert.deepEqual(verdictOf(2, 0, 1, evidence(0.6)).deflated, evidence(0.6).deflated, 'the evidence is kept');
});

const CANDLES = syntheticCandles({ seed: 5, count: 640, timeframe: '1h', start: Date.UTC(2024, 0, 1) });

/** The small DQN the gate tests train, with these selection options (2 epochs, margins 0 and 0.4). */
function gatedRecipe(selection: AgentRecipe['selection']): AgentRecipe {
  return {
    ...SMALL_RECIPE,
    learner: { ...SMALL_RECIPE.learner, warmup: 64, batchSize: 32, trainEvery: 8 } as AgentRecipe['learner'],
    decision: { margins: [0, 0.4] },
    selection,
  };
}

/** Trains `recipe` on one fold of `candles` (seed 2) and returns what `read` takes from the agent, then frees it. */
async function trainAndRead<T>(
  candles: Candles,
  recipe: AgentRecipe,
  fold: Fold,
  read: (agent: Awaited<ReturnType<typeof trainOnFold>>) => T,
): Promise<T> {
  const agent = await trainOnFold({
    settings: config,
    recipe,
    strategyName: 'gated',
    candles,
    fold,
    seed: 2,
    epochs: 2,
    logger: quietLogger(),
    label: 'gate',
  });
  try {
    return read(agent);
  } finally {
    agent.dispose();
  }
}

for (const gate of GATE_KINDS) {
  test(`the gate (${gate}) does not look ahead: a rewritten future leaves the verdict`, async (t) => {
    const candles = CANDLES;
    const fold: Fold = {
      index: 0,
      train: { from: 130, to: 440 },
      validation: { from: 440, to: 540 },
      test: { from: 540, to: 640 },
    };
    const recipe = gatedRecipe({ windows: 2, purge: 4, embargo: 4, turnoverCost: 1, gate });
    // the cut is the validation window's end: everything after it is test, which neither training nor gate may see
    const cut = fold.validation.to - 1;
    const run = (c: Candles) =>
      trainAndRead(c, recipe, fold, (agent) => ({
        gate: agent.gate,
        rule: agent.rule,
        actions: Array.from(agent.backtest(fold.test).actions),
      }));
    const a = await run(candles);
    const b = await run(rewriteAfter(candles, cut));
    assert.ok(a.gate, 'the gate ran');
    if (gate === 'deflated') assert.ok(a.gate.deflated && a.gate.deflated.trials >= 2, 'the deflated gate has trials');
    t.diagnostic(JSON.stringify(a.gate));
    assert.deepEqual(b.gate, a.gate, 'the verdict and its scores do not see the future');
    assert.deepEqual(b.rule, a.rule, 'neither does the rule traded');
    // the first test decision (at the cut's next candle) is made on data up to it, which is rewritten: only the
    // fallback's or the rule's own state can keep it; the verdict is what must not move
    if (!a.gate.fallback) assert.notDeepEqual(b.actions, a.actions, 'the network sees the rewritten test candles');
  });
}

test(`the judge window is left out of every choice: rewriting it moves the judge score, not the epoch, margin or \
verdict`, async (t) => {
  // long enough for three windows of 50 candles (each needs at least 48) with the 123-candle embargo after each
  const candles = syntheticCandles({ seed: 5, count: 930, timeframe: '1h', start: Date.UTC(2024, 0, 1) });
  const fold: Fold = {
    index: 0,
    train: { from: 130, to: 700 },
    validation: { from: 700, to: 850 },
    test: { from: 850, to: 930 },
  };
  const recipe = gatedRecipe({ windows: 3, purge: 4, embargo: 4, turnoverCost: 1, gate: 'deflated', judge: true });
  const run = (c: Candles, r: AgentRecipe = recipe) =>
    trainAndRead(c, r, fold, (agent) => ({
      judgeWindow: agent.split.validation[agent.split.validation.length - 1],
      selectionWindows: agent.selectionWindows,
      judgeScore: agent.judgeScore,
      bestEpoch: agent.training.bestEpoch,
      rule: agent.rule,
      gate: agent.gate,
    }));
  const a = await run(candles);
  assert.equal(a.selectionWindows.length, 2, 'two of the three windows choose');
  assert.ok(
    a.selectionWindows.every((w) => w.to <= a.judgeWindow.from),
    'the judge window comes after them',
  );
  assert.ok(Number.isFinite(a.judgeScore), `a judge score (${a.judgeScore})`);
  // everything from the judge window's first candle on is rewritten
  const b = await run(rewriteAfter(candles, a.judgeWindow.from - 1));
  assert.equal(b.bestEpoch, a.bestEpoch);
  assert.deepEqual(b.rule, a.rule);
  assert.deepEqual(b.gate, a.gate, 'the gate decided without the judge window');
  // without a gate the network trades the judge window, and its score there follows the rewritten candles
  const ungated: AgentRecipe = { ...recipe, selection: { ...recipe.selection, gate: undefined } };
  const c = await run(candles, ungated);
  const d = await run(rewriteAfter(candles, a.judgeWindow.from - 1), ungated);
  t.diagnostic(JSON.stringify({ gated: [a.judgeScore, a.gate?.fallback], ungated: [c.judgeScore, d.judgeScore] }));
  assert.equal(d.bestEpoch, c.bestEpoch);
  assert.deepEqual(d.rule, c.rule);
  assert.notEqual(d.judgeScore, c.judgeScore, 'the judge score is measured on the rewritten window');
});
