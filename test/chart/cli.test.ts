import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { seriesRequestFromFlags } from '../../src/cli/commands/data.ts';
import { loadConfig } from '../../src/config/load.ts';
import { candlesToCsv } from '../../src/data/csv.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { createImageRenderer, parseImageSpec, readPng, toBytes } from '../../src/chart/index.ts';

const run = promisify(execFile);
const BOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/bot.js');
const dir = mkdtempSync(path.join(tmpdir(), 'bot-chart-cli-'));
const candles = syntheticCandles({ seed: 71, count: 200, start: Date.UTC(2024, 1, 20) });
const csv = path.join(dir, 'btc.csv');
writeFileSync(csv, candlesToCsv(candles));

async function bot(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BOT, ...args, '--db', path.join(dir, 'bot.db')], {
      cwd: dir,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

test('bot chart writes the very pixels the model sees for the window ending at --at', async () => {
  const at = Date.UTC(2024, 1, 25, 3, 30); // between candle opens: the window ends at the candle opening 03:00
  const t = candles.ts.findIndex((ts) => ts > at) - 1;
  const out = path.join(dir, 'chart.png');
  const res = await bot(['chart', '--data', csv, '--at', '2024-02-25T03:30Z', '--style', 'ohlc', '--out', out]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /wrote .*chart\.png: ohlc:64x60:20/);
  // height first, as in the spec's HEIGHTxWIDTH (it printed 60×64 px, width first)
  assert.match(res.stdout, /; 64 high × 60 wide px\n/);
  const r = createImageRenderer(parseImageSpec('ohlc:64x60:20'));
  const px = new Float32Array(r.frameSize);
  r.render(candles, t, px);
  const png = await readPng(out);
  assert.deepEqual([png.width, png.height, png.channels], [60, 64, 1]);
  assert.deepEqual(png.data, toBytes(px));

  const sheet = path.join(dir, 'sheet.png');
  const res2 = await bot([
    'chart',
    '--data',
    csv,
    '--spec',
    'candles:32x32:16:c3:ma5:volume',
    '--sheet',
    '4',
    '--every',
    '10',
    '--columns',
    '2',
    '--out',
    sheet,
  ]);
  assert.equal(res2.code, 0, res2.stderr);
  const s = await readPng(sheet);
  assert.deepEqual([s.width, s.height, s.channels], [2 * 32 + 2, 2 * 32 + 2, 3]);
  // The bottom-right tile is the window ending at the last candle.
  const r2 = createImageRenderer(parseImageSpec('candles:32x32:16:c3:ma5:volume'));
  const last = new Float32Array(r2.frameSize);
  r2.render(candles, candles.close.length - 1, last);
  const want = toBytes(last);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32 * 3; x++) assert.equal(s.data[((34 + y) * s.width + 34) * 3 + x], want[y * 32 * 3 + x]);
  }
});

test('bot chart refuses bad input with one clear line and a non-zero exit', async () => {
  const early = await bot(['chart', '--data', csv, '--at', '2024-02-20T05:00Z', '--out', path.join(dir, 'x.png')]);
  assert.notEqual(early.code, 0);
  assert.match(early.stderr, /^error: ohlc:64x60:20.* needs 38 candles before/m);
  // Each CLI start costs seconds (tsx + every command's imports); bad --style/--spec are covered by the spec tests.
});

test('bot chart --out: a missing folder ending in /, a name not .png: one line each, nothing written', async () => {
  const nodir = path.join(dir, 'nodir') + '/';
  const jpg = path.join(dir, 'c11.jpg');
  const [folder, named] = await Promise.all([
    bot(['chart', '--sample', '--out', nodir]),
    bot(['chart', '--sample', '--out', jpg]),
  ]);
  // the folder was a libvips error of four lines; the .jpg held PNG bytes
  assert.equal(folder.code, 1);
  assert.equal(
    folder.stderr,
    `error: --out ${nodir} names a folder (it ends in /); give a file name, e.g. ${path.join(nodir, 'chart.png')}\n`,
  );
  assert.equal(named.code, 1);
  assert.equal(
    named.stderr,
    `error: --out ${jpg}: bot chart writes PNG images; give a .png name, e.g. ${path.join(dir, 'c11.png')}\n`,
  );
  assert.equal(existsSync(jpg), false);
  assert.equal(existsSync(nodir), false);
});

test('bot chart --from after --to is one line naming both, before any candles are read', () => {
  // it used to load the series and say "no candles for … in [2010-01-01…, 2009-01-01…)", as if data were missing
  assert.throws(
    () => seriesRequestFromFlags(loadConfig(), { sample: true, from: '2010-01-01', to: '2009-01-01' }),
    /^UserError: --to 2009-01-01 is not after --from 2010-01-01$/,
  );
});

test('bot chart --data FILE --columns NAMES reads a headerless file in its order (a number: sheet width)', async () => {
  const file = path.join(dir, 'reordered.csv');
  const c = candles;
  const lines = [...c.ts].map((t, i) => [c.close[i], t, c.open[i], c.high[i], c.low[i], c.volume[i]].join(','));
  writeFileSync(file, lines.join('\n') + '\n');
  const out = path.join(dir, 'reordered.png');
  const res = await bot(['chart', '--data', file, '--columns', 'close,time,open,high,low,volume', '--out', out]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /wrote .*reordered\.png: ohlc:64x60:20\S*, window ending .*, reordered\.csv \(1h\)/);
  const r = createImageRenderer(parseImageSpec('ohlc:64x60:20'));
  const px = new Float32Array(r.frameSize);
  r.render(candles, candles.close.length - 1, px);
  assert.deepEqual((await readPng(out)).data, toBytes(px));
});

test('bot chart --every or a number for --columns without --sheet is refused in one line, not ignored', async () => {
  const out = path.join(dir, 'moot.png');
  const [every, columns] = await Promise.all([
    bot(['chart', '--data', csv, '--every', '5', '--out', out]),
    bot(['chart', '--data', csv, '--columns', '3', '--out', out]),
  ]);
  assert.equal(every.code, 1);
  assert.equal(
    every.stderr,
    "error: --every does not apply without --sheet N (it spaces a contact sheet's windows): add --sheet or drop it\n",
  );
  assert.equal(columns.code, 1);
  assert.equal(
    columns.stderr,
    "error: --columns does not apply without --sheet N (it is a contact sheet's width): add --sheet or drop it\n",
  );
  assert.equal(existsSync(out), false);
});

test(`bot chart refuses, in one line before any data, a PNG over its size limit, a bad --columns, and flags the run \
would not read (--style with --spec, --every or --columns with --sheet 1)`, async () => {
  // a file that is not there: a refusal after the flags would be about it instead (or a download, for an exchange)
  const missing = path.join(dir, 'not-there.csv');
  const out = path.join(dir, 'refused.png');
  const chart = (...args: string[]) => bot(['chart', '--data', missing, ...args, '--out', out]);
  const [sheet, big, columns, styled, badStyle, single] = await Promise.all([
    // the audit's two: "Invalid typed array length: 8473378816" and a stack, after the data had loaded
    chart('--sheet', '2000', '--every', '1', '--scale', '32'),
    chart('--spec', 'candles:2048x4096:100:c3', '--scale', '32'),
    // --columns was checked after the series was loaded
    chart('--sheet', '4', '--columns', '0'),
    // these drew an OHLC chart, --style unread
    chart('--style', 'candles', '--spec', 'ohlc:32x15:5'),
    chart('--style', 'bad', '--spec', 'ohlc:32x15:5'),
    chart('--sheet', '1', '--every', '7', '--columns', '0'),
  ]);
  const limit = "over bot chart's limit of 100,000,000: give a smaller --scale, --sheet or image\n";
  assert.deepEqual(
    [sheet, big].map((r) => [r.code, r.stderr]),
    [
      [1, `error: the PNG would be 94976 high × 89216 wide px × 1 channel(s) = 8,473,378,816 values, ${limit}`],
      [1, `error: the PNG would be 65536 high × 131072 wide px × 3 channel(s) = 25,769,803,776 values, ${limit}`],
    ],
  );
  assert.deepEqual([columns.code, columns.stderr], [1, 'error: --columns must be a whole number ≥ 1 (got "0")\n']);
  const withSpec = "error: --style does not apply with --spec (the spec's first word is its style): drop --style\n";
  assert.deepEqual(
    [styled, badStyle].map((r) => [r.code, r.stderr]),
    [
      [1, withSpec],
      [1, withSpec],
    ],
  );
  assert.deepEqual(
    [single.code, single.stderr],
    [
      1,
      "error: --every does not apply to --sheet 1 (one window; it spaces a contact sheet's windows): give --sheet 2 " +
        'or more, or drop it\n',
    ],
  );
  assert.equal(existsSync(out), false);
});
