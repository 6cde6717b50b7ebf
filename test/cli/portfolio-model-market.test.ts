/**
 * `bot predict` and `bot backtest` of a saved portfolio model on the store check the market its meta.json records
 * before any candle is read, as a one-market model's predict does: another timeframe is the model's one line naming
 * `--timeframe`. They used to read the config's upbit 1h and stop at
 * "nothing is stored for upbit A/KRW 1h". Real `bot` processes, a real SQLite file, a dead exchange address.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { tempDir } from '../data/helpers.ts';
import { saveSeededPortfolioModel } from './portfolio-model.ts';
import { runBots } from './run.ts';

const make = (seed: number, symbol: string) =>
  syntheticCandles({ seed, count: 400, timeframe: '1d', start: Date.UTC(2022, 0, 1), symbol, startPrice: 3_000 });
const series = [make(91, 'A/USDT'), make(92, 'B/USDT'), make(93, 'I/USDT')];

test(`bot predict and bot backtest of a portfolio model trained on binance 1d, run on the config's upbit 1h store: \
the model's timeframe line before any candle is read, as for a one-market model`, async () => {
  const dir = tempDir('bot-pf-market-');
  const home = path.join(dir, 'pf');
  await saveSeededPortfolioModel(home, series, { exchange: 'binance', timeframe: '1d' }, 'pf');
  const cfg = path.join(dir, 'dead.json');
  const dead = 'http://127.0.0.1:9';
  const exchange = { ccxt: { urls: { api: { public: dead, private: dead } } }, retries: 1, backoffMs: 1 };
  writeFileSync(cfg, JSON.stringify({ exchange: { ...exchange, maxBackoffMs: 2 }, log: { file: '' } }));
  const db = path.join(dir, 'bot.db');
  const common = ['--model', home, '--db', db, '--config', cfg];
  const [predict, backtest] = await runBots([
    { args: ['predict', ...common] },
    { args: ['backtest', ...common, '--out', path.join(dir, 'out')] },
  ]);
  const line =
    `error: model ${home} was trained on binance A/USDT,B/USDT 1d; this run uses 1h candles, and its window, ` +
    'holding period and scaler count 1d candles: give --timeframe 1d, or train a model on 1h candles\n';
  for (const r of [predict, backtest]) {
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr, line);
  }
});
