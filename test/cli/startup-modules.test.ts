/**
 * What a `bot` command loads before its flags are checked: a run that stops at a flag mistake or at its own input (a
 * balance below the minimum order, an agent's included), and `bot status`, load neither ccxt (hundreds of files) nor
 * the dashboard's web server; each loads when a run reaches an exchange or `--serve` asks for the dashboard. Nor do
 * they, or the data commands, load TensorFlow.js: it loads when a run trains, loads a model or predicts, not when an
 * agent strategy's recipe is checked (a sweep's grid over it, a portfolio agent's balance). `bot --help` and a flag
 * mistake (bot retrain, sweep and chart check their flags before the config is read) load no zod (the config and
 * report schemas' library), and none of them loads sharp (bot chart's PNG writer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { runBot, type CliResult } from './run.ts';

const PRELOAD = path.join(PROJECT_ROOT, 'test/cli/loaded-modules.mjs');

/** Runs `bot args` with the preload and returns the modules it loaded, one URL or path a line. */
async function loadedBy(args: string[], file: string, cwd: string): Promise<CliResult & { loaded: string }> {
  const env = {
    NODE_OPTIONS: `--import=${PRELOAD}`,
    LOADED_MODULES_FILE: file,
    BOT_API_KEY: 'k',
    BOT_API_SECRET: 's',
  };
  const r = await runBot(args, env, cwd);
  const loaded = readFileSync(file, 'utf8');
  assert.match(loaded, /commander/, 'the preload saw the modules');
  return { ...r, loaded };
}

test('bot paper / live with a flag or balance mistake and bot status load neither ccxt nor fastify', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'bot-startup-'));
  const cases = [
    ['paper', '--once', '--strategy', 'random', '--seed', 'abc'],
    ['live', '--once', '--strategy', 'random', '--confirm-live', '--seed', 'abc'],
    ['status', '--db', 'none.db'],
    // a new run's balance is refused before the exchange client is made (one market and a portfolio)
    ['paper', '--once', '--strategy', 'dqn-dnn', '--balance', '1'],
    ['live', '--once', '--strategy', 'dqn-dnn', '--confirm-live', '--balance', '1'],
    ['paper', '--once', '--symbols', 'AAA/KRW,BBB/KRW', '--balance', '1'],
  ];
  // four at a time: each is a whole node process
  for (let at = 0; at < cases.length; at += 4)
    await Promise.all(
      cases.slice(at, at + 4).map(async (args, j) => {
        const { code, stderr, loaded } = await loadedBy(args, path.join(cwd, `loaded-${at + j}.txt`), cwd);
        assert.equal(code === 0, args[0] === 'status', `${args.join(' ')}: ${stderr}`);
        if (args.includes('--balance')) assert.match(stderr, /^error: balance (cap )?1 is below/, args.join(' '));
        for (const pkg of ['ccxt', 'fastify'])
          assert.doesNotMatch(loaded, new RegExp(`node_modules/${pkg}/`), `${args.join(' ')} loaded ${pkg}`);
      }),
    );
});

test('status, flag mistakes, rule strategies and the data commands load no tfjs, fastify or sharp', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'bot-startup-tf-'));
  // [args, what it prints on stderr, whether it reads the config first]; each stops before any network work (no
  // candles stored, or a flag refused)
  const cases: [string[], RegExp, boolean][] = [
    [['status', '--db', 'none.db'], /^$/, true],
    [
      ['backtest', '--sample', '--strategy', 'dqn-dnn', '--folds', '0'],
      /^error: --folds must be a whole number/,
      false,
    ],
    // an agent strategy's recipe is checked without TensorFlow.js: it loads when a network is built or loaded
    [
      ['backtest', '--sample', '--strategy', 'dqn-dnn', '--ensemble', 'vote'],
      /^error: --ensemble vote trades a fold's seeds as one model/,
      true,
    ],
    [['backtest', '--sample', '--strategy', 'dqn-dnn', '--balance', '1'], /^error: balance 1 is below/, true],
    // a rule strategy trains nothing: its flag mistake is found after the strategy loaded
    [['backtest', '--sample', '--strategy', 'sma-cross', '--seeds', '3'], /^error: --seeds is for agent/, true],
    [['paper', '--once', '--strategy', 'random', '--seed', 'abc'], /^error: --seed must be a whole number/, false],
    [['paper', '--once', '--symbols', 'AAA/KRW,BBB/KRW', '--balance', '1'], /^error: balance 1 is below/, true],
    // a portfolio agent's balance is checked before its model code (TensorFlow.js, and sharp with the chart code)
    [
      ['backtest', '--symbols', 'AAA/KRW,BBB/KRW', '--strategy', 'ppo-portfolio', '--balance', '1'],
      /^error: balance 1 is below/,
      true,
    ],
    [['retrain', '--strategy', 'dqn-dnn', '--epochs', '100001'], /^error: --epochs 100001 is over the limit/, false],
    [['retrain', '--schedule', 'often'], /^error: --schedule: "often" is not a cron expression/, false],
    [
      ['sweep', '--strategy', 'dqn-dnn', '--grid', 'window=3,4', '--name', '.hidden', '--sample'],
      /^error: --name/,
      false,
    ],
    [['sweep', '--strategy', 'dqn-dnn', '--grid', 'window=3,4', '--workers', '0'], /^error: --workers must be/, false],
    // a grid key the recipe lacks is found by the planner, which reaches no training code
    [['sweep', '--strategy', 'dqn-dnn', '--grid', 'bogus=3,4', '--sample'], /^error: --grid bogus: /, true],
    [['data', 'list', '--db', 'none.db'], /^$/, true],
    [['data', 'gaps', '--db', 'none.db'], /^error: no stored candles/, true],
    [['serve', '--port', 'x'], /^error: --port/, false],
    [['chart', '--scale', '0'], /^error: --scale must be a whole number/, false],
    [['--help'], /^$/, false],
  ];
  // four at a time: each is a whole node process
  for (let at = 0; at < cases.length; at += 4)
    await Promise.all(
      cases.slice(at, at + 4).map(async ([args, said, readsConfig], j) => {
        const { code, stderr, loaded } = await loadedBy(args, path.join(cwd, `loaded-${at + j}.txt`), cwd);
        assert.equal(code === 0, said.source === '^$', `${args.join(' ')}: exit ${code}, ${stderr}`);
        assert.match(stderr, said, args.join(' '));
        assert.doesNotMatch(loaded, /node_modules\/@tensorflow\//, `${args.join(' ')} loaded TensorFlow.js`);
        // nor the dashboard's web server (`bot --help` lists serve), nor the image library (nor bot chart's help)
        assert.doesNotMatch(loaded, /node_modules\/fastify\//, `${args.join(' ')} loaded fastify`);
        assert.doesNotMatch(loaded, /node_modules\/sharp\//, `${args.join(' ')} loaded sharp`);
        // the schemas' library loads with the config, or with what is read (a report, a sweep file, a recipe)
        if (!readsConfig) assert.doesNotMatch(loaded, /node_modules\/zod\//, `${args.join(' ')} loaded zod`);
      }),
    );
});
