/**
 * Recipes and the learner registry: every strategy in strategies/ passes its schema, each registry entry says what the
 * old switch statements said (heads, environments, default exploration), and a wrong or unknown key in a strategy file
 * stops `bot backtest` with one line naming the file and the key (issue 11).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listStrategies, loadStrategy } from '../../src/agents/strategy.ts';
import { checkRecipe, type AgentRecipe } from '../../src/agents/recipe.ts';
import { envCount, headsFor } from '../../src/agents/setup.ts';
import { LEARNERS, learnerOf } from '../../src/agents/learners/registry.ts';
import { UserError } from '../../src/core/errors.ts';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { runBot } from '../cli/run.ts';

const base: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'zscore',
  window: 3,
  network: { kind: 'dnn', hidden: [8] },
  learner: { kind: 'dqn' },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
};

test('every agent strategy in strategies/ passes the recipe and learner schemas', async () => {
  let agents = 0;
  for (const name of listStrategies()) {
    // portfolio strategies (several markets) load through src/agents/portfolio-strategy.ts, not as one-market ones
    const s = await loadStrategy(name).catch((e: Error) => {
      if (/trades several markets/.test(e.message)) return undefined;
      throw e;
    });
    if (s?.kind !== 'agent') continue;
    agents++;
    assert.equal(checkRecipe(`strategies/${name}.ts`, s.recipe), s.recipe);
  }
  assert.ok(agents >= 8, `${agents} agent strategies`);
});

test('the registry gives each learner kind its heads, environments and default exploration', () => {
  const heads = (learner: AgentRecipe['learner']) => headsFor({ ...base, learner });
  assert.deepEqual(heads({ kind: 'dqn' }), { heads: { value: 3 }, continuous: false });
  assert.deepEqual(heads({ kind: 'pg' }), { heads: { value: 1, policy: 3 }, continuous: false });
  assert.deepEqual(heads({ kind: 'pg', baseline: 'mean' }), { heads: { policy: 3 }, continuous: false });
  assert.deepEqual(heads({ kind: 'a2c' }), { heads: { value: 1, policy: 3 }, continuous: false });
  assert.deepEqual(heads({ kind: 'ppo' }), { heads: { value: 1, policy: 3 }, continuous: false });
  assert.deepEqual(heads({ kind: 'ppo', action: 'continuous' }), { heads: { value: 1, policy: 2 }, continuous: true });
  assert.deepEqual(heads({ kind: 'rltrader', net: 'dqn' }), { heads: { value: 3 }, continuous: false });
  assert.deepEqual(heads({ kind: 'rltrader', net: 'a2c' }), { heads: { value: 3, policy: 3 }, continuous: false });
  assert.equal(envCount({ ...base, learner: { kind: 'ppo' } }), 4);
  assert.equal(envCount({ ...base, learner: { kind: 'ppo', envs: 16 } }), 16);
  for (const kind of ['dqn', 'pg', 'a2c'] as const) assert.equal(envCount({ ...base, learner: { kind } }), 1);
  const linear = { kind: 'linear', start: 0.5, end: 0.02 };
  assert.deepEqual(learnerOf({ kind: 'dqn' }).exploration, linear);
  assert.deepEqual(learnerOf({ kind: 'rltrader', net: 'dqn' }).exploration, linear);
  for (const kind of ['pg', 'a2c', 'ppo'] as const)
    assert.deepEqual(learnerOf({ kind }).exploration, { kind: 'constant', value: 0 });
  assert.deepEqual(
    LEARNERS.map((l) => l.kind),
    ['dqn', 'pg', 'a2c', 'ppo', 'rltrader'],
  );
});

test('checkRecipe: a wrong or unknown key is one line naming the file and the key', () => {
  const cases: [unknown, RegExp][] = [
    [
      { ...base, learner: { kind: 'dqn', batchSise: 32 } },
      /^f\.ts: recipe\.learner\.batchSise: unknown key, did you mean batchSize\? \(learner dqn takes .*batchSize/,
    ],
    [{ ...base, learner: { kind: 'dqn', batchSize: 0 } }, /^f\.ts: recipe\.learner\.batchSize: .*(got 0)/],
    [{ ...base, learner: { kind: 'ppo', envs: 2.5 } }, /^f\.ts: recipe\.learner\.envs: /],
    [{ ...base, learner: { kind: 'pg', baseline: 'median' } }, /^f\.ts: recipe\.learner\.baseline: /],
    [{ ...base, learner: { kind: 'rltrader' } }, /^f\.ts: recipe\.learner\.net: /],
    [{ ...base, learner: { kind: 'dqn', target: { kind: 'soft', every: 3 } } }, /^f\.ts: recipe\.learner\.target/],
    [
      { ...base, learner: { kind: 'sarsa' } },
      /^f\.ts: recipe\.learner\.kind must be one of dqn, pg, a2c, ppo, rltrader \(got "sarsa"\)/,
    ],
    [
      { ...base, windows: 3 },
      /^f\.ts: recipe\.windows: unknown key, did you mean window\? \(a recipe takes features, scaler, window/,
    ],
    // a misspelt key leaves the key it meant missing: that used to be the line (`recipe.window: … received undefined`)
    [
      { ...base, window: undefined, windw: 5 },
      /^f\.ts: recipe\.windw: unknown key, did you mean window\? \(a recipe takes features/,
    ],
    [
      { ...base, learner: { kind: 'rltrader', nett: 'dqn' } },
      /^f\.ts: recipe\.learner\.nett: unknown key, did you mean net\?/,
    ],
    [
      { ...base, network: { kind: 'dnn', hiden: [8] } },
      /^f\.ts: recipe\.network\.hiden: unknown key, did you mean hidden\?$/,
    ],
    [{ ...base, zzz: 1 }, /^f\.ts: recipe\.zzz: unknown key \(a recipe takes features/],
    [{ ...base, exploration: { kind: 'linear', start: 2 } }, /^f\.ts: recipe\.exploration\.start: /],
    [{ ...base, reward: { kind: 'sharpe' } }, /^f\.ts: recipe\.reward\.eta: /],
    [{ ...base, sizing: 'half' }, /^f\.ts: recipe\.sizing: /],
    [{ ...base, costs: 'nyse' }, /^f\.ts: recipe\.costs: /],
    [undefined, /^f\.ts: recipe is missing/],
  ];
  for (const [recipe, re] of cases) {
    assert.throws(
      () => checkRecipe('f.ts', recipe),
      (e: Error) => e instanceof UserError && !e.message.includes('\n') && re.test(e.message),
      `${JSON.stringify(recipe?.valueOf && (recipe as AgentRecipe).learner)} → ${re}`,
    );
  }
  assert.doesNotThrow(() =>
    checkRecipe('f.ts', { ...base, learner: { kind: 'ppo', action: 'continuous', envs: 2, clip: 0.1 } }),
  );
});

// sizes had no upper bound: hidden [2e9] or batchSize 1e9 passed and crashed mid-run with `Invalid typed array length`
test('checkRecipe: a size beyond its bound is one line naming the key and the bound', () => {
  const cases: [unknown, RegExp][] = [
    [
      { ...base, network: { kind: 'dnn', hidden: [2e9] } },
      /^f\.ts: recipe\.network\.hidden\.0: .*<=4096 \(got 2000000000\)$/,
    ],
    [{ ...base, network: { kind: 'lstm', rnnUnits: 1e6 } }, /^f\.ts: recipe\.network\.rnnUnits: .*<=4096/],
    [{ ...base, learner: { kind: 'dqn', batchSize: 1e9 } }, /^f\.ts: recipe\.learner\.batchSize: .*<=65536/],
    [
      { ...base, learner: { kind: 'dqn', replayCapacity: 1e9 } },
      /^f\.ts: recipe\.learner\.replayCapacity: .*<=10000000/,
    ],
    [{ ...base, learner: { kind: 'ppo', minibatchSize: 1e9 } }, /^f\.ts: recipe\.learner\.minibatchSize: .*<=65536/],
    [{ ...base, learner: { kind: 'a2c', rolloutSteps: 1e12 } }, /^f\.ts: recipe\.learner\.rolloutSteps: .*<=10000000/],
    [{ ...base, learner: { kind: 'ppo', envs: 1e6 } }, /^f\.ts: recipe\.learner\.envs: .*<=1024/],
    [{ ...base, decision: { every: 1e12 } }, /^f\.ts: recipe\.decision\.every: .*<=10000000/],
    [{ ...base, episodeLength: 1e15 }, /^f\.ts: recipe\.episodeLength: .*<=10000000/],
    [{ ...base, window: 1e9 }, /^f\.ts: recipe\.window: .*<=10000/],
    // 1e12 hung bot backtest in purgedSplit (walk-selection audit)
    [{ ...base, selection: { windows: 1e12 } }, /^f\.ts: recipe\.selection\.windows: .*<=1000 \(got 1000000000000\)$/],
  ];
  for (const [recipe, re] of cases) {
    assert.throws(
      () => checkRecipe('f.ts', recipe),
      (e: Error) => e instanceof UserError && !e.message.includes('\n') && re.test(e.message),
      `${JSON.stringify(recipe)} → ${re}`,
    );
  }
  assert.doesNotThrow(() =>
    checkRecipe('f.ts', {
      ...base,
      network: { kind: 'dnn', hidden: [4096] },
      learner: { kind: 'dqn', batchSize: 65536, replayCapacity: 1e7, warmup: 65536 },
      decision: { every: 1e7 },
      episodeLength: 1e7,
    }),
  );
});

test('bot backtest --strategy FILE: a file outside strategies/ loads, and a bad key stops it in one line', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bot-strategy-'));
  const source = readFileSync(path.join(PROJECT_ROOT, 'strategies', 'dqn-dnn.ts'), 'utf8').replaceAll(
    "'../src/",
    `'${PROJECT_ROOT}/src/`,
  );
  const write = (name: string, from: string, to: string): string => {
    assert.ok(source.includes(from));
    const file = path.join(dir, name);
    writeFileSync(file, source.replace(from, to));
    return file;
  };
  const cases: [string, RegExp][] = [
    [write('typo.ts', 'batchSize: 128', 'batchSise: 128'), /typo\.ts: recipe\.learner\.batchSise: unknown key/],
    [write('value.ts', 'batchSize: 128', 'batchSize: -1'), /value\.ts: recipe\.learner\.batchSize: /],
    [write('kind.ts', "kind: 'dqn'", "kind: 'sarsa'"), /kind\.ts: recipe\.learner\.kind must be one of/],
    [write('top.ts', 'window: 5', 'window: 5, widow: 5'), /top\.ts: recipe\.widow: unknown key/],
    [write('windw.ts', 'window: 5', 'windw: 5'), /windw\.ts: recipe\.windw: unknown key, did you mean window\?/],
  ];
  const results = await Promise.all(
    cases.map(([file]) => runBot(['backtest', '--strategy', file, '--sample', '--out', path.join(dir, 'never')])),
  );
  results.forEach((r, i) => {
    assert.equal(r.code, 1, `case ${i}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `case ${i}: one line, got ${JSON.stringify(r.stderr)}`);
    assert.match(lines[0], /^error: /);
    assert.match(lines[0], cases[i][1]);
    assert.equal(r.stdout, '');
  });
  // the same file with nothing wrong loads (the loader accepts a path)
  const good = await loadStrategy(write('good.ts', 'batchSize: 128', 'batchSize: 64'));
  assert.equal(good.kind, 'agent');
  assert.equal(good.kind === 'agent' && good.recipe.learner.kind === 'dqn' && good.recipe.learner.batchSize, 64);
});
