/**
 * A training backtest that fails part-way takes back what it wrote (epoch summaries, the report folder it made), so
 * the same command can be run again; it never removes what it did not write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { runBot } from '../cli/run.ts';

test(`an agent backtest whose training fails leaves no half-written report folder: --out made by the run is removed, \
an existing empty --out is left empty, the default folder is removed, and a rerun is not refused`, async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'bot-failed-run-'));
  try {
    writeFileSync(
      path.join(cwd, 'config.json'),
      JSON.stringify({ log: { file: '' }, ml: { backend: 'wasm' }, agent: { summaryEvery: 1, maxCandles: 400 } }),
    );
    // a learner that starts learning after more transitions than the run has (fewer than its replay holds, which
    // is refused at load): training never updates the network
    const dqn = JSON.stringify(path.join(PROJECT_ROOT, 'strategies/dqn-dnn.ts'));
    writeFileSync(
      path.join(cwd, 'never.ts'),
      `import dqn from ${dqn};\n` +
        'export default { ...dqn, recipe: { ...dqn.recipe, learner: { ...dqn.recipe.learner, warmup: 40000 } } };\n',
    );
    // --name: the file keeps dqn-dnn's name, and a file from elsewhere may not save into a shipped strategy's home
    const args = ['backtest', '--sample', '--strategy', 'never.ts', '--name', 'never', '--epochs', '1'];
    const run = (out: string[]) => runBot([...args, '--config', 'config.json', ...out], {}, cwd);
    const failed = /^error: \[.*\] training never updated the network/m;
    // --out a folder the run makes, inside a parent it makes too; a sibling written before stays
    mkdirSync(path.join(cwd, 'runs'));
    writeFileSync(path.join(cwd, 'runs', 'keep.txt'), 'mine');
    for (let i = 0; i < 2; i++) {
      const r = await run(['--out', 'runs/from']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, failed, 'the same failure again, not an --out refusal');
      assert.ok(!existsSync(path.join(cwd, 'runs', 'from')), 'the folder the run made is gone');
      assert.deepEqual(readdirSync(path.join(cwd, 'runs')), ['keep.txt'], 'what it did not write stays');
    }
    const fresh = await run(['--out', 'made/deep/from']);
    assert.equal(fresh.code, 1, fresh.stderr);
    assert.ok(!existsSync(path.join(cwd, 'made')), 'the parents it made are gone too');
    // an existing empty --out is left as it was: there, and empty
    mkdirSync(path.join(cwd, 'empty'));
    const empty = await run(['--out', 'empty']);
    assert.equal(empty.code, 1, empty.stderr);
    assert.deepEqual(readdirSync(path.join(cwd, 'empty')), []);
    // the default folder under backtests/ (the folder itself stays: it held nothing of this run's before)
    mkdirSync(path.join(cwd, 'backtests'));
    const byDefault = await run([]);
    assert.equal(byDefault.code, 1, byDefault.stderr);
    assert.deepEqual(readdirSync(path.join(cwd, 'backtests')), []);
    assert.ok(!existsSync(path.join(cwd, 'models', 'never')), 'no model saved');
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
