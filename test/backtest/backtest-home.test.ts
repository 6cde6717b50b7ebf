/**
 * `bot backtest` saving its model over a model home (`models/<strategy>` by default): a folder holding a home's
 * `versions/`, `CURRENT` or retrain lock is refused in one line naming --name, before any training, and nothing in it
 * is touched. Replacing it whole deleted the promoted versions and the lock of a running retrain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../data/helpers.ts';
import { runBot } from '../cli/run.ts';

/** A home a retrain used: the first model, a version it staged and committed, its lock file; maybe CURRENT. */
function home(models: string, name: string, pointer: boolean): string {
  const dir = path.join(models, name);
  mkdirSync(path.join(dir, 'versions', 'v1'), { recursive: true });
  writeFileSync(path.join(dir, 'meta.json'), '{"name":"first"}');
  writeFileSync(path.join(dir, 'versions', 'v1', 'meta.json'), '{"name":"v1"}');
  writeFileSync(path.join(dir, '.retrain-lock.db'), '');
  if (pointer) writeFileSync(path.join(dir, 'CURRENT'), 'v1\n');
  return dir;
}

/** Every file under `dir` with its content, to show nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(
    files.map((e) => [path.join(e.parentPath, e.name), readFileSync(path.join(e.parentPath, e.name), 'utf8')]),
  );
}

for (const [strategy, pointer] of [
  ['dqn-dnn', false],
  ['ppo-etf-pair', true],
] as const)
  test(`bot backtest --strategy ${strategy} refuses a home (${pointer ? 'with' : 'without'} CURRENT)`, async () => {
    const dir = tempDir('bot-backtest-home-');
    const models = path.join(dir, 'models');
    const config = path.join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ agent: { modelsDir: models }, ml: { backend: 'wasm' } }));
    const served = home(models, strategy, pointer);
    const before = snapshot(served);
    const args = ['backtest', '--strategy', strategy, '--sample', '--epochs', '1', '--out', path.join(dir, 'run')];
    const r = await runBot([...args, '--config', config, '--log-level', 'error']);
    assert.notEqual(r.code, 0);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    const held = pointer ? '.retrain-lock.db, CURRENT, versions' : '.retrain-lock.db, versions';
    assert.match(lines[0], new RegExp(`${strategy} holds ${held.replace(/\./g, '\\.')} besides a saved model`));
    assert.match(lines[0], /choose another --name/);
    assert.deepEqual(snapshot(served), before);
    // elsewhere, the run trains and saves
    const ok = await runBot([...args, '--name', 'elsewhere', '--config', config, '--log-level', 'error']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(snapshot(served), before);
    assert.ok(readdirSync(path.join(models, 'elsewhere')).includes('meta.json'));
  });
