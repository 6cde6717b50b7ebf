import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { candlesToCsv } from '../../src/data/csv.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { BASELINE_NAMES } from '../../src/backtest/baselines.ts';
import { loadCsvFile } from '../../src/data/source.ts';
import {
  parseWalkForwardReport,
  summarizeWalkForward,
  summaryFormat,
} from '../../src/backtest/walk-forward-summary.ts';
import { spreadNote } from '../../src/backtest/spread-note.ts';
import { sweepHead, SWEEP_ID } from '../server/sweep-head.ts';

const BOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/bot.js');
const dir = mkdtempSync(path.join(tmpdir(), 'bot-backtest-cli-'));
const csv = path.join(dir, 'candles.csv');
writeFileSync(csv, candlesToCsv(syntheticCandles({ seed: 21, count: 600, timeframe: '1h', symbol: 'SYN/KRW' })));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function bot(args: string[], cwd = dir): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BOT, ...args, '--log-level', 'error'],
      { cwd, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

test(`bot backtest --strategy sma-cross --data FILE writes report.json, trades.csv, equity.png and report.html; bot \
report reads it back`, async () => {
  const cwd = mkdtempSync(path.join(dir, 'cwd-'));
  const r = await bot(['backtest', '--strategy', 'sma-cross', '--data', csv, '--from', '2024-01-05'], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /metric\s+sma-cross\s+buy & hold\s+flat\s+random \(mean ± sd\)\s+sma-cross/);
  assert.match(r.stdout, /total return/);
  const ids = readdirSync(path.join(cwd, 'backtests'));
  assert.equal(ids.length, 1);
  assert.match(ids[0], /^\d{8}-\d{6}-sma-cross-/);
  const out = path.join(cwd, 'backtests', ids[0]);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
  assert.equal(report.schema, 'bot-backtest-report/1');
  assert.equal(report.runId, ids[0]);
  assert.equal(report.strategy.name, 'sma-cross');
  assert.equal(
    report.data.from,
    '2024-01-05T00:00:00Z',
    'decisions start at --from (earlier candles only warm indicators up)',
  );
  for (const key of [
    'totalReturn',
    'annualReturn',
    'volatility',
    'sharpe',
    'sortino',
    'maxDrawdown',
    'maxDrawdownDays',
    'calmar',
    'winRate',
    'profitFactor',
    'expectancy',
    'trades',
    'turnover',
    'feesPaid',
    'exposure',
    'actions',
  ]) {
    assert.ok(key in report.metrics, key);
  }
  assert.deepEqual(Object.keys(report.baselines).sort(), [...BASELINE_NAMES].sort());
  assert.equal(report.baselines.random.seeds, 10);
  assert.equal(report.baselines.flat.metrics.totalReturn, 0);
  assert.match(report.tradesFingerprint, /^[0-9a-f]{64}$/);
  const trades = readFileSync(path.join(out, 'trades.csv'), 'utf8').trim().split('\n');
  assert.equal(trades[0], 'index,time,side,price,units,gross,fee,tax,realized_pnl,cash,units_after');
  assert.equal(trades.length - 1, report.trades);
  assert.ok(report.trades > 0);

  const { data, info } = await sharp(path.join(out, 'equity.png')).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 1200);
  assert.equal(info.height, 900);
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += info.channels * 97)
    colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  assert.ok(colours.size > 5, 'the chart is drawn, not blank');

  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /<img alt="[^"]*" src="data:image\/png;base64,/);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no external assets');
  assert.match(html, /buy &amp; hold/);

  const [latest, json, none] = await Promise.all([
    bot(['report'], cwd),
    bot(['report', ids[0], '--json'], cwd),
    bot(['report'], mkdtempSync(path.join(dir, 'empty-'))),
  ]);
  assert.equal(latest.code, 0, latest.stderr);
  assert.match(latest.stdout, /sma-cross on /);
  assert.ok(latest.stdout.includes(r.stdout.split('\n').find((l) => l.startsWith('max drawdown')) ?? 'missing'));
  assert.deepEqual(JSON.parse(json.stdout), report);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /^error: no backtest runs in .*; run `bot backtest` first\n$/);
});

test('bot report with no run named skips a newer sweep folder and prints the latest backtest run', async () => {
  // a sweep writes backtests/sweep-<id>/report.json; taken as the latest run it made `bot report` fail with
  // "… is not a backtest report"
  const cwd = mkdtempSync(path.join(dir, 'report-sweep-'));
  const run = await bot(['backtest', '--strategy', 'sma-cross', '--data', csv], cwd);
  assert.equal(run.code, 0, run.stderr);
  const sweep = path.join(cwd, 'backtests', 'sweep-0123456789ab');
  mkdirSync(sweep);
  writeFileSync(
    path.join(sweep, 'report.json'),
    JSON.stringify({ schema: 'bot-sweep-report/1', sweepId: '0123456789ab' }),
  );
  const latest = await bot(['report'], cwd);
  assert.equal(latest.code, 0, latest.stderr);
  assert.match(latest.stdout, /^sma-cross on candles\.csv/);
});

test('bot report takes an absolute or ./ path as given, never under backtests/', async () => {
  const cwd = mkdtempSync(path.join(dir, 'report-paths-'));
  const abs = path.join(cwd, 'elsewhere', 'run');
  const [absolute, relative] = await Promise.all([bot(['report', abs], cwd), bot(['report', './run'], cwd)]);
  assert.equal(absolute.code, 1);
  // it said it looked for backtests/<cwd>/elsewhere/run/report.json too, an absolute path glued under backtests/
  assert.equal(absolute.stderr, `error: no run "${abs}" (looked for ${path.join(abs, 'report.json')})\n`);
  assert.equal(relative.stderr, 'error: no run "./run" (looked for run/report.json)\n');
});

test('bot report of a sweep points at its report.html; of an incomplete report names the missing field', async () => {
  const cwd = mkdtempSync(path.join(dir, 'report-kinds-'));
  for (const [id, body] of [
    [`sweep-${SWEEP_ID}`, sweepHead],
    ['zz-nulls', { schema: 'bot-backtest-report/1', runId: 'zz-nulls', metrics: null }],
  ] as const) {
    mkdirSync(path.join(cwd, 'backtests', id), { recursive: true });
    writeFileSync(path.join(cwd, 'backtests', id, 'report.json'), JSON.stringify(body));
  }
  const [sweep, json, nulls] = await Promise.all([
    bot(['report', `sweep-${SWEEP_ID}`], cwd),
    bot(['report', `sweep-${SWEEP_ID}`, '--json'], cwd),
    bot(['report', 'zz-nulls'], cwd),
  ]);
  // the sweep was "not a backtest report"; the incomplete report a TypeError's stack
  assert.equal(sweep.code, 1);
  const html = path.join(cwd, 'backtests', `sweep-${SWEEP_ID}`, 'report.html');
  assert.equal(
    sweep.stderr,
    `error: backtests/sweep-${SWEEP_ID} is a sweep (bot sweep), which bot report does not print: open ${html} ` +
      `(or bot report sweep-${SWEEP_ID} --json)\n`,
  );
  assert.equal(json.code, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).sweepId, SWEEP_ID);
  assert.equal(nulls.code, 1);
  assert.equal(
    nulls.stderr,
    'error: backtests/zz-nulls/report.json: an incomplete bot-backtest-report/1 report ' +
      '(createdAt: Invalid input: expected string, received undefined)\n',
  );
});

test('bad input is a one-line error with a non-zero exit, and writes no report', async () => {
  const cases: [string[], RegExp][] = [
    [['--strategy', 'moon-shot'], /^error: unknown strategy "moon-shot" \(available: .*sma-cross.*\)\n$/],
    [['--from', '2030-01-01'], /^error: no candles .*2030-01-01/],
    [['--from', '2024-01-10', '--to', '2024-01-10T02:00Z'], /^error: range .* holds 2 candles .*at least 3\n$/],
    [['--balance', '0'], /^error: --balance: "0" is not a positive amount\n$/],
    [['--balance', '1e308'], /^error: --balance: "1e308" is above the largest balance, 1000000000000000\n$/],
    // plain decimals only: Number() read 0x10 as 16 and an empty or blank value as 0
    ...['0x10', '1,000,000', '', ' ', 'Infinity'].map((v): [string[], RegExp] => [
      ['--balance', v],
      /^error: --balance: ".*" is not a decimal number \(write it as/,
    ]),
    // no order could be placed: it used to run 0 trades with every order rejected, and say nothing
    [
      ['--balance', '0.0001'],
      new RegExp(
        String.raw`^error: balance 0.0001 is below the minimum order value 5000 \(account\.minOrderValue, ` +
          String.raw`config/default\.json's Upbit KRW minimum\): no order could`,
      ),
    ],
  ];
  const runs = await Promise.all(
    cases.map(([args]) => bot(['backtest', '--data', csv, '--out', path.join(dir, 'never'), ...args])),
  );
  runs.forEach((r, i) => {
    assert.notEqual(r.code, 0, cases[i][0].join(' '));
    assert.match(r.stderr, cases[i][1]);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
  assert.equal(existsSync(path.join(dir, 'never')), false);
});

/** Synthetic candles as a Binance kline dump: no header, 12 fields, open times in µs (Binance's since 2025). */
function binanceKlines(seed: number, count: number): string {
  const c = syntheticCandles({ seed, count, timeframe: '1h', start: Date.UTC(2025, 0, 1) });
  const lines = [...c.ts].map((t, i) => {
    const [open, close] = [`${t}000`, `${t + 3_599_999}999`];
    return [open, c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i], close, 0, 7, 0, 0, 0].join(',');
  });
  return lines.join('\n') + '\n';
}

test('a --data file is named by its base name in report.json and report.html, not by its folder', async () => {
  const home = mkdtempSync(path.join(dir, 'private-home-of-someone-'));
  const file = path.join(home, 'BTCUSDT-1h-2025-01.csv');
  writeFileSync(file, binanceKlines(8, 400));
  const cwd = mkdtempSync(path.join(dir, 'cwd-'));
  const r = await bot(['backtest', '--strategy', 'sma-cross', '--data', file], cwd);
  assert.equal(r.code, 0, r.stderr);
  const out = path.join(cwd, 'backtests', readdirSync(path.join(cwd, 'backtests'))[0]);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
  assert.equal(report.title, 'sma-cross on BTCUSDT-1h-2025-01.csv (1h)');
  assert.equal(report.data.label, 'BTCUSDT-1h-2025-01.csv (1h)');
  assert.equal(report.data.from.slice(0, 4), '2025', 'µs open times read as ms');
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /<title>sma-cross on BTCUSDT-1h-2025-01\.csv \(1h\)<\/title>/);
  assert.match(html, /<h1>sma-cross on BTCUSDT-1h-2025-01\.csv \(1h\)<\/h1>/);
  assert.match(html, /<p>BTCUSDT-1h-2025-01\.csv \(1h\) — file BTCUSDT-1h-2025-01 1h, 2025-01-/);
  assert.ok(!html.includes(home) && !html.includes('private-home-of-someone'), 'no path of this machine');
  assert.match(r.stdout, /^sma-cross on BTCUSDT-1h-2025-01\.csv \(1h\)\n/, 'the console summary too');
});

test(`walk-forward report: the per-run table (one column per fold and seed) scrolls inside its own box; the \
baselines on the same test windows and the targets agree with the scripts' summary of its report.json`, async () => {
  const home = mkdtempSync(path.join(dir, 'walk-'));
  const file = path.join(home, 'klines.csv');
  writeFileSync(file, binanceKlines(9, 900));
  const config = path.join(home, 'config.json');
  const agent = { modelsDir: path.join(home, 'models'), summaryEvery: 0 };
  writeFileSync(config, JSON.stringify({ log: { level: 'error', file: '' }, ml: { backend: 'wasm' }, agent }));
  const out = path.join(home, 'run');
  const walk = ['--epochs', '3', '--folds', '2', '--seeds', '2'];
  const r = await bot(['backtest', '--strategy', 'dqn-dnn', '--data', file, ...walk, '--out', out, '--config', config]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /test over 4 runs \(mean ± sd\)/);
  assert.doesNotMatch(r.stdout, /no spread to judge it by/);
  // the headline chains the folds on one account whose profit so far is in each model's state: said under the table
  assert.match(
    r.stdout,
    /\nheadline: the 2 test windows chained on one account, each traded by its fold's model \(seed 1\)\. /,
  );
  assert.match(r.stdout, /carries what the earlier folds made/);
  // one run (the main job's shape) says it carries no spread, and how to get one
  const single = ['--epochs', '3', '--out', path.join(home, 'single'), '--config', config];
  const one = await bot(['backtest', '--strategy', 'dqn-dnn', '--data', file, ...single]);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /one run \(one seed on one test window\): no spread to judge it by\. `--folds 4 --seeds 3`/);
  assert.doesNotMatch(one.stdout, /headline: the/);
  // bot report reprints the table and every line the backtest printed under it, from report.json
  for (const [ran, folder, last] of [
    [r, out, / {2}targets: Sharpe ≥ 0 (not )?met[^\n]*\n$/],
    [one, path.join(home, 'single'), /over 12 runs, set against the baselines on the same windows\n$/],
  ] as const) {
    const again = await bot(['report', folder, '--config', config]);
    assert.equal(again.code, 0, again.stderr);
    const title = again.stdout.split('\n')[0];
    assert.ok(ran.stdout.includes(`${title}\n`), title);
    const printed = ran.stdout.slice(ran.stdout.indexOf(`${title}\n`), ran.stdout.indexOf('\nmodel: '));
    assert.match(printed, last);
    assert.equal(again.stdout.slice(0, again.stdout.indexOf('\nreport: ')), printed);
  }
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /carries what the earlier folds made/);
  assert.match(html, /\.table-box\{overflow-x:auto/, 'the box scrolls sideways');
  const heading = /<h2>Test metrics over 4 run\(s\) \(2 fold\(s\) × 2 seed\(s\)\): mean ± sd<\/h2>\s*/;
  const perRun = new RegExp(heading.source + /(<[^>]*>)<table><thead><tr>(.*?)<\/tr>/.source).exec(html);
  assert.ok(perRun, 'the per-run table follows its heading');
  assert.equal(perRun[1], '<div class="table-box">');
  assert.equal(perRun[2].match(/<th>f\d seed \d+<\/th>/g)?.length, 4, perRun[2]);
  const boxed = html.split('<div class="table-box"><table>').length - 1;
  assert.equal(html.split('<table>').length - 1, boxed, 'every table is boxed');

  // issue 13: the baselines on the same test windows and the targets beside the agent's runs, in report.html,
  // report.json and the console: the numbers the scripts' summary computes from the same report.json
  const json = readFileSync(path.join(out, 'report.json'), 'utf8');
  const s = summarizeWalkForward(parseWalkForwardReport(json, 'report.json'), loadCsvFile(file, { symbol: 'X' }));
  const stored = JSON.parse(json).extra.agent;
  // dqn-dnn's minHold 48: the random column traded under it, and the table says so
  assert.deepEqual(s.randomRule, { every: 1, minHold: 48 });
  // the headline's random chains the folds too, its gate new at each as each fold's agent's (before: one gate)
  assert.match(JSON.parse(json).baselines.random.description, /its gate new at each of the 2 folds' test windows/);
  const same = { windows: 2, runs: 4, randomSeeds: 10, randomRule: s.randomRule, agent: s.agent, ...s.baselines };
  assert.deepEqual(stored.sameWindows, same);
  const hold = s.baselines.buyAndHold;
  assert.deepEqual(stored.targets, {
    sharpeMean: s.sharpe.agentMean,
    sharpeNonNegative: s.targets.sharpeNonNegative,
    randomPlusSd: { seedSpread: s.sharpe.seedSpread, pooled: s.sharpe.pooled, reportColumn: s.sharpe.reportColumn },
    buyAndHold: { sharpe: hold.sharpe.mean, maxDrawdown: hold.maxDrawdown.mean },
    drawdownBelowBuyAndHold: s.targets.drawdownBelowBuyAndHold,
    sharpeAboveBuyAndHold: s.targets.sharpeAboveBuyAndHold,
  });
  const pm = (v: { mean: number; sd?: number }) => `${v.mean.toFixed(2)} ± ${v.sd!.toFixed(2)}`;
  assert.match(html, /<h2>Baselines on the same test windows<\/h2>/);
  assert.ok(html.includes(`<tr><td>buy-and-hold</td><td>`), 'a buy-and-hold row');
  assert.ok(html.includes(`</td><td>${pm(hold.sharpe)}</td>`), "buy-and-hold's Sharpe over the same windows");
  assert.match(html, /<caption>Targets \(issue 13\)<\/caption>/);
  const met = (ok: boolean | undefined) => (ok ? 'met' : 'not met');
  const { seedSpread, pooled, reportColumn } = s.sharpe;
  const targetsLine =
    `\n  targets: Sharpe ≥ 0 ${met(s.targets.sharpeNonNegative)}; ≥ random + 1 sd: ` +
    `seed spread ${seedSpread.bar.toFixed(2)} ${met(seedSpread.met)}, pooled ${pooled.bar.toFixed(2)} ` +
    `${met(pooled.met)}, report column ${reportColumn?.bar.toFixed(2)} ${met(reportColumn?.met)}; max DD below ` +
    `buy-and-hold ${met(s.targets.drawdownBelowBuyAndHold)}` +
    `${spreadNote(s.agent.maxDrawdown, hold.maxDrawdown, summaryFormat.pct)}; Sharpe above buy-and-hold ` +
    `${met(s.targets.sharpeAboveBuyAndHold)}${spreadNote(s.agent.sharpe, hold.sharpe, summaryFormat.num)}\n`;
  assert.ok(r.stdout.includes(targetsLine), `${targetsLine} in\n${r.stdout}`);
  assert.ok(r.stdout.includes(`\n  same windows (Sharpe, mean ± sd): buy-and-hold ${pm(hold.sharpe)} (max DD `));
});

test('bot backtest --columns reads any column order; a bad or lone --columns is one line, no report', async () => {
  const c = syntheticCandles({ seed: 10, count: 300, timeframe: '1h', start: Date.UTC(2024, 0, 1) });
  const file = path.join(dir, 'custom.csv');
  const rows = [...c.ts].map((t, i) => {
    return ['X', new Date(t).toISOString(), c.volume[i], c.close[i], c.low[i], c.high[i], c.open[i]].join(',');
  });
  writeFileSync(file, 'symbol,when,v,c,l,h,o\n' + rows.join('\n') + '\n');
  const same = path.join(dir, 'same.csv');
  writeFileSync(same, candlesToCsv(c));
  const never = path.join(dir, 'never-columns');
  const [columns, scratch] = ['_,time,volume,close,low,high,open', path.join(dir, 'columns-')];
  const [good, plain, bad, lone] = await Promise.all([
    bot(['backtest', '--strategy', 'sma-cross', '--data', file, '--columns', columns, '--json'], mkdtempSync(scratch)),
    bot(['backtest', '--strategy', 'sma-cross', '--data', same, '--json'], mkdtempSync(scratch)),
    bot(['backtest', '--data', file, '--columns', 'time,open,high,low,close,volume,size', '--out', never]),
    bot(['backtest', '--columns', 'time,open,high,low,close,volume', '--sample', '--out', never]),
  ]);
  assert.equal(good.code, 0, good.stderr);
  assert.equal(plain.code, 0, plain.stderr);
  const report = JSON.parse(good.stdout);
  assert.equal(report.data.label, 'custom.csv (1h)');
  assert.equal(report.data.candles, 300);
  const expected = JSON.parse(plain.stdout);
  assert.ok(report.trades > 0);
  assert.equal(report.tradesFingerprint, expected.tradesFingerprint, 'the same candles as the generic file');
  assert.deepEqual(report.metrics, expected.metrics);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /^error: --columns: unknown column "size" \(use time, open, high, low, close, [^\n]*\)\n$/);
  assert.notEqual(lone.code, 0);
  assert.equal(lone.stderr, 'error: --columns describes the file of --data FILE; give --data too\n');
  assert.equal(existsSync(never), false);
});

test(`bot backtest --seeds 3 --ensemble vote: each fold trades its seeds as one model, saved as one \
folder`, async () => {
  const home = mkdtempSync(path.join(dir, 'ensemble-'));
  const file = path.join(home, 'klines.csv');
  writeFileSync(file, binanceKlines(9, 900));
  const config = path.join(home, 'config.json');
  const models = path.join(home, 'models');
  writeFileSync(
    config,
    JSON.stringify({
      log: { level: 'error', file: '' },
      ml: { backend: 'wasm' },
      agent: { modelsDir: models, summaryEvery: 0 },
    }),
  );
  const out = path.join(home, 'run');
  const flags = ['--epochs', '3', '--folds', '2', '--seeds', '3', '--ensemble', 'vote', '--name', 'ens'];
  const r = await bot([
    'backtest',
    '--strategy',
    'dqn-dnn',
    '--data',
    file,
    ...flags,
    '--out',
    out,
    '--config',
    config,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /vote ensemble of 3 seed\(s\), 2 fold\(s\): return /);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
  const ens = report.extra.agent.ensemble;
  assert.equal(ens.kind, 'vote');
  assert.equal(ens.runs.length, 2);
  assert.equal(report.extra.agent.runs.length, 6, 'every seed is still reported alone');
  // the targets of the model the run trades: the ensemble's two windows against the same baselines, as the
  // scripts' summary of report.json computes them; the seeds' targets stay beside them
  const s = summarizeWalkForward(
    parseWalkForwardReport(readFileSync(path.join(out, 'report.json'), 'utf8'), 'report.json'),
    loadCsvFile(file, { symbol: 'X' }),
  );
  const stored = report.extra.agent;
  const ensembleSharpe =
    ens.runs.reduce((a: number, x: { metrics: { sharpe: number } }) => a + x.metrics.sharpe, 0) / 2;
  assert.ok(s.ensemble, 'the summary judges the ensemble');
  assert.equal(s.ensemble.agent.sharpe.mean, ensembleSharpe);
  assert.equal(stored.targets.ensemble.kind, 'vote');
  assert.equal(stored.targets.ensemble.sharpeMean, ensembleSharpe);
  assert.deepEqual(stored.targets.ensemble.randomPlusSd.seedSpread, s.ensemble.sharpe.seedSpread);
  assert.equal(stored.targets.ensemble.randomPlusSd.seedSpread.bar, stored.targets.randomPlusSd.seedSpread.bar);
  assert.equal(stored.targets.sharpeMean, s.sharpe.agentMean, 'the seeds alone');
  assert.deepEqual(stored.sameWindows.ensemble, s.ensemble.agent);
  const bar = s.ensemble.sharpe.seedSpread;
  assert.ok(
    r.stdout.includes(
      `\n  vote ensemble targets: Sharpe ≥ 0 ${ensembleSharpe >= 0 ? 'met' : 'not met'}; ≥ random + 1 sd: ` +
        `seed spread ${bar.bar.toFixed(2)} ${bar.met ? 'met' : 'not met'}, `,
    ),
    r.stdout,
  );
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.ok(html.includes('<tr><td>vote ensemble</td><td>'), 'an ensemble row beside the baselines');
  assert.match(html, /<caption>Targets \(issue 13\) of the vote ensemble<\/caption>/);
  const meta = JSON.parse(readFileSync(path.join(models, 'ens', 'meta.json'), 'utf8'));
  assert.equal(meta.learner.ensemble.kind, 'vote');
  assert.equal(meta.learner.ensemble.margins.length, 3);
  for (const f of ['model.json', 'member1.model.json', 'member2.model.json'])
    assert.ok(existsSync(path.join(models, 'ens', f)), f);
  const predicted = await bot(['predict', '--model', path.join(models, 'ens'), '--data', file, '--json'], home);
  assert.equal(predicted.code, 0, predicted.stderr);
  const bad = await bot(['backtest', '--strategy', 'dqn-dnn', '--data', file, '--ensemble', 'median'], home);
  assert.equal(bad.stderr, "error: --ensemble must be one of vote, mean, got 'median'\n");
});

test('rejected orders are on the console with their reasons (a balance just over the minimum order after the fee: \
a sell after a fall is under it)', async () => {
  const out = path.join(dir, 'rejections');
  // 5001 can place no order at all (its buy after the fee is under 5000) and is refused before the run
  const r = await bot(['backtest', '--strategy', 'sma-cross', '--data', csv, '--balance', '5003', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
  const n = report.rejected?.below_min_order as number;
  assert.ok(n > 0, JSON.stringify(report.rejected));
  assert.deepEqual(report.rejected, { below_min_order: n });
  assert.match(r.stdout, new RegExp(`\\nrejected orders: ${n} \\(below_min_order ${n}\\)\\n`));
  // an all-in policy asking to buy while invested, or to sell while flat, holds: counted in report.json, no line
  const plain = path.join(dir, 'holds');
  const held = await bot(['backtest', '--strategy', 'random', '--data', csv, '--out', plain]);
  assert.equal(held.code, 0, held.stderr);
  const counted = (JSON.parse(readFileSync(path.join(plain, 'report.json'), 'utf8')).rejected ?? {}) as Record<
    string,
    number
  >;
  assert.ok((counted.no_cash ?? 0) + (counted.no_position ?? 0) > 0, JSON.stringify(counted));
  assert.doesNotMatch(held.stdout, /rejected orders/);
});
