/**
 * `bot paper` and `bot live` with no --strategy take backtest.strategy, dqn-dnn, a learning agent: their help says so,
 * and the refusal names the command that trains and saves a model on an empty store (bot backtest), then --model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { runBot } from './run.ts';

test('bare bot paper --once on an empty store names bot backtest --strategy dqn-dnn, then --model', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bot-paper-agent-'));
  const res = await runBot(['paper', '--once', '--db', path.join(dir, 'bot.db')], {}, dir);
  assert.equal(res.code, 1);
  // it named bot retrain, which stops with "no candles … stored" on an empty store
  assert.equal(
    res.stderr,
    'error: strategy "dqn-dnn" is a learning agent: train and save a model of it first ' +
      '(bot backtest --strategy dqn-dnn writes models/dqn-dnn), then trade it with --model models/dqn-dnn\n',
  );
});

test('bot paper --help and bot live --help name the default strategy config/default.json sets, an agent', async () => {
  // read from the file, not a literal: the help line named dqn-dnn literally, in two copies (audit, session 38)
  const defaults = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'config/default.json'), 'utf8')) as {
    backtest: { strategy: string };
  };
  const want =
    `rule strategy from strategies/ (default: backtest.strategy, ${defaults.backtest.strategy}: an agent, ` +
    'so give --model or a rule)';
  for (const command of ['paper', 'live']) {
    const res = await runBot([command, '--help']);
    assert.equal(res.code, 0);
    const help = res.stdout.replace(/\s+/g, ' ');
    assert.ok(help.includes(`--strategy <name> ${want}`), help);
  }
});
