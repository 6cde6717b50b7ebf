/**
 * A --from before the data's first candle or a --to after its last is clamped to the candles there are
 * (src/backtest/range.ts); `bot backtest` says so in one info line each instead of running the shorter range silently.
 */
import { TEST_STATE_DIR } from '../helpers/state-dir.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { candlesToCsv } from '../../src/data/csv.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { rangeBeyondData } from '../../src/backtest/range.ts';

const BOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/bot.js');
// 60 daily candles opening 2024-01-01 … 2024-02-29
const candles = syntheticCandles({ seed: 4, count: 60, timeframe: '1d', start: Date.UTC(2024, 0, 1) });

test('rangeBeyondData names a --from before the first candle and a --to after the end of the last one', () => {
  const flag = (text: string) => ({ text, ms: Date.parse(`${text}T00:00:00Z`) });
  assert.deepEqual(rangeBeyondData(candles, flag('2010-01-01'), flag('2030-01-01')), [
    "--from 2010-01-01 is before the data's first candle 2024-01-01T00:00:00Z: the backtest starts there",
    "--to 2030-01-01 is after the data's last candle 2024-02-29T00:00:00Z: the backtest ends with it",
  ]);
  // inside the data, or --to at the end of the last candle (it excludes the candle opening at it): nothing to say
  assert.deepEqual(rangeBeyondData(candles, flag('2024-01-01'), flag('2024-03-01')), []);
  assert.deepEqual(rangeBeyondData(candles, { text: 'x', ms: candles.ts[5] }, { text: 'y', ms: candles.ts[50] }), []);
  assert.deepEqual(rangeBeyondData(candles), []);
});

test('bot backtest --from before the file and --to after it: one info line each, and the run goes on', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'range-beyond-'));
  const csv = path.join(dir, 'days.csv');
  writeFileSync(csv, candlesToCsv(candles));
  const args = ['backtest', '--strategy', 'sma-cross', '--data', csv, '--from', '2010-01-01', '--to', '2030-01-01'];
  const r = await new Promise<{ code: number; out: string }>((resolve) =>
    execFile(
      process.execPath,
      [BOT, ...args, '--log-level', 'info'],
      { cwd: dir, timeout: 60_000, env: { ...process.env, BOT_STATE_DIR: TEST_STATE_DIR } },
      (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }),
    ),
  );
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /--from 2010-01-01 is before the data's first candle 2024-01-01T00:00:00Z: the backtest starts/);
  assert.match(r.out, /--to 2030-01-01 is after the data's last candle 2024-02-29T00:00:00Z: the backtest ends with/);
  assert.match(r.out, /total return/);
});
