/**
 * `--name` on every command that takes it (backtest one market or a portfolio, sweep, paper, live, status) is checked
 * with the other flags: before the files the flags name, the database, a model folder, the backend or the candles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBot } from './run.ts';

test('a bad --name is the first error of every command that takes it, before files, databases or candles', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'bot-cli-name-'));
  // an exchange nothing listens on: a check that came too late fails fast instead of reaching the internet
  const offline = { exchange: { ccxt: { urls: { api: { public: 'http://127.0.0.1:1' } } }, retries: 1 } };
  writeFileSync(path.join(cwd, 'offline.json'), JSON.stringify(offline));
  const before = readdirSync(cwd, { recursive: true }).sort();
  const bad = ['--name', '.hidden', '--config', 'offline.json'];
  const twoMarkets = ['--symbols', 'AAA/KRW,BBB/KRW'];
  const cases: string[][] = [
    // each of these files and folders is missing: the name was not reached (or, for an agent run, only after the
    // backend and the candles)
    ['backtest', '--strategy', 'dqn-dnn', '--data', 'missing.csv', ...bad],
    ['backtest', '--strategy', 'ppo-etf-pair', ...twoMarkets, '--data', 'a.csv,b.csv', ...bad],
    ['sweep', '--strategy', 'dqn-dnn', '--grid', 'window=3,4', '--data', 'missing.csv', ...bad],
    // a config file that is not there: the name came after the config, a --retrain model and --serve
    ['backtest', '--sample', '--strategy', 'dqn-dnn', '--name', '.hidden', '--config', 'missing.json'],
    ['paper', '--once', '--strategy', 'random', '--name', '.hidden', '--config', 'missing.json'],
    ['live', '--once', '--strategy', 'random', '--confirm-live', '--name', '.hidden', '--config', 'missing.json'],
    ['status', '--db', 'typo.db', ...bad],
  ];
  const keys = { BOT_API_KEY: 'test-key', BOT_API_SECRET: 'test-secret' };
  const results = await Promise.all(cases.map((args) => runBot(args, args[0] === 'live' ? keys : {}, cwd)));
  // all at once, so a failure shows every command's first line
  const nameLine =
    /^error: --name "\.hidden" must start with a letter or digit and hold only letters, digits, \., _ or -/;
  const firstLines = results.map((r, i) => `${cases[i][0]}: exit ${r.code}, ${r.stderr.split('\n')[0]}`);
  const named = results.map((r, i) => `${cases[i][0]}: exit ${r.code}, ${nameLine.test(r.stderr) ? 'the name' : '?'}`);
  assert.deepEqual(
    named,
    cases.map((c) => `${c[0]}: exit 1, the name`),
    firstLines.join('\n'),
  );
  for (const r of results) assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  assert.deepEqual(readdirSync(cwd, { recursive: true }).sort(), before, 'nothing created in the working folder');
});
