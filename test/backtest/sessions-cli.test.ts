/**
 * Candles of a market that trades in sessions, end to end through `node src/cli/bot.js`: an index future's hourly
 * candles (09:30–11:30 and 13:00–15:00 Shanghai time, so 10:30 → 13:00 is 150 minutes) train and backtest an agent
 * walk-forward and annualise by the candles the market has in a year; a rule strategy warms up on the same candles
 * from the store as from the file; sessions of one candle need --timeframe; a mixed file is one line and no report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { candlesToCsv } from '../../src/data/csv.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { CHINA_FUTURE_OPENS, sessionCandles } from '../data/helpers.ts';
import { runBot } from '../cli/run.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bot-sessions-'));
const candles = sessionCandles({ seed: 7, count: 700, opens: CHINA_FUTURE_OPENS });
const file = path.join(dir, 'IF-1h.csv');
writeFileSync(file, candlesToCsv(candles));
const config = path.join(dir, 'config.json');
const agent = { modelsDir: path.join(dir, 'models'), summaryEvery: 0 };
writeFileSync(config, JSON.stringify({ log: { level: 'error', file: '' }, ml: { backend: 'wasm' }, agent }));

/** The real `bot` in the test's folder, with its config. */
const bot = (args: string[]) => runBot([...args, '--config', config], {}, dir);

type Report = {
  data: { timeframe: string; candles: number; from: string; to: string };
  metrics: Record<string, number | string>;
  baselines: Record<string, { metrics: Record<string, number | string> }>;
  extra?: { agent: { folds: { train: { from: number }; test: { from: number; to: number } }[] } };
};
const report = (out: string) => JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;

test(`bot backtest trains and judges an agent walk-forward on an index future's hourly candles (lunch, night and \
weekend gaps), annualising by the ~1,000 candles such a market has a year, not 8,760`, async () => {
  const out = path.join(dir, 'agent');
  const walk = ['--epochs', '3', '--folds', '2'];
  const r = await bot(['backtest', '--strategy', 'dqn-dnn', '--data', file, ...walk, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const rep = report(out);
  assert.equal(rep.data.timeframe, '1h');
  const [first, second] = rep.extra!.agent.folds;
  assert.ok(first.test.to === second.test.from && second.test.to === candles.ts.length, 'consecutive test windows');
  assert.equal(rep.data.from, new Date(candles.ts[first.test.from]).toISOString().replace('.000Z', 'Z'));
  assert.equal(rep.data.candles, candles.ts.length - first.test.from);
  // 4 candles a weekday: about 1,044 a year (the test windows' own span, so a little more)
  const ppy = Number(rep.metrics.periodsPerYear);
  assert.ok(ppy > 900 && ppy < 1300, `periods per year ${ppy}`);
  for (const key of ['sharpe', 'sortino', 'volatility', 'totalReturn', 'maxDrawdown'])
    assert.ok(Number.isFinite(Number(rep.metrics[key])), `${key} ${rep.metrics[key]}`);
  assert.equal(rep.baselines.buy_and_hold.metrics.periodsPerYear, ppy, 'the baselines annualise alike');
  // buy-and-hold's volatility is the market's: per-candle sd × √ppy, from the candles themselves
  const closes = candles.close.subarray(first.test.from);
  const rets = Array.from(closes.subarray(1), (c, i) => c / closes[i] - 1);
  const mean = rets.reduce((a, b) => a + b, 0) / rets.length;
  const sd = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / (rets.length - 1));
  const holdVol = Number(rep.baselines.buy_and_hold.metrics.volatility);
  assert.ok(Math.abs(holdVol / (sd * Math.sqrt(ppy)) - 1) < 0.1, `buy-and-hold volatility ${holdVol}`);
  assert.ok(existsSync(path.join(out, 'equity.png')));
});

test('a rule strategy from the store warms up on the candles before --from, as it does from the file', async () => {
  const db = path.join(dir, 'bot.db');
  const market = ['--exchange', 'cffex', '--symbol', 'IF/CNY', '--timeframe', '1h'];
  const imported = await bot(['data', 'import', file, ...market, '--db', db]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /^imported 700 1h candles /);
  // start where the 20-candle average is above the 50-candle one, so sma-cross buys at once with its warm-up
  const mean = (t: number, n: number) => candles.close.subarray(t + 1 - n, t + 1).reduce((a, b) => a + b, 0) / n;
  let start = 300;
  while (!(mean(start, 20) > mean(start, 50))) start++;
  const from = new Date(candles.ts[start]).toISOString();
  const [fromFile, fromStore] = await Promise.all([
    bot(['backtest', '--strategy', 'sma-cross', '--data', file, '--from', from, '--out', path.join(dir, 'file')]),
    bot(['backtest', '--strategy', 'sma-cross', ...market, '--db', db, '--from', from, '--out', path.join(dir, 'db')]),
  ]);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.equal(fromStore.code, 0, fromStore.stderr);
  const [a, b] = [report(path.join(dir, 'file')), report(path.join(dir, 'db'))];
  const fills = (out: string) =>
    readFileSync(path.join(dir, out, 'trades.csv'), 'utf8')
      .split('\n')
      .map((line) => line.slice(line.indexOf(',') + 1)); // the index column counts from the first candle loaded
  assert.equal(a.data.from, b.data.from);
  assert.ok(Number(a.metrics.trades) > 0);
  assert.match(fills('file')[1], new RegExp(`^${new Date(candles.ts[start + 1]).toISOString().slice(0, 19)}Z,buy,`));
  // 100 hours before --from hold only ~25 of this market's candles, too few for the 50-candle average
  assert.deepEqual(fills('db'), fills('file'), 'the same fills');
  assert.deepEqual(b.metrics, a.metrics);
});

test(`sessions of one candle each (2h candles opening 09:30 and 13:00) need --timeframe; a mixed file is one line, \
no report`, async () => {
  const twoHour = path.join(dir, 'IF-2h.csv');
  writeFileSync(twoHour, candlesToCsv(sessionCandles({ seed: 8, count: 300, opens: ['01:30', '05:00'] })));
  const mixed = path.join(dir, 'mixed.csv');
  const hourly = syntheticCandles({ seed: 9, count: 200, timeframe: '1h', start: Date.UTC(2024, 0, 1) });
  const quarters = syntheticCandles({ seed: 9, count: 100, timeframe: '15m', start: Date.UTC(2024, 0, 10) });
  writeFileSync(mixed, candlesToCsv(hourly) + candlesToCsv(quarters).split('\n').slice(1).join('\n'));
  const never = path.join(dir, 'never');
  const [unknown, told, bad] = await Promise.all([
    bot(['backtest', '--strategy', 'sma-cross', '--data', twoHour, '--out', never]),
    bot(['backtest', '--strategy', 'sma-cross', '--data', twoHour, '--timeframe', '2h', '--out', path.join(dir, '2h')]),
    bot(['backtest', '--strategy', 'sma-cross', '--data', mixed, '--out', never]),
  ]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^error: \S*IF-2h\.csv:\d+: cannot tell the timeframe: .*; pass --timeframe\n$/);
  assert.equal(told.code, 0, told.stderr);
  assert.equal(report(path.join(dir, '2h')).data.timeframe, '2h');
  assert.equal(bad.code, 1);
  const shorter = /mixed\.csv:203: mixed timeframe: 2024-01-10T00:15:00Z is 15m after .* \(line 202\), shorter than/;
  assert.match(bad.stderr, new RegExp(`^error: \\S*${shorter.source} the 1h timeframe .*\\n$`));
  assert.equal(existsSync(never), false);
});
