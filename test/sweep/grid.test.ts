/** Sweep requests: grid flags and files checked whole with one-line errors, recipe keys checked, job ids stable. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/core/errors.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { loadConfig } from '../../src/config/load.ts';
import { checkGrid, checkJobCount, expandGrid, parseGridFlag, parseSweepFile } from '../../src/sweep/grid.ts';
import { applyParams } from '../../src/sweep/params.ts';
import { configurations, planSweep } from '../../src/sweep/plan.ts';

const recipe: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'zscore',
  window: 3,
  network: { kind: 'dnn', hidden: [16], dropout: 0, batchNorm: false, activation: 'relu' },
  learner: { kind: 'dqn', learningRate: 1e-3, batchSize: 32 },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
};

function oneLineError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `more than one line: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('--grid values: numbers, booleans, words and arrays; commas inside brackets stay', () => {
  assert.deepEqual(parseGridFlag('learner.learningRate=1e-3,3e-4'), {
    key: 'learner.learningRate',
    values: [1e-3, 3e-4],
  });
  assert.deepEqual(parseGridFlag('network.hidden=[64,32],[32]'), { key: 'network.hidden', values: [[64, 32], [32]] });
  assert.deepEqual(parseGridFlag('learner.double=true,false'), { key: 'learner.double', values: [true, false] });
  assert.deepEqual(parseGridFlag('network.activation=relu,tanh'), {
    key: 'network.activation',
    values: ['relu', 'tanh'],
  });
});

test('a malformed --grid is one line naming the bad part', () => {
  oneLineError(() => parseGridFlag('learner.learningRate'), /--grid "learner.learningRate": expected KEY=V1,V2/);
  oneLineError(() => parseGridFlag('learner..x=1'), /"learner..x" is not a recipe key/);
  oneLineError(() => parseGridFlag('window=5,,10'), /--grid window: empty value/);
  oneLineError(() => parseGridFlag('window=5,5'), /--grid window: value 5 is listed twice/);
  oneLineError(() => parseGridFlag('window=5,1e999'), /--grid window: "1e999" is not a number/);
  oneLineError(() => parseGridFlag('network.hidden=[64,32'), /"\[64,32" is not a JSON array/);
  oneLineError(() => parseGridFlag('window=a b'), /"a b" is not a number/);
  oneLineError(
    () => checkGrid([parseGridFlag('window=1,2'), parseGridFlag('window=3')]),
    /--grid window is given twice/,
  );
  oneLineError(() => checkGrid([parseGridFlag('network=1,2'), parseGridFlag('network.hidden=[3]')]), /overlap/);
  oneLineError(
    () => checkGrid([parseGridFlag('window=1,2')], 3),
    /--random 3 is more than the grid's 2 configurations/,
  );
});

test(`a grid over costs (flags, file or --random) is refused in one line: a market fact, not a hyper-parameter \
(before: the fee-free configuration won against baselines charged the configured costs)`, () => {
  oneLineError(
    () => checkGrid([parseGridFlag('costs=config,zero')]),
    /^--grid costs: costs are a fact of the market, not a hyper-parameter to tune/,
  );
  oneLineError(
    () => checkGrid([parseGridFlag('window=3,5'), parseGridFlag('costs=config,zero')], 2),
    /^--grid costs: costs are a fact/,
  );
  oneLineError(
    () => parseSweepFile('{"strategy": "dqn-dnn", "grid": {"costs": ["config", "zero"]}}', 'sweep.json'),
    /^sweep\.json: grid\.costs: costs are a fact of the market/,
  );
  // sizing is the strategy's choice: it may be swept
  checkGrid([parseGridFlag('sizing=all,target')]);
});

test('a malformed sweep file is one line naming the file and the field', () => {
  oneLineError(() => parseSweepFile('{"strategy": "dqn-dnn", "grid": {', 'sweep.json'), /^sweep\.json: not valid JSON/);
  oneLineError(
    () => parseSweepFile('{"strategy": "dqn-dnn", "grid": {"window": [5]}, "seeds": "five"}', 'sweep.json'),
    /^sweep\.json: seeds: /,
  );
  oneLineError(
    () => parseSweepFile('{"strategy": "dqn-dnn", "grid": {"window": []}}', 'sweep.json'),
    /^sweep\.json: grid\.window: /,
  );
  oneLineError(
    () => parseSweepFile('{"strategy": "dqn-dnn", "grid": {"window": [5]}, "sedes": 3}', 'sweep.json'),
    /^sweep\.json: .*sedes/,
  );
  oneLineError(() => parseSweepFile('{"grid": {"window": [5]}}', 'sweep.json'), /^sweep\.json: strategy: /);
  const ok = parseSweepFile('{"strategy": "dqn-dnn", "grid": {"window": [3, 5]}, "seeds": 2, "folds": 2}', 's.json');
  assert.deepEqual(ok.grid, { window: [3, 5] });
});

test('recipe keys: unknown keys and wrong kinds are one line; learner defaults may be swept', () => {
  oneLineError(
    () => applyParams(recipe, { 'learner.learningRat': 0.1 }, 'tiny'),
    /--grid learner\.learningRat: strategies\/tiny\.ts's recipe has no "learner\.learningRat"/,
  );
  oneLineError(() => applyParams(recipe, { windw: 3 }, 'tiny'), /has no "windw"/);
  oneLineError(() => applyParams(recipe, { window: 'five' }, 'tiny'), /--grid window="five": expected a number like 3/);
  oneLineError(
    () => applyParams(recipe, { window: 2.5 }, 'tiny'),
    /strategies\/tiny\.ts: recipe\.window: Invalid input: expected int/,
  );
  const r = applyParams(recipe, { 'learner.gamma': 0.5, 'network.hidden': [8, 4] }, 'tiny');
  assert.equal((r.learner as { gamma?: number }).gamma, 0.5);
  assert.deepEqual(r.network.hidden, [8, 4]);
  assert.deepEqual(recipe.network.hidden, [16], 'the base recipe is not changed');
});

test('grid expansion: all configurations in order, or a seeded random draw without repeats', () => {
  const grid = [parseGridFlag('a=1,2,3'), parseGridFlag('b=x,y')];
  assert.deepEqual(
    expandGrid(grid).map((p) => `${p.a}${p.b}`),
    ['1x', '1y', '2x', '2y', '3x', '3y'],
  );
  const r1 = expandGrid(grid, 4, 7).map((p) => `${p.a}${p.b}`);
  assert.equal(new Set(r1).size, 4);
  assert.deepEqual(
    expandGrid(grid, 4, 7).map((p) => `${p.a}${p.b}`),
    r1,
    'same seed, same draw',
  );
});

test('random search over a grid of 262144 configurations draws K of them without listing the rest', () => {
  // six keys of eight values: listing every configuration overflowed the stack before any job ran
  const grid = ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => parseGridFlag(`${k}=1,2,3,4,5,6,7,8`));
  checkGrid(grid, 20);
  const drawn = expandGrid(grid, 20, 3);
  assert.equal(drawn.length, 20);
  assert.equal(new Set(drawn.map((p) => JSON.stringify(p))).size, 20, 'no configuration twice');
  for (const p of drawn) assert.deepEqual(Object.keys(p), ['a', 'b', 'c', 'd', 'e', 'f'], 'every key, in grid order');
  assert.deepEqual(expandGrid(grid, 20, 3), drawn, 'same seed, same draw');
  // the full listing's order is unchanged: first key slowest
  assert.deepEqual(expandGrid([parseGridFlag('a=1,2'), parseGridFlag('b=x,y,z')])[4], { a: 2, b: 'y' });
});

test('too many jobs (configurations × seeds × folds × markets) is one line before anything is read', () => {
  const grid = [parseGridFlag('window=3,5')];
  oneLineError(
    () => checkJobCount({ grid, seeds: 3_000_000, folds: 1 }),
    /^the sweep would run 6000000 jobs \(2 configuration\(s\) × 3000000 seed\(s\) × 1 fold\(s\) × 1 market\(s\)\)/,
  );
  oneLineError(
    () => checkJobCount({ grid, random: 1, seeds: 1001, folds: 20, symbols: ['A/B', 'C/D', 'E/F', 'G/H', 'I/J'] }),
    /would run 100100 jobs .*5 market\(s\)\); at most 100000/,
  );
  checkJobCount({ grid, random: 1, seeds: 1000, folds: 20, symbols: ['A/B', 'C/D', 'E/F', 'G/H', 'I/J'] });
  const huge = Array.from({ length: 20 }, (_, i) => parseGridFlag(`k${i}=1,2,3,4,5,6,7,8,9,10`));
  oneLineError(() => checkGrid(huge, 5), /too many even for --random/);
});

test('job ids: the same sweep gives the same ids; other seed, fold, parameter, data or code gives new ones', () => {
  const settings = loadConfig({ overrides: { agent: { maxCandles: 0 } } });
  const candles = syntheticCandles({ seed: 1, count: 400 });
  const series = [{ candles, label: 'syn', fromGiven: false }];
  const req = {
    strategy: 'tiny',
    grid: [parseGridFlag('learner.learningRate=1e-3,1e-2')],
    seeds: 2,
    seed: 1,
    folds: 2,
  };
  const plan = (code = 'c0de') => planSweep(req, configurations(req, recipe), series, settings, code);
  const a = plan();
  const b = plan();
  assert.equal(a.jobs.length, 2 * 2 * 2);
  assert.deepEqual(
    a.jobs.map((j) => j.id),
    b.jobs.map((j) => j.id),
  );
  assert.equal(a.id, b.id);
  assert.equal(new Set(a.jobs.map((j) => j.id)).size, a.jobs.length, 'every job its own id');
  const other = planSweep(
    req,
    configurations(req, recipe),
    [{ ...series[0], candles: syntheticCandles({ seed: 2, count: 400 }) }],
    settings,
    'c0de',
  );
  assert.equal(other.jobs.filter((j) => a.jobs.some((k) => k.id === j.id)).length, 0, 'other data, other ids');
  // a result made by other code is not this code's: a re-run after a change runs every job again
  const changed = plan('c0de2');
  assert.equal(changed.jobs.filter((j) => a.jobs.some((k) => k.id === j.id)).length, 0, 'other code, other ids');
  assert.ok(
    changed.jobs.every((j) => j.code === 'c0de2'),
    'every job carries the code fingerprint',
  );
  // the folds of all configurations are the same candles (laid out after the largest warm-up)
  const wide = { ...req, grid: [parseGridFlag('window=3,20')] };
  const p = planSweep(wide, configurations(wide, recipe), series, settings, 'c0de');
  const byFold = new Map<number, string>();
  for (const j of p.jobs) {
    const key = JSON.stringify(j.fold);
    assert.ok(
      !byFold.has(j.fold.index) || byFold.get(j.fold.index) === key,
      'one window layout for every configuration',
    );
    byFold.set(j.fold.index, key);
  }
});
