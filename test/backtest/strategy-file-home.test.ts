/**
 * A strategy FILE outside strategies/ that keeps a shipped strategy's `name` (a copy of strategies/dqn-dnn.ts with its
 * recipe changed): its model went to models/dqn-dnn, the shipped strategy's home, recording only that name, so a later
 * `bot retrain` trained the shipped recipe and paper's advice named a folder under models/ made of the file's path
 * (audit, session 39). Saving its model needs --name, refused in one line before any training; the model records the
 * file, which a retrain names but never imports; advice names `--strategy FILE`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { candleRows } from '../../src/core/candles.ts';
import { loadConfig } from '../../src/config/load.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import type { ChallengerRequest } from '../../src/trading/retrain.ts';
import { runRetrainJob } from '../../src/trading/retrain-job.ts';
import { quietLogger } from '../trading/helpers.ts';
import { runBot } from '../cli/run.ts';
import { STRATEGIES_DIR } from '../../src/agents/strategy.ts';
import { candlesToCsv } from '../../src/data/csv.ts';
import { tinyStudyHome } from './tiny-study.ts';

/** `s` as a regular expression that matches it alone. */
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** stderr's one line, or a failed assertion showing all of it. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  return lines[0];
}

test('a file named as a shipped strategy saves its model only under --name, which records the file', async () => {
  const home = tinyStudyHome('bot-strategy-file-home-');
  const models = path.join(home.dir, 'models');
  const db = path.join(home.dir, 'bot.db');
  writeFileSync(
    home.config,
    JSON.stringify({
      log: { level: 'error', file: '' },
      ml: { backend: 'wasm' },
      agent: { modelsDir: models, summaryEvery: 0 },
      data: { database: db },
    }),
  );
  // the user's copy of dqn-dnn: its own recipe (tiny-study's), the shipped name kept
  mkdirSync(path.join(home.dir, 'mine'));
  const file = path.join(home.dir, 'mine', 'dqn-dnn.ts');
  writeFileSync(file, readFileSync(home.strategy, 'utf8').replace('"name": "tiny-a"', '"name": "dqn-dnn"'));
  const flags = ['--data', home.csv, '--config', home.config];

  const refused = await runBot(['backtest', '--strategy', file, ...flags, '--out', path.join(home.dir, 'never')]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(
    oneLine(refused.stderr),
    new RegExp(
      `^error: ${esc(file)} is named "dqn-dnn", as strategies/dqn-dnn\\.ts is: its model would go to ` +
        `${esc(path.join(models, 'dqn-dnn'))}, that strategy's model home; give --name NAME`,
    ),
  );
  assert.equal(existsSync(path.join(models, 'dqn-dnn')), false, 'a model went to the shipped strategy home');
  assert.equal(existsSync(path.join(home.dir, 'never')), false, 'refused before the run wrote anything');

  const saved = await runBot(['backtest', '--strategy', file, ...flags, '--name', 'mine', '--out', home.dir + '/run']);
  assert.equal(saved.code, 0, saved.stderr);
  const meta = JSON.parse(readFileSync(path.join(models, 'mine', 'meta.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(meta.strategy, 'dqn-dnn');
  assert.equal(meta.strategyFile, file);

  // a retrain of it names the file, never the shipped strategy, and imports nothing; a retrain of the file with no
  // --model has no home of its own either
  const config = loadConfig({ overrides: { agent: { modelsDir: models }, data: { database: db }, log: { file: '' } } });
  const job = { config, logger: quietLogger(), train: () => Promise.reject(new Error('no training here')) };
  await assert.rejects(runRetrainJob({ ...job, model: path.join(models, 'mine') }), (e: Error) => {
    assert.match(
      oneLine(e.message),
      new RegExp(
        `was trained from the strategy file ${esc(file)} \\(named "dqn-dnn"\\), not from strategies/; ` +
          `.*pass --strategy ${esc(file)} explicitly`,
      ),
    );
    return true;
  });
  await assert.rejects(runRetrainJob({ ...job, strategy: file }), (e: Error) => {
    assert.match(oneLine(e.message), /is named "dqn-dnn", as strategies\/dqn-dnn\.ts is: .*give --model HOME/);
    return true;
  });
  assert.equal(existsSync(path.join(models, 'dqn-dnn')), false);

  // paper's advice names the file and --name, not the name, nor a folder made of the file's path
  const paper = await runBot(['paper', '--strategy', file, '--once', ...flags.slice(2)]);
  assert.equal(paper.code, 1, paper.stderr);
  assert.match(
    oneLine(paper.stderr),
    new RegExp(
      `\\(bot backtest --strategy ${esc(file)} --name NAME writes ${esc(path.join(models, 'NAME'))}\\), then ` +
        `trade it with --model ${esc(path.join(models, 'NAME'))}$`,
    ),
  );
});

test('bot retrain --strategy FILE --model HOME: the challenger records the file and the strategy name', async () => {
  const home = tinyStudyHome('bot-strategy-file-retrain-');
  const file = path.join(home.dir, 'dqn-dnn.ts');
  writeFileSync(file, readFileSync(home.strategy, 'utf8').replace('"name": "tiny-a"', '"name": "dqn-dnn"'));
  const config = loadConfig({
    overrides: {
      exchange: { id: 'sample' },
      symbol: 'SYN/KRW',
      timeframe: '1h',
      data: { database: path.join(home.dir, 'bot.db') },
      log: { file: '' },
      ml: { backend: 'wasm' },
      trading: { retrain: { trainCandles: 100, holdoutCandles: 40, epochs: 1 } },
    },
  });
  const candles = syntheticCandles({ seed: 5, count: 300, timeframe: '1h', symbol: 'SYN/KRW' });
  const store = CandleStore.open(config.data.database);
  store.upsert('sample', 'SYN/KRW', '1h', candleRows(candles));
  store.close();
  const modelHome = path.join(home.dir, 'models', 'mine');
  mkdirSync(modelHome, { recursive: true });
  let asked: ChallengerRequest | undefined;
  const r = await runRetrainJob({
    config,
    logger: quietLogger(),
    strategy: file,
    model: modelHome,
    clock: () => candles.ts[candles.ts.length - 1] + 3_600_000,
    train: (req) => {
      asked = req;
      return Promise.reject(new Error('no training here'));
    },
  });
  assert.equal(r.outcome, 'failed', r.reason);
  assert.ok(asked, r.reason);
  assert.equal(asked.strategyName, 'dqn-dnn');
  assert.equal(asked.strategyFile, file);
});

test('a learning portfolio file named as a shipped one is refused without --name, before any candle', async () => {
  const home = tinyStudyHome('bot-strategy-file-portfolio-');
  const file = path.join(home.dir, 'ppo-portfolio.ts');
  const shipped = JSON.stringify(path.join(STRATEGIES_DIR, 'ppo-portfolio.ts'));
  writeFileSync(file, `import s from ${shipped};\nexport default { ...s, recipe: { ...s.recipe, epochs: 1 } };\n`);
  const data = ['a', 'b'].map((n, i) => {
    const csv = path.join(home.dir, `${n}.csv`);
    writeFileSync(csv, candlesToCsv(syntheticCandles({ seed: 40 + i, count: 300, timeframe: '1h' })));
    return csv;
  });
  const out = path.join(home.dir, 'never');
  const r = await runBot(
    [
      'backtest',
      '--strategy',
      file,
      '--symbols',
      'A/USD,B/USD',
      '--data',
      data.join(','),
      '--out',
      out,
      '--config',
      home.config,
    ],
    {},
  );
  assert.equal(r.code, 1, r.stderr);
  assert.match(oneLine(r.stderr), /is named "ppo-portfolio", as strategies\/ppo-portfolio\.ts is: .*give --name NAME/);
  assert.equal(existsSync(out), false);
});
