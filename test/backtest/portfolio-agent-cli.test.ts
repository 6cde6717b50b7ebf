/**
 * `bot backtest --strategy ppo-etf-pair|ppo-portfolio --sample` (issue 14): walk-forward training with the portfolio
 * baselines beside it, report.json's `agent` and `portfolio` parts, report.html's stacked weights, the saved model
 * folder backtested with `--model` and asked with `bot predict`, and the `--informative` rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PortfolioReport } from '../../src/backtest/portfolio-report.ts';
import { ModelFiles, readModel } from '../../src/server/model-catalog.ts';
import { tempDir } from '../data/helpers.ts';
import { runBot } from '../cli/run.ts';
import { candlesToCsv } from '../../src/data/csv.ts';
import { alternatingPair } from '../agents/portfolio-helpers.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';

type Window = { from: string; to: string };

function setup(): { dir: string; config: string; models: string } {
  const dir = tempDir('bot-pfagent-');
  const models = path.join(dir, 'models');
  const config = path.join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ agent: { modelsDir: models }, ml: { backend: 'wasm' } }));
  return { dir, config, models };
}

test('ppo-etf-pair --sample: index informative, derived instruments, baselines, report, a loadable model', async () => {
  const { dir, config, models } = setup();
  const out = path.join(dir, 'run');
  const base = ['--config', config, '--log-level', 'error'];
  const r = await runBot([
    'backtest',
    '--strategy',
    'ppo-etf-pair',
    '--sample',
    '--epochs',
    '1',
    '--out',
    out,
    ...base,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /SP500\/USD \(informative, not traded\): bundled sample/);
  assert.match(r.stdout, /SP500-2X\/USD: derived from the bundled sample/);
  for (const line of [
    /^ppo-etf-pair /m,
    /equal weights rebalanced every 20/,
    /equal weights bought and held/,
    /SP500-2X\/USD bought and held/,
    /SP500-INV\/USD bought and held/,
    /fixed 50\/50 split/,
    /random weights \(10 seeds, mean ± sd\)/,
  ])
    assert.match(r.stdout, line);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as PortfolioReport;
  assert.deepEqual(report.portfolio.symbols, ['SP500-2X/USD', 'SP500-INV/USD']);
  assert.deepEqual(
    report.data.informative?.map((s) => s.symbol),
    ['SP500/USD'],
  );
  const agent = report.agent as { folds: { train: string[]; test: string[] }[]; action: string };
  assert.equal(agent.folds.length, 2);
  assert.ok(agent.folds[0].train[1] < agent.folds[0].test[0], 'each fold trades after what it trained on');
  // every sample series opens 2000-01-03; rltrader-v1's rows before the 120th candle are its warm-up's zeros and the
  // window is 10 rows: training starts at the 129th candle, 2000-07-06 (it started at the 10th, on constant input)
  for (const f of agent.folds) assert.equal(f.train[0], '2000-07-06');
  assert.match(agent.action, /sigmoid/);
  // fully invested: the two weights add up to ~1 once invested
  const w = report.portfolio.weights;
  const t = w[0].length - 1;
  assert.ok(Math.abs(w[0][t] + w[1][t] - 1) < 0.01, `weights ${w[0][t]} + ${w[1][t]}`);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /Weights over time/);
  assert.equal((html.match(/<polygon /g) ?? []).length, 3, 'two markets and cash stacked');
  assert.match(html, /contribution to P\/L/);
  const modelDir = path.join(models, 'ppo-etf-pair');
  assert.ok(existsSync(path.join(modelDir, 'meta.json')));
  // the test figures this run measured, nested as a single market's model has them, as the models API serves them
  // (it served `{}`, and the dashboard's Models page a dash)
  const s = report.summary;
  const fills = readFileSync(path.join(out, 'trades.csv'), 'utf8').trim().split('\n').length - 1;
  assert.deepEqual((await readModel(models, 'ppo-etf-pair', new ModelFiles()))?.versions[0].metrics, {
    test: {
      totalReturn: s.totalReturn,
      sharpe: s.sharpe,
      maxDrawdown: s.maxDrawdown,
      trades: fills,
      feesPaid: s.feesPaid,
      turnover: s.turnover,
    },
    symbol: 'SP500-2X/USD,SP500-INV/USD',
    exchange: 'sample',
    timeframe: '1d',
  });
  // the whole sample starts inside the training window: warned, as a one-market --model backtest is
  const warn = ['--config', config, '--log-level', 'warn'];
  const again = await runBot(['backtest', '--model', modelDir, '--sample', '--out', path.join(dir, 'again'), ...warn]);
  assert.equal(again.code, 0, again.stderr);
  const trained = (JSON.parse(readFileSync(path.join(modelDir, 'meta.json'), 'utf8')) as { trainingWindow: Window })
    .trainingWindow;
  assert.match(
    again.stderr,
    new RegExp(`starts before the end of the model's training window \\(${trained.from} … ${trained.to}\\)`),
  );
  assert.equal(trained.from, '2000-07-06');
  assert.match(again.stderr, /not out of sample/);
  // and in the report: under the table, in report.json and report.html, and in `bot report`
  assert.match(again.stdout, /^note: NOT OUT OF SAMPLE: the range starts before the end of the model's training/m);
  assert.doesNotMatch(again.stdout, /not out of sample/, 'said once, not twice in the note');
  // the first time is the model's first decision (its warm-up), not the start of any one series
  assert.match(again.stdout, /\(start set by the model's warm-up, end by /);
  const stored = JSON.parse(readFileSync(path.join(dir, 'again', 'report.json'), 'utf8')) as PortfolioReport;
  assert.equal(stored.portfolio.timestamps[0], Date.parse('2000-07-06'), 'the first decision: the first full window');
  assert.deepEqual(stored.data.notOutOfSample?.trainingWindow, { from: trained.from, to: trained.to });
  assert.match(readFileSync(path.join(dir, 'again', 'report.html'), 'utf8'), /NOT OUT OF SAMPLE/);
  const reprinted = await runBot(['report', path.join(dir, 'again'), ...warn]);
  assert.match(reprinted.stdout, /^note: NOT OUT OF SAMPLE: /m);
  const after = new Date(Date.parse(trained.to) + 86_400_000).toISOString();
  const later = ['backtest', '--model', modelDir, '--sample', '--from', after, '--out', path.join(dir, 'later')];
  const outOfSample = await runBot([...later, ...warn]);
  assert.equal(outOfSample.code, 0, outOfSample.stderr);
  assert.doesNotMatch(outOfSample.stderr, /not out of sample/);
  assert.doesNotMatch(outOfSample.stdout, /NOT OUT OF SAMPLE/);
  assert.match(outOfSample.stdout, /\(start set by --from, end by /);
  assert.match(again.stdout, /^ppo-etf-pair /m);
  assert.match(again.stdout, /SP500\/USD \(informative, not traded\)/);
  // a saved model's scalers were fitted on its informative series: --informative (which replaces a recipe's) is refused
  const other = await runBot(['backtest', '--model', modelDir, '--sample', '--informative', 'SP500-2X/USD', ...base]);
  assert.match(other.stderr, /reads the informative series it was trained on \(SP500\/USD\); --informative is for str/);
  const predict = await runBot(['predict', '--model', modelDir, '--sample', '--weights', '0.5,0.5', '--json', ...base]);
  assert.equal(predict.code, 0, predict.stderr);
  const p = JSON.parse(predict.stdout) as { weights: Record<string, number>; cash: number; candle: string };
  assert.deepEqual(Object.keys(p.weights), ['SP500-2X/USD', 'SP500-INV/USD']);
  assert.ok(Math.abs(p.weights['SP500-2X/USD'] + p.weights['SP500-INV/USD'] - 1) < 1e-9, 'fully invested');
  assert.equal(p.candle, '2020-04-17T00:00:00Z');
  const early = await runBot(['predict', '--model', modelDir, '--sample', '--at', '2000-07-05', ...base]);
  assert.equal(
    early.stderr,
    'error: features are not full until 2000-07-06T00:00:00Z (the warm-up of SP500-2X/USD, SP500-INV/USD, ' +
      'SP500/USD): no decision at 2000-07-05T00:00:00Z\n',
  );
  assert.equal(early.code, 1);
  const bad = await runBot(['predict', '--model', modelDir, '--sample', '--position', '0.5', ...base]);
  assert.match(bad.stderr, /--position is for one market/);
});

test('ppo-portfolio --sample: three markets and cash; --informative rules', async () => {
  const { dir, config } = setup();
  const base = ['--config', config, '--log-level', 'error'];
  const out = path.join(dir, 'run');
  const args = ['backtest', '--strategy', 'ppo-portfolio', '--sample', '--epochs', '1', '--folds', '1', '--out', out];
  const r = await runBot([...args, ...base]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as PortfolioReport;
  assert.equal(report.portfolio.symbols.length, 3);
  assert.match(String((report.agent as { action: string }).action), /cash/);
  const cases: [string[], RegExp][] = [
    [['--strategy', 'equal-weight', '--sample', '--informative', 'SP500/USD'], /a rule strategy reads no other/],
    [['--strategy', 'ppo-etf-pair', '--sample', '--informative', 'SP500-2X/USD'], /both traded and informative/],
    [
      ['--strategy', 'ppo-portfolio', '--sample', '--symbols', 'SP500-2X/USD,SP500/USD', '--informative', 'SP500/USD'],
      /both traded and informative/,
    ],
    [['--strategy', 'ppo-portfolio', '--sample', '--informative', 'X,X'], /names a series twice/],
  ];
  for (const [a, re] of cases) {
    const e = await runBot(['backtest', ...a, ...base]);
    assert.notEqual(e.code, 0);
    assert.match(e.stderr, re);
  }
});

test('--data a.csv,b.csv,i.csv pairs with --symbols then --informative', async () => {
  const { dir, config } = setup();
  const d = alternatingPair(700, 4);
  const files = [d.a, d.b, d.index].map((c, i) => {
    const f = path.join(dir, `${i}.csv`);
    writeFileSync(f, candlesToCsv(c));
    return f;
  });
  const out = path.join(dir, 'run');
  const r = await runBot([
    'backtest',
    '--strategy',
    'ppo-portfolio',
    '--symbols',
    'A/USD,B/USD',
    '--informative',
    'I/USD',
    '--data',
    files.join(','),
    '--epochs',
    '1',
    '--folds',
    '1',
    '--out',
    out,
    '--config',
    config,
    '--log-level',
    'error',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /I\/USD \(informative, not traded\): 2\.csv/);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as PortfolioReport;
  assert.deepEqual(report.portfolio.symbols, ['A/USD', 'B/USD']);
  const few = await runBot([
    'backtest',
    '--strategy',
    'ppo-portfolio',
    '--symbols',
    'A/USD,B/USD',
    '--informative',
    'I/USD',
    '--data',
    files.slice(0, 2).join(','),
    '--config',
    config,
  ]);
  assert.match(few.stderr, /--data names 2 files for 2 --symbols and 1 informative series/);
});

test(`ppo-etf-pair on series stored by \`bot data derive\`: --informative replaces the recipe's index (it was refused,
and without it the missing SP500/USD did not say whence it came)`, async () => {
  const { dir, config } = setup();
  const db = path.join(dir, 'bot.db');
  const csv = path.join(dir, 'btc.csv');
  writeFileSync(csv, candlesToCsv(syntheticCandles({ seed: 7, count: 400, timeframe: '1d', symbol: 'BTC/USDT' })));
  const store = ['--exchange', 'binance', '--timeframe', '1d', '--db', db, '--config', config];
  const imported = await runBot(['data', 'import', csv, '--symbol', 'BTC/USDT', ...store]);
  assert.equal(imported.code, 0, imported.stderr);
  for (const [k, symbol] of [
    ['2', 'BTC-2X/USDT'],
    ['-1', 'BTC-INV/USDT'],
  ]) {
    const d = await runBot(['data', 'derive', '--from', 'BTC/USDT', '--leverage', k, '--symbol', symbol, ...store]);
    assert.equal(d.code, 0, d.stderr);
  }
  const args = ['backtest', '--strategy', 'ppo-etf-pair', '--symbols', 'BTC-2X/USDT,BTC-INV/USDT', ...store];
  const missing = await runBot([...args, '--log-level', 'error']);
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr,
    'error: no stored candles for binance SP500/USD 1d, the informative series strategy "ppo-etf-pair" names: ' +
      '--informative SYMBOL[,…] reads another (e.g. the index your traded series were derived from); ' +
      'see `bot data list`\n',
  );
  const out = path.join(dir, 'run');
  const train = ['--epochs', '1', '--folds', '1', '--out', out, '--log-level', 'info'];
  const r = await runBot([...args, '--informative', 'BTC/USDT', ...train]);
  assert.equal(r.code, 0, r.stderr);
  const said = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /replaces/.test(l));
  assert.equal(said.length, 1, `one info line: ${said.join(' | ')}`);
  assert.match(said[0], /--informative BTC\/USDT replaces strategy "ppo-etf-pair"'s informative SP500\/USD/);
  assert.match(r.stdout, /BTC\/USDT \(informative, not traded\): binance BTC\/USDT 1d/);
  assert.match(r.stdout, /BTC-2X\/USDT: binance BTC-2X\/USDT 1d \(store; derived: 2× BTC\/USDT rebalanced/);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as PortfolioReport;
  assert.deepEqual(report.portfolio.symbols, ['BTC-2X/USDT', 'BTC-INV/USDT']);
  assert.deepEqual(
    report.data.informative?.map((s) => s.symbol),
    ['BTC/USDT'],
  );
});
