/**
 * What a `bot` command loads before its flags are checked: a run that stops at a flag mistake, and `bot status`, load
 * neither ccxt (about a thousand files) nor the dashboard's web server; each loads when a run reaches an exchange or
 * `--serve` asks for the dashboard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { runBot } from './run.ts';

const PRELOAD = path.join(PROJECT_ROOT, 'test/cli/loaded-modules.mjs');

test('bot paper / live with a flag mistake and bot status load neither ccxt nor fastify', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'bot-startup-'));
  const cases = [
    ['paper', '--once', '--strategy', 'random', '--seed', 'abc'],
    ['live', '--once', '--strategy', 'random', '--confirm-live', '--seed', 'abc'],
    ['status', '--db', 'none.db'],
  ];
  await Promise.all(
    cases.map(async (args, i) => {
      const file = path.join(cwd, `loaded-${i}.txt`);
      const env = {
        NODE_OPTIONS: `--import=${PRELOAD}`,
        LOADED_MODULES_FILE: file,
        BOT_API_KEY: 'k',
        BOT_API_SECRET: 's',
      };
      const r = await runBot(args, env, cwd);
      assert.equal(r.code === 0, args[0] === 'status', `${args.join(' ')}: ${r.stderr}`);
      const loaded = readFileSync(file, 'utf8');
      assert.match(loaded, /commander/, 'the preload saw the modules');
      for (const pkg of ['ccxt', 'fastify'])
        assert.doesNotMatch(loaded, new RegExp(`node_modules/${pkg}/`), `${args.join(' ')} loaded ${pkg}`);
    }),
  );
});
