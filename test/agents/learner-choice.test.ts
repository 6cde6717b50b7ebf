/**
 * FinRL's ensemble strategy as a recipe option (src/agents/learner-choice.ts, issue 13): per walk-forward window the
 * candidate with the best validation Sharpe trades, the report says which, and the saved model is the chosen learner;
 * the deflated gate counts every candidate's trials.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import type { AgentStrategy } from '../../src/agents/strategy.ts';
import { runAgentBacktest } from '../../src/backtest/agent-backtest.ts';
import { checkRecipe, type AgentRecipe } from '../../src/agents/recipe.ts';
import { candidateRecipes } from '../../src/agents/candidate-recipes.ts';
import { loadAgent } from '../../src/agents/load-agent.ts';
import { UserError } from '../../src/core/errors.ts';
import { trainOnFold } from '../../src/agents/train-fold.ts';
import type { Fold } from '../../src/agents/splits.ts';
import { quietLogger, testConfig } from './helpers.ts';

const recipe: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'zscore',
  window: 3,
  network: { kind: 'dnn', hidden: [16], dropout: 0, batchNorm: false, activation: 'relu' },
  learner: { kind: 'dqn', batchSize: 32, trainEvery: 16, warmup: 64 },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
  learnerChoice: {
    candidates: [
      {
        learner: { kind: 'dqn', batchSize: 32, trainEvery: 16, warmup: 64 },
        exploration: { kind: 'linear', start: 0.5, end: 0.05 },
        decision: { margins: [0, 0.4] },
      },
      { learner: { kind: 'ppo', envs: 2, rolloutSteps: 32, minibatchSize: 64 }, decision: { margins: [0, 0.2] } },
      { learner: { kind: 'a2c' } },
    ],
  },
};

before(async () => {
  await initBackend('wasm');
});

test('candidateRecipes: one recipe per candidate with its own learner, exploration and margins', () => {
  const rs = candidateRecipes(recipe);
  assert.deepEqual(
    rs.map((r) => r.learner.kind),
    ['dqn', 'ppo', 'a2c'],
  );
  assert.deepEqual(rs[0].exploration, { kind: 'linear', start: 0.5, end: 0.05 });
  assert.equal(rs[1].exploration, undefined, 'PPO explores by sampling: no ε schedule from another candidate');
  assert.deepEqual(rs[1].decision, { margins: [0, 0.2] });
  for (const r of rs) assert.equal(r.learnerChoice, undefined);
  const { learnerChoice: _c, ...plain } = recipe;
  assert.deepEqual(candidateRecipes(plain), [plain]);
});

test('checkRecipe: a bad candidate is one line naming it', () => {
  const bad = (candidates: unknown[]) => () => checkRecipe('f.ts', { ...recipe, learnerChoice: { candidates } });
  const c = recipe.learnerChoice!.candidates;
  assert.throws(bad([c[0], { learner: { kind: 'ppo', gamma: 2 } }]), (e: Error) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /^f\.ts: recipe\.learnerChoice\.candidates\.1\.learner\.gamma: /);
    return true;
  });
  assert.throws(bad([c[0], { learner: { kind: 'sac' } }]), /candidates\.1\.learner\.kind must be one of dqn, /);
  assert.throws(bad([c[0]]), /learnerChoice\.candidates/);
  assert.throws(bad([c[0], { learner: { kind: 'a2c' }, decision: { margins: [-1] } }]), /candidates/);
});

test('per window the learner with the best validation Sharpe trades; the report names it, saves it', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'learner-choice-'));
  const candles = syntheticCandles({ seed: 11, count: 900, sine: { period: 40, amplitude: 0.05 } });
  const strategy: AgentStrategy = { kind: 'agent', name: 'tiny-finrl', description: 'test', recipe };
  const out = path.join(dir, 'run');
  const res = await runAgentBacktest({
    settings: testConfig({ modelsDir: path.join(dir, 'models'), maxCandles: 0 }),
    series: { candles, label: 'synthetic SYN/KRW 1h', origin: 'file' },
    strategy,
    flags: { epochs: 2, folds: 2, out, name: 'tiny-finrl' },
    logger: quietLogger(),
  });
  assert.equal(res.runs.length, 2);
  for (const r of res.runs) t.diagnostic(`fold ${r.fold + 1}: ${JSON.stringify(r.choice)}`);
  for (const r of res.runs) {
    const sharpes = r.choice!.validationSharpes;
    assert.deepEqual(Object.keys(sharpes), ['dqn', 'ppo', 'a2c']);
    const best = Object.entries(sharpes).reduce((a, b) => (b[1] > a[1] ? b : a));
    assert.equal(r.choice!.chosen, best[0], `fold ${r.fold + 1}: ${JSON.stringify(sharpes)}`);
    assert.equal(r.training.bestSharpe, best[1]);
  }
  type Runs = { learner: string; learnerValidationSharpes: Record<string, number> }[];
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as {
    extra: { agent: { runs: Runs; selection: { margins: unknown } } };
  };
  // each candidate's margins, as it tried them (they said the top-level recipe's: 0; audit, session 38)
  assert.deepEqual(report.extra.agent.selection.margins, { dqn: [0, 0.4], ppo: [0, 0.2], a2c: [0] });
  assert.deepEqual(
    report.extra.agent.runs.map((r) => r.learner),
    res.runs.map((r) => r.choice!.chosen),
  );
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /learner chosen/);
  assert.match(html, /switching margins tried: dqn 0, 0\.4; ppo 0, 0\.2; a2c 0\./);
  // the validation Sharpes as numbers of three decimals, not raw JSON
  assert.match(html, /dqn -?\d+\.\d{3}, ppo -?\d+\.\d{3}, a2c -?\d+\.\d{3}</);
  const agent = await loadAgent(path.join(dir, 'models', 'tiny-finrl'));
  try {
    assert.equal(agent.recipe.learner.kind, res.runs[1].choice!.chosen, 'the last fold’s choice is saved');
    assert.equal(agent.recipe.learnerChoice, undefined);
  } finally {
    agent.dispose();
  }
});

test(`with the deflated gate every candidate's epoch × margin trials count: the choice among learners is selection \
too`, async () => {
  const candles = syntheticCandles({ seed: 11, count: 900, sine: { period: 40, amplitude: 0.05 } });
  const fold: Fold = {
    index: 0,
    train: { from: 130, to: 600 },
    validation: { from: 600, to: 750 },
    test: { from: 750, to: 900 },
  };
  const agent = await trainOnFold({
    settings: testConfig(),
    recipe: { ...recipe, selection: { gate: 'deflated' } },
    strategyName: 'tiny-finrl',
    candles,
    fold,
    seed: 1,
    epochs: 2,
    logger: quietLogger(),
    label: 'choice',
  });
  try {
    // 2 validations × margins: DQN 2, PPO 2, A2C 1 → 4 + 4 + 2
    assert.equal(agent.trialSharpes.length, 10);
    assert.equal(agent.gate?.deflated?.trials, 10);
  } finally {
    agent.dispose();
  }
});
