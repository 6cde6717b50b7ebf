/**
 * Ensembles of seeds (issue 13): the vote and the mean decide as hand-computed from their members' outputs (real
 * tfjs networks whose outputs are set by hand, saved as one model folder and loaded back), and the look-ahead check
 * holds for an ensemble with a decision rule.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { AgentPolicy, loadAgent, type LoadedAgent } from '../../src/agents/load-agent.ts';
import { accountHolding, predictAt } from '../../src/agents/predict.ts';
import { checkDecisionRule, PLAIN_RULE, type DecisionRule } from '../../src/agents/decision-rule.ts';
import {
  EnsembleNet,
  ensembleRule,
  hasMajority,
  memberFallbacks,
  type EnsembleKind,
} from '../../src/agents/ensemble.ts';
import type { Fallback } from '../../src/agents/decision-rule.ts';
import { UserError } from '../../src/core/errors.ts';
import { createNet, envOptions, networkSpec, observationSource, prepareData } from '../../src/agents/setup.ts';
import { ObservationBuilder } from '../../src/market/observation.ts';
import { recipeWarmup } from '../../src/agents/recipe-reach.ts';
import { saveAgentModel } from '../../src/agents/save.ts';
import { runBacktest } from '../../src/market/backtest-engine.ts';
import type { AgentNet } from '../../src/nn/agent-net.ts';
import { SMALL_RECIPE } from '../trading/agents.ts';
import { tempDir } from '../trading/helpers.ts';
import { assertCausalPolicy, testConfig } from './helpers.ts';

const candles = syntheticCandles({ seed: 3, count: 300, timeframe: '1h', start: Date.UTC(2024, 0, 1) });
const config = testConfig();
const warm = recipeWarmup(SMALL_RECIPE);
const prepared = prepareData(SMALL_RECIPE, candles, { from: warm, to: 200 });
const range = { from: warm, to: 300 };
const COSTS = { feeRate: 0.0005, sellTax: 0, slippageBps: 5, minOrderValue: 5000, quantityPrecision: 8 };

before(async () => {
  await initBackend('wasm');
});

/** A DQN network whose Q-values are `q` = [buy, sell, hold] whatever it sees. */
function constant(q: [number, number, number]): AgentNet {
  const net = createNet(networkSpec(SMALL_RECIPE, prepared, 1), false);
  const weights = net.model.getWeights();
  const replaced = weights.map((w, i) => (i === weights.length - 1 ? tf.tensor1d(q) : tf.zerosLike(w)));
  net.model.setWeights(replaced);
  tf.dispose(replaced);
  net.sync();
  return net;
}

function trades(policy: AgentPolicy): number {
  return runBacktest({ ...envOptions(SMALL_RECIPE, config, prepared, range), policy }).trades.length;
}

// flat at the start: keeping = max(hold, sell). A: buy by 0.5 over keeping; B: hold; C: buy by 0.6.
const Q: [number, number, number][] = [
  [1, 0, 0.5],
  [0.2, 0, 0.3],
  [0.9, 0, 0.3],
];

async function saveAndLoad(kind: EnsembleKind, margins: number[], fallbacks?: (string | null)[]): Promise<LoadedAgent> {
  const tmp = tempDir();
  const dir = path.join(tmp.dir, 'ens');
  const nets = Q.map(constant);
  // the members' rules as trained (a bad entry, there to test loading, is written to meta.json only)
  const known = (f: string | null | undefined) => (f === 'flat' || f === 'buyAndHold' ? f : undefined);
  const rules = margins.map((m, i) => checkDecisionRule({ margin: m, fallback: known(fallbacks?.[i]) }, 'test'));
  const rule: DecisionRule = ensembleRule(kind, rules);
  await saveAgentModel(dir, nets[0].model, SMALL_RECIPE, prepared, {
    name: 'ens',
    strategy: 'dqn-dnn',
    seed: 1,
    learner: {
      kind: 'dqn',
      extraState: {},
      bestEpoch: 0,
      epochs: 0,
      decision: rule,
      ensemble: { kind, margins, ...(fallbacks ? { fallbacks: fallbacks as (Fallback | null)[] } : {}) },
    },
    members: nets.slice(1).map((n) => n.model),
    trainingWindow: { from: '', to: '' },
    dataHash: '',
    metrics: {},
    codeVersion: 'test',
  });
  for (const n of nets) n.dispose();
  try {
    return await loadAgent(dir);
  } finally {
    tmp.cleanup();
  }
}

test('vote: a trade needs a strict majority of members, each voting under its own margin', async () => {
  const inMemory = (margins: number[]) => {
    const net = new EnsembleNet('vote', Q.map(constant), margins);
    const policy = new AgentPolicy('vote', net, PLAIN_RULE);
    try {
      return trades(policy);
    } finally {
      net.dispose();
    }
  };
  // A and C vote buy, B hold: 2 of 3 buy → one buy, then fully invested every member keeps the position
  assert.equal(inMemory([0, 0, 0]), 1);
  // A's advantage 0.5 does not beat its margin 0.55, C's 0.6 does: 1 of 3 buys → no majority, hold
  assert.equal(inMemory([0.55, 0, 0.55]), 0);
  // saved as one folder and loaded back: the same decisions
  const loaded = await saveAndLoad('vote', [0, 0, 0]);
  assert.equal(trades(loaded.policy), 1);
  // bot predict shows the vote shares as what they are
  const p = predictAt(loaded, candles, 250, accountHolding(10_000_000, COSTS, 0, candles.close[250]));
  assert.equal(p.outputs.kind, 'vote shares');
  assert.deepEqual(
    Object.values(p.outputs.values).map((v) => Math.round(v * 3)),
    [2, 0, 1],
  );
  loaded.dispose();
  const held = await saveAndLoad('vote', [0.55, 0, 0.55]);
  assert.equal(trades(held.policy), 0);
  held.dispose();
});

test('vote: a tie of 20 members (10 buy, 10 hold) is no majority, and the ensemble holds', () => {
  // ten additions of 1/20 in float32 came to 0.50000006 > 0.5: the tie bought (audit, session 38)
  const nets = [
    ...Array.from({ length: 10 }, () => constant(Q[0])),
    ...Array.from({ length: 10 }, () => constant(Q[1])),
  ];
  const net = new EnsembleNet('vote', nets, new Array<number>(20).fill(0));
  try {
    const policy = new AgentPolicy('tie', net, PLAIN_RULE);
    assert.equal(trades(policy), 0);
    const obs = new ObservationBuilder(observationSource(prepared)).build(250, accountHolding(10_000_000, COSTS, 0, 1));
    const tally = net.tally(obs);
    assert.deepEqual(tally, { counts: [10, 0, 10], members: 20 });
    assert.equal(hasMajority(tally), false);
  } finally {
    net.dispose();
  }
});

test(`bot predict on a vote without a majority prints the real shares (summing to 1) and says the ensemble holds \
for lack of one`, async () => {
  const loaded = await saveAndLoad('vote', [0, 0, 0]);
  // A votes buy, B hold: half and half, no strict majority
  const net = new EnsembleNet('vote', [Q[0], Q[1]].map(constant), [0, 0]);
  try {
    const agent = { ...loaded, policy: new AgentPolicy('vote', net, PLAIN_RULE) };
    const p = predictAt(agent, candles, 250, accountHolding(10_000_000, COSTS, 0, candles.close[250]));
    assert.equal(p.outputs.kind, 'vote shares');
    assert.deepEqual(p.outputs.values, { buy: 0.5, sell: 0, hold: 0.5 });
    assert.equal(p.decision.action, 'hold');
    assert.equal(p.held?.by, 'noMajority');
    assert.match(p.held?.note ?? '', /no action has a majority of the votes/);
  } finally {
    net.dispose();
    loaded.dispose();
  }
});

test(`bot predict says when the decision rule holds: off its interval, or inside minHold after --last-trade (and \
that minHold is not applied without it)`, async () => {
  const loaded = await saveAndLoad('vote', [0, 0, 0]);
  const net = constant(Q[0]); // buys whatever it sees
  const flat = (t: number) => accountHolding(10_000_000, COSTS, 0, candles.close[t]);
  const ask = (rule: DecisionRule, t: number, lastTrade?: number) => {
    const agent = { ...loaded, policy: new AgentPolicy('buyer', net, rule) };
    return predictAt(agent, candles, t, flat(t), lastTrade);
  };
  try {
    // 1h candles, every 4: the candle opening at 01:00 closes at 02:00, off the grid
    const off = candles.ts.findIndex((ts, i) => i > 200 && new Date(ts).getUTCHours() === 1);
    const interval = ask(checkDecisionRule({ every: 4 }, 't'), off);
    assert.equal(interval.decision.action, 'hold');
    assert.equal(interval.held?.by, 'interval');
    assert.match(interval.held?.note ?? '', /every 4 candles/);
    const hold = checkDecisionRule({ minHold: 6 }, 't');
    const unknown = ask(hold, 250);
    assert.equal(unknown.decision.action, 'buy');
    assert.equal(unknown.held, undefined);
    assert.match(unknown.minHoldNote ?? '', /minHold 6 not applied/);
    // the last fill 2 candles before the one decided (a time inside that candle): held; 6 before: free to switch
    const recent = ask(hold, 250, candles.ts[248] + 60_000);
    assert.equal(recent.decision.action, 'hold');
    assert.equal(recent.held?.by, 'minHold');
    assert.equal(recent.minHoldNote, undefined);
    assert.equal(ask(hold, 250, candles.ts[245]).decision.action, 'buy');
    assert.equal(ask(hold, 250, candles.ts[244]).decision.action, 'buy');
    assert.equal(ask(hold, 250, candles.ts[246]).decision.action, 'hold');
    assert.throws(() => ask(hold, 250, candles.ts[251]), /--last-trade .* is after the close of the candle decided/);
  } finally {
    net.dispose();
    loaded.dispose();
  }
});

test('mean: the mean Q-values decide, with the members mean margin applied on them', async () => {
  // mean Q = [0.7, 0, 0.367]: buy beats keeping (hold) by 0.333
  const mean = ensembleRule(
    'mean',
    [0.3, 0.4, 0.35].map((m) => checkDecisionRule({ margin: m }, 't')),
  );
  assert.ok(Math.abs(mean.margin - 0.35) < 1e-9);
  // margin 0.3 < 0.333: buy; margin 0.35 (mean of 0.3, 0.4, 0.35) > 0.333: hold
  const buys = await saveAndLoad('mean', [0.3, 0.3, 0.3]);
  assert.equal(trades(buys.policy), 1);
  buys.dispose();
  const holds = await saveAndLoad('mean', [0.3, 0.4, 0.35]);
  assert.ok(Math.abs(holds.policy.rule.margin - 0.35) < 1e-9);
  assert.equal(trades(holds.policy), 0);
  holds.dispose();
});

test('members that fell back at the validation gate vote their baseline (vote) or sit out the mean', async () => {
  // vote, margins as above (only C's buy beats its margin): 1 of 3 → hold; B fell back to buy-and-hold and votes buy
  // in cash → 2 of 3 → one buy; C fell back to flat instead, which in cash votes hold → no trade
  const held = await saveAndLoad('vote', [0.55, 0, 0.55], [null, 'buyAndHold', null]);
  assert.equal(trades(held.policy), 1);
  held.dispose();
  const flat = await saveAndLoad('vote', [0, 0, 0], [null, null, 'flat']);
  assert.equal(trades(flat.policy), 0, 'A buys, B holds, C (flat) holds: no majority');
  flat.dispose();
  // mean, margins 0 / 0.3 / 0.3: all three → Q [0.7, 0, 0.367], margin 0.2, advantage 0.333 → buy; A fell back →
  // B and C only: Q [0.55, 0, 0.3], margin 0.3, advantage 0.25 → hold
  const all = await saveAndLoad('mean', [0, 0.3, 0.3]);
  assert.equal(trades(all.policy), 1);
  all.dispose();
  const two = await saveAndLoad('mean', [0, 0.3, 0.3], ['flat', null, null]);
  assert.ok(Math.abs(two.policy.rule.margin - 0.3) < 1e-9);
  assert.equal(trades(two.policy), 0);
  two.dispose();
});

test('when every member fell back the ensemble trades the baseline most chose (ties to flat)', async () => {
  const rules = (fs: Fallback[]) => fs.map((f) => checkDecisionRule({ fallback: f }, 't'));
  assert.equal(ensembleRule('vote', rules(['buyAndHold', 'buyAndHold', 'flat'])).fallback, 'buyAndHold');
  assert.equal(ensembleRule('mean', rules(['buyAndHold', 'flat'])).fallback, 'flat');
  assert.equal(ensembleRule('mean', rules(['buyAndHold', 'flat', 'flat'])).fallback, 'flat');
  assert.equal(ensembleRule('vote', [...rules(['flat', 'flat']), PLAIN_RULE]).fallback, undefined);
  assert.deepEqual(memberFallbacks([...rules(['flat']), PLAIN_RULE]), ['flat', null]);
  for (const kind of ['vote', 'mean'] as const) {
    const held = await saveAndLoad(kind, [0, 0, 0], ['buyAndHold', 'buyAndHold', 'flat']);
    assert.equal(held.policy.rule.fallback, 'buyAndHold');
    assert.equal(trades(held.policy), 1, `${kind}: buys once and holds`);
    held.dispose();
  }
});

test('a saved ensemble whose fallbacks do not fit its members stops with one line', async () => {
  for (const bad of [['flat'], ['flat', 'short', null]]) {
    await assert.rejects(
      saveAndLoad('vote', [0, 0, 0], bad),
      (e: unknown) =>
        e instanceof UserError &&
        /ensemble\.fallbacks|fallback must be one of/.test(e.message) &&
        !e.message.includes('\n'),
    );
  }
});

test('a saved ensemble of an unknown kind stops in one line naming its meta.json key, members freed', async () => {
  const before = tf.memory().numTensors;
  await assert.rejects(
    saveAndLoad('median' as EnsembleKind, [0, 0, 0]),
    (e: unknown) =>
      e instanceof UserError &&
      /^model \S+: meta\.json learner\.ensemble\.kind must be vote or mean$/.test(e.message) &&
      !e.message.includes('--ensemble'),
  );
  assert.equal(tf.memory().numTensors, before, 'the members loaded before the refusal are disposed');
});

test(`an ensemble with a decision rule keeps decisions causal: rewriting the future leaves earlier ones \
unchanged`, () => {
  for (const kind of ['vote', 'mean'] as const) {
    const net = new EnsembleNet(
      kind,
      [7, 8, 9].map((seed) => createNet(networkSpec(SMALL_RECIPE, prepared, seed), false)),
      [0.01, 0, 0.02],
    );
    try {
      const rule = checkDecisionRule({ margin: kind === 'mean' ? 0.01 : 0, minHold: 3, every: 2 }, 'test');
      const policy = new AgentPolicy('ensemble', net, rule);
      assertCausalPolicy({ candles, prepared, config, range, policy, cut: 240, label: kind });
    } finally {
      net.dispose();
    }
  }
});
