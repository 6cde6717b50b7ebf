import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAgent } from '../../src/agents/load-agent.ts';
import { recipeCosts, recipeSizing } from '../../src/agents/setup.ts';
import { runBacktest, tradesFingerprint } from '../../src/market/backtest-engine.ts';
import { loadConfig } from '../../src/config/load.ts';
import { candlesToCsv, parseCandlesCsv } from '../../src/data/csv.ts';
import { candlesFromRows } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { inSampleWarning } from '../../src/backtest/model-backtest.ts';
import { CatalogFiles, listBacktests } from '../../src/server/catalog.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import { saveAgent, SMALL_RECIPE } from '../trading/agents.ts';
import { runBot } from '../trading/cli.ts';

test(`bot backtest --model evaluates a saved agent without training: the trades of the engine with that \
model`, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'model-backtest-'));
  const csv = path.join(dir, 'candles.csv');
  writeFileSync(csv, candlesToCsv(syntheticCandles({ seed: 11, count: 400, timeframe: '1h' })));
  // the candles as the CLI reads them back from the file
  const candles = candlesFromRows(
    'upbit',
    'BTC/KRW',
    '1h',
    parseCandlesCsv(readFileSync(csv, 'utf8'), { timeframe: '1h' }),
  );
  const home = path.join(dir, 'models', 'seeded');
  await saveAgent(home, 'seeded', candles);

  const out = path.join(dir, 'run');
  const res = await runBot([
    'backtest',
    '--model',
    home,
    '--data',
    csv,
    '--timeframe',
    '1h',
    '--out',
    out,
    '--json',
    '--log-level',
    'error',
    '--config',
    writeQuietConfig(dir),
  ]);
  assert.equal(res.code, 0, res.stderr);
  const report = JSON.parse(res.stdout) as { tradesFingerprint: string; trades: number; strategy: { kind: string } };
  assert.equal(report.strategy.kind, 'agent');

  const agent = await loadAgent(home);
  try {
    const config = loadConfig();
    const expected = runBacktest({
      ...agent.observationSource(candles),
      range: { from: agent.warmup, to: candles.ts.length },
      costs: recipeCosts(agent.recipe, config.account),
      balance: config.account.balance,
      sizing: recipeSizing(agent.recipe, config.backtest),
      policy: agent.policy,
    });
    assert.ok(expected.trades.length >= 2, 'the seeded model trades');
    assert.equal(report.trades, expected.trades.length);
    assert.equal(report.tradesFingerprint, tradesFingerprint(expected.trades));
  } finally {
    agent.dispose();
  }

  const both = await runBot([
    'backtest',
    '--model',
    home,
    '--strategy',
    'sma-cross',
    '--data',
    csv,
    '--config',
    writeQuietConfig(dir),
  ]);
  assert.notEqual(both.code, 0);
  assert.match(both.stderr.trim(), /^error: use either --model DIR or --strategy NAME/);
  const missing = await runBot([
    'backtest',
    '--model',
    path.join(dir, 'models', 'none'),
    '--data',
    csv,
    '--config',
    writeQuietConfig(dir),
  ]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no such folder/);
});

test(`bot backtest --model with a balance below the minimum order of the costs the model trades under: one line, \
exit 1, before any candles are read or a report is written`, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'model-balance-'));
  const csv = path.join(dir, 'candles.csv');
  const candles = syntheticCandles({ seed: 11, count: 400, timeframe: '1h' });
  writeFileSync(csv, candlesToCsv(candles));
  const config = path.join(dir, 'zero.json');
  // the config's own costs have no minimum: only the model's recipe's can refuse
  writeFileSync(
    config,
    JSON.stringify({ log: { level: 'error', file: '' }, ml: { backend: 'wasm' }, account: { preset: 'zero' } }),
  );
  const run = async (recipeCosts: AgentRecipe['costs']) => {
    const home = path.join(dir, 'models', recipeCosts);
    await saveAgent(home, 'seeded', candles, { ...SMALL_RECIPE, costs: recipeCosts });
    const out = path.join(dir, `run-${recipeCosts}`);
    const args = ['--data', csv, '--timeframe', '1h', '--balance', '3000', '--out', out, '--config', config];
    return { res: await runBot(['backtest', '--model', home, ...args]), out };
  };
  const upbit = await run('upbit-krw');
  assert.equal(upbit.res.code, 1, upbit.res.stdout);
  assert.match(
    upbit.res.stderr,
    /^error: balance 3000 is below the minimum order value 5000 \(the recipe's costs upbit-krw\): .*\n$/,
  );
  assert.equal(existsSync(upbit.out), false);
  // a model trading under krx-stock costs (no minimum) runs with the same balance
  const krx = await run('krx-stock');
  assert.equal(krx.res.code, 0, krx.res.stderr);
  assert.ok(existsSync(path.join(krx.out, 'report.json')));
  // report.json names the preset its costs came from: the recipe's, not the config's `zero` (it used to)
  const settings = JSON.parse(readFileSync(path.join(krx.out, 'report.json'), 'utf8')).settings;
  assert.equal(settings.costPreset, 'krx-stock');
});

function writeQuietConfig(dir: string): string {
  const f = path.join(dir, 'quiet.json');
  writeFileSync(f, JSON.stringify({ log: { level: 'error', file: '' }, ml: { backend: 'wasm' } }));
  return f;
}

/** A folder with 500 synthetic hourly candles and a config: wasm, models in the folder, no epoch summaries. */
function agentFolder(prefix: string, level: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const csv = path.join(dir, 'candles.csv');
  writeFileSync(csv, candlesToCsv(syntheticCandles({ seed: 5, count: 500, timeframe: '1h' })));
  const models = path.join(dir, 'models');
  const config = path.join(dir, 'config.json');
  const agent = { modelsDir: models, summaryEvery: 0 };
  writeFileSync(config, JSON.stringify({ log: { level, file: '' }, ml: { backend: 'wasm' }, agent }));
  return { dir, csv, models, config };
}

test(`bot backtest --strategy AGENT --json prints report.json (with the agent section) and nothing else on \
stdout`, async () => {
  const { dir, csv, config } = agentFolder('agent-json-', 'error');
  const out = path.join(dir, 'run');
  const res = await runBot([
    'backtest',
    '--strategy',
    'dqn-dnn',
    '--data',
    csv,
    '--timeframe',
    '1h',
    '--epochs',
    '3',
    '--out',
    out,
    '--json',
    '--config',
    config,
  ]);
  assert.equal(res.code, 0, res.stderr);
  const report = JSON.parse(res.stdout) as {
    strategy: { name: string; kind: string };
    extra?: { agent?: { epochs: number; runs: unknown[] } };
  };
  assert.equal(report.strategy.name, 'dqn-dnn');
  assert.equal(report.strategy.kind, 'agent');
  assert.equal(report.extra?.agent?.epochs, 3);
  assert.equal(report.extra?.agent?.runs.length, 1);
  assert.deepEqual(
    JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')),
    report,
    'stdout is the stored report',
  );
});

test(`bot backtest --model warns "not out of sample" over the validation windows the model's epoch and margin were \
chosen on, and not over a later span`, async () => {
  const { dir, csv, models, config } = agentFolder('model-oos-', 'warn');
  const common = ['--data', csv, '--timeframe', '1h', '--config', config];
  const trained = await runBot([
    'backtest',
    '--strategy',
    'dqn-dnn',
    '--epochs',
    '3',
    '--name',
    'tiny',
    '--out',
    path.join(dir, 'train'),
    ...common,
  ]);
  assert.equal(trained.code, 0, trained.stderr);
  const home = path.join(models, 'tiny');
  const meta = JSON.parse(readFileSync(path.join(home, 'meta.json'), 'utf8')) as {
    trainingWindow: { to: string };
    validationWindows?: { from: string; to: string }[];
  };
  const windows = meta.validationWindows ?? [];
  assert.ok(windows.length >= 1, 'meta.json records the validation windows');
  const last = windows[windows.length - 1];
  assert.ok(Date.parse(last.from) > Date.parse(meta.trainingWindow.to), 'the window follows the training window');

  const over = (from: string, out: string) =>
    runBot(['backtest', '--model', home, '--from', from, '--out', path.join(dir, out), ...common]);
  const inWindow = await over(last.from, 'validation');
  assert.equal(inWindow.code, 0, inWindow.stderr);
  assert.match(
    inWindow.stderr,
    /overlaps the validation windows the model's epoch and margin were chosen on \(.*\): not out of sample/,
  );
  // said in the report too, not only on stderr: under the table, in report.json and report.html, by `bot report`
  // once: the note used to end with ": not out of sample" too
  const note = /^note: NOT OUT OF SAMPLE: the range overlaps the validation windows [^\n]*\)$/m;
  assert.match(inWindow.stdout, note);
  assert.doesNotMatch(inWindow.stdout, /not out of sample/);
  const stored = JSON.parse(readFileSync(path.join(dir, 'validation', 'report.json'), 'utf8')) as {
    data: { notOutOfSample?: { reason: string; trainingWindow: { to: string }; validationWindows: unknown[] } };
  };
  assert.equal(stored.data.notOutOfSample?.trainingWindow.to, meta.trainingWindow.to);
  assert.deepEqual(stored.data.notOutOfSample?.validationWindows, [{ from: last.from, to: last.to }]);
  assert.match(readFileSync(path.join(dir, 'validation', 'report.html'), 'utf8'), /NOT OUT OF SAMPLE: the range/);
  const reprinted = await runBot(['report', path.join(dir, 'validation'), '--config', config]);
  assert.equal(reprinted.code, 0, reprinted.stderr);
  assert.match(reprinted.stdout, note);
  // a run on the model's training data says so just the same
  const inTraining = await over(meta.trainingWindow.to, 'training');
  assert.equal(inTraining.code, 0, inTraining.stderr);
  assert.match(inTraining.stdout, /^note: NOT OUT OF SAMPLE: the range starts before the end of the model's training/m);
  const later = await over(new Date(Date.parse(last.to) + 3_600_000).toISOString(), 'later');
  assert.equal(later.code, 0, later.stderr);
  assert.doesNotMatch(later.stderr, /not out of sample/);
  assert.doesNotMatch(later.stdout, /NOT OUT OF SAMPLE/);
  const clean = JSON.parse(readFileSync(path.join(dir, 'later', 'report.json'), 'utf8')) as { data: object };
  assert.ok(!('notOutOfSample' in clean.data), 'an out-of-sample run has no flag');
  // the dashboard's list of stored reports marks the in-sample ones
  const listed = new Map((await listBacktests(dir, new CatalogFiles())).backtests.map((b) => [b.id, b.notOutOfSample]));
  assert.deepEqual([listed.get('validation'), listed.get('training'), listed.get('later')], [true, true, false]);
});

test('a model saved without validation windows is checked against its training window only', () => {
  const day = (d: string) => Date.parse(`${d}T00:00:00Z`);
  const trainingWindow = { from: '2025-01-01T00:00:00Z', to: '2025-06-09T00:00:00Z' };
  const validationWindows = [{ from: '2025-06-10T00:00:00Z', to: '2025-09-16T00:00:00Z' }];
  assert.equal(inSampleWarning({ trainingWindow }, day('2025-07-01'), day('2025-12-01')), undefined);
  assert.match(
    inSampleWarning({ trainingWindow, validationWindows }, day('2025-07-01'), day('2025-12-01'))?.reason ?? '',
    /overlaps the validation windows .*2025-06-10T00:00:00Z … 2025-09-16T00:00:00Z/,
  );
  assert.equal(inSampleWarning({ trainingWindow, validationWindows }, day('2025-09-17'), day('2025-12-01')), undefined);
  assert.match(
    inSampleWarning({ trainingWindow, validationWindows }, day('2025-01-01'), day('2025-12-01'))?.reason ?? '',
    /starts before the end of the model's training window/,
  );
});

test(`a date-only training or validation end (older portfolio models: '2025-02-20') covers the whole day: a range \
starting later that day is not out of sample, one starting the next day is`, () => {
  const at = (t: string) => Date.parse(t);
  const trainingWindow = { from: '2025-01-01', to: '2025-02-20' };
  const last = at('2025-06-01T00:00:00Z');
  assert.match(
    inSampleWarning({ trainingWindow }, at('2025-02-20T15:00:00Z'), last)?.reason ?? '',
    /starts before the end of the model's training window \(2025-01-01 … 2025-02-20\)/,
  );
  assert.equal(inSampleWarning({ trainingWindow }, at('2025-02-21T00:00:00Z'), last), undefined);
  const validationWindows = [{ from: '2025-02-21', to: '2025-03-10' }];
  assert.match(
    inSampleWarning({ trainingWindow, validationWindows }, at('2025-03-10T23:00:00Z'), last)?.reason ?? '',
    /overlaps the validation windows .*2025-02-21 … 2025-03-10/,
  );
  assert.equal(inSampleWarning({ trainingWindow, validationWindows }, at('2025-03-11T00:00:00Z'), last), undefined);
});
