// bot chart names the holes in the data a window it draws spans (audit of chart images, session 39): the renderer
// draws a window's candles side by side as if contiguous and nothing said so. A market's closed hours (nights,
// lunch, weekends) are no hole; the PNG stays the model's very pixels. Real CLI, a SQLite store filled by
// `bot data import`, real PNGs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { candleRows, candlesFromRows, type Candles } from '../../src/core/candles.ts';
import { candlesToCsv } from '../../src/data/csv.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { createImageRenderer, parseImageSpec, readPng, toBytes } from '../../src/chart/index.ts';
import { CHINA_FUTURE_OPENS, sessionCandles, tempDir } from '../data/helpers.ts';
import { runBot, runBots } from '../cli/run.ts';

const SPEC = 'ohlc:32x15:5';

/** The candles but those `drop` names, as the store holds them after an import. */
function without(c: Candles, drop: (ts: number) => boolean): Candles {
  return candlesFromRows(
    c.exchange,
    c.symbol,
    c.timeframe,
    candleRows(c).filter((r) => !drop(r.ts)),
  );
}

/** A store in a temp folder holding `c` under `market` (--exchange, --symbol); the flags that read it back. */
async function stored(c: Candles, market: string[], prefix: string): Promise<{ dir: string; flags: string[] }> {
  const dir = tempDir(prefix);
  const file = path.join(dir, 'candles.csv');
  writeFileSync(file, candlesToCsv(c));
  const flags = [...market, '--db', path.join(dir, 'bot.db')];
  const imported = await runBot(['data', 'import', file, ...flags, '--log-level', 'error']);
  assert.equal(imported.code, 0, imported.stderr);
  return { dir, flags: [...flags, '--timeframe', '1h', '--spec', SPEC] };
}

/** The warning lines of a run (the console logger's `HH:MM:SS warn …`), without their clock. */
function warnings(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => / warn /.test(l))
    .map((l) => l.replace(/^\S+ warn /, ''));
}

test('bot chart warns once per window naming each hole it spans and its cause; none for a window without', async () => {
  const hole = [5, 6, 7].map((h) => Date.UTC(2024, 0, 10, h));
  const c = without(syntheticCandles({ seed: 39, count: 21 * 24, start: Date.UTC(2024, 0, 1) }), (ts) =>
    hole.includes(ts),
  );
  const { dir, flags } = await stored(c, ['--exchange', 'upbit', '--symbol', 'BTC/KRW'], 'bot-chart-holes-');
  const out = (name: string) => path.join(dir, name);
  const [holed, whole, sheet] = await runBots([
    { args: ['chart', ...flags, '--at', '2024-01-10T09:00Z', '--out', out('holed.png')] },
    { args: ['chart', ...flags, '--at', '2024-01-12T00:00Z', '--out', out('whole.png')] },
    { args: ['chart', ...flags, '--at', '2024-01-10T14:00Z', '--sheet', '3', '--every', '5', '--out', out('s.png')] },
  ]);
  const cause = "(upbit skips intervals without trades; imported candles may leave out a market's closed hours)";
  assert.equal(holed.code, 0, holed.stderr);
  assert.deepEqual(warnings(holed.stderr), [
    'the window ending 2024-01-10T09:00:00Z spans a hole in upbit BTC/KRW 1h (store), its candles drawn side by ' +
      `side as if none were missing: 2024-01-10T05:00Z … 2024-01-10T07:00Z (3 missing) ${cause}`,
  ]);
  // the PNG is still the model's picture of the stored candles: 02:00, 03:00, 04:00, 08:00, 09:00 side by side
  const r = createImageRenderer(parseImageSpec(SPEC));
  const px = new Float32Array(r.frameSize);
  r.render(c, c.ts.indexOf(Date.UTC(2024, 0, 10, 9)), px);
  assert.deepEqual((await readPng(out('holed.png'))).data, toBytes(px));

  assert.equal(whole.code, 0, whole.stderr);
  assert.deepEqual(warnings(whole.stderr), []);

  // a contact sheet: one summary; windows end at 01:00, 09:00 and 14:00 (five stored candles apart), the 2nd holed
  assert.equal(sheet.code, 0, sheet.stderr);
  assert.deepEqual(warnings(sheet.stderr), [
    '1 of 3 windows span a hole in upbit BTC/KRW 1h (store), their candles drawn side by side as if none were ' +
      `missing: 2024-01-10T05:00Z … 2024-01-10T07:00Z (3 missing; window 2) ${cause}`,
  ]);
});

test("bot chart calls a market's nights, lunch and weekends no hole, a candle missing in its hours one", async () => {
  // an index future's hourly candles (09:30–11:30 and 13:00–15:00 Shanghai) on three weeks of weekdays, without
  // Wednesday 10 January's 13:00 one (05:00 UTC)
  const dropped = Date.UTC(2024, 0, 10, 5);
  const c = without(sessionCandles({ seed: 8, count: 60, opens: CHINA_FUTURE_OPENS }), (ts) => ts === dropped);
  const { dir, flags } = await stored(c, ['--exchange', 'binance', '--symbol', 'IF/CNY'], 'bot-chart-sessions-');
  const out = (name: string) => path.join(dir, name);
  const [closed, holed] = await runBots([
    // windows ending Thursday 4th … Tuesday 9th: every one spans a night or a lunch, two a weekend
    { args: ['chart', ...flags, '--at', '2024-01-09T06:00Z', '--sheet', '4', '--every', '5', '--out', out('c.png')] },
    { args: ['chart', ...flags, '--at', '2024-01-10T06:00Z', '--out', out('h.png')] },
  ]);
  assert.equal(closed.code, 0, closed.stderr);
  assert.deepEqual(warnings(closed.stderr), []);
  assert.equal(holed.code, 0, holed.stderr);
  // the store's gap runs from the lunch break's first slot (as `bot data gaps` lists it); the night before is none
  assert.deepEqual(warnings(holed.stderr), [
    'the window ending 2024-01-10T06:00:00Z spans a hole in binance IF/CNY 1h (store), its candles drawn side by ' +
      'side as if none were missing: 2024-01-10T03:30Z … 2024-01-10T05:30Z (3 missing) (binance was down: it ' +
      "gives intervals without trades a candle of zero volume; imported candles may leave out a market's closed hours)",
  ]);
});
