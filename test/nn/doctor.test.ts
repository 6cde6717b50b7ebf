import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';

const run = promisify(execFile);

test('bot doctor --json reports versions, cores and the backend choice with its reason', async () => {
  const { stdout } = await run(
    process.execPath,
    [path.join(PROJECT_ROOT, 'src/cli/bot.js'), 'doctor', '--json', '--backend', 'cpu'],
    {
      cwd: os.tmpdir(),
      timeout: 60_000,
    },
  );
  const facts = JSON.parse(stdout) as Record<string, string | number>;
  assert.equal(facts.node, process.version);
  assert.equal(facts.cores, os.availableParallelism());
  assert.equal(facts.backend, 'cpu');
  assert.match(String(facts['backend reason']), /forced/);
  for (const key of ['tfjs', 'ccxt', 'sharp', 'sqlite']) assert.match(String(facts[key]), /\d+\.\d+/, key);
  for (const key of ['tfjs-node', 'tfjs-node-gpu'])
    assert.match(String(facts[key]), /^(installed|not available: .+)/, key);
});
