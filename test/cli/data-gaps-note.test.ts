// The notes on gaps in a stored series say what is true of its exchange (src/data/gap-cause.ts): Upbit skips
// intervals without trades, Binance gives them a zero-volume candle, so a gap there is time it was down; both used to
// say every exchange skips them (real CLI, SQLite, fake Upbit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir, withHourlyFake } from '../data/helpers.ts';
import { runBot } from './run.ts';

const H = 3_600_000;

test('bot data gaps of a Binance series says a gap is time Binance was down, not an interval it skips', async () => {
  const dir = tempDir('bot-cli-gap-note-');
  const db = path.join(dir, 'bot.db');
  const file = path.join(dir, 'btc.csv');
  const hours = [0, 1, 2, 5, 6].map((k) => `${new Date(Date.UTC(2024, 0, 1) + k * H).toISOString()},10,12,9,11,1\n`);
  writeFileSync(file, 'timestamp,open,high,low,close,volume\n' + hours.join(''));
  const base = ['--exchange', 'binance', '--symbol', 'BTC/USDT', '--db', db, '--log-level', 'error'];
  const imported = await runBot(['data', 'import', file, ...base]);
  assert.equal(imported.code, 0, imported.stderr);
  const gaps = await runBot(['data', 'gaps', '--timeframe', '1h', ...base]);
  assert.equal(gaps.code, 0, gaps.stderr);
  assert.ok(
    gaps.stdout.startsWith(
      'binance BTC/USDT 1h: 2 candles missing in 1 gap (not an error: binance was down: it gives intervals without ' +
        "trades a candle of zero volume; imported candles may leave out a market's closed hours); ",
    ),
    gaps.stdout,
  );
});

test('bot data download from Upbit with skipped hours says Upbit skips intervals without trades', async () => {
  const o = { seed: 4, count: 30, hoursBack: 40, prefix: 'bot-cli-gap-note-upbit-' };
  await withHourlyFake(o, async ({ fake, dir, config, truth }) => {
    fake.dropCandles('KRW-BTC', '1h', (ts) => ts === truth.ts[10]);
    const db = path.join(dir, 'bot.db');
    const since = new Date(truth.ts[0]).toISOString();
    const down = await runBot(['data', 'download', '--since', since, '--config', config, '--db', db]);
    assert.equal(down.code, 0, down.stderr);
    const note =
      'note: 1 candle missing in 1 gap (upbit skips intervals without trades; imported candles may leave out a ' +
      "market's closed hours); see `bot data gaps`\n";
    assert.ok(down.stdout.includes(`\n${note}`), down.stdout);
  });
});
