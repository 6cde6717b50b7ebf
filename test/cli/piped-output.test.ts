/**
 * Output piped to a slow reader (`bot data export | gzip`) arrives whole: the bot lets its pipe writes finish before
 * it exits, and a reader that goes away early (`| head`) still ends it quietly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CandleStore } from '../../src/data/store.ts';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { tempDir } from '../data/helpers.ts';
import { outputOf, runBot } from './run.ts';

const H = 3_600_000;
const ROWS = 6000; // about 350 KB of CSV: several times a pipe's buffer

function seed(db: string): void {
  const store = CandleStore.open(db);
  try {
    const start = Date.UTC(2020, 0, 1);
    const rows = Array.from({ length: ROWS }, (_, i) => {
      const close = 20000 + Math.sin(i / 50) * 1000 + i * 0.123456;
      return { ts: start + i * H, open: close - 1.5, high: close + 10.25, low: close - 12.75, close, volume: 1 + i };
    });
    store.upsert('binance', 'BTC/USDT', '1h', rows);
  } finally {
    store.close();
  }
}

/**
 * Runs the bot with stdout a pipe the test does not read until the bot has exited (or, when the bot waits for its
 * reader as it should, until a moment has passed), then reads it all.
 */
function runPiped(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'src/cli/bot.js'), ...args], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    let resumed = false;
    const resume = () => {
      if (resumed) return;
      resumed = true;
      child.stdout.resume();
    };
    child.stdout.on('data', (d: Buffer) => {
      chunks.push(d);
      if (chunks.length === 1 && !resumed) {
        // the first bytes are here: stop reading, so the pipe fills while the bot still has output to write
        child.stdout.pause();
        setTimeout(resume, 1500);
      }
    });
    child.on('exit', resume);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks), stderr }));
  });
}

test('bot data export to a pipe read slowly writes every row, as --out does', async () => {
  const dir = tempDir('bot-cli-piped-');
  const db = path.join(dir, 'bot.db');
  seed(db);
  const market = ['--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '1h', '--db', db];
  const out = path.join(dir, 'ex.csv');
  const toFile = await runBot(['data', 'export', ...market, '--out', out, '--log-level', 'error']);
  assert.equal(toFile.code, 0, toFile.stderr);
  const file = readFileSync(out);
  assert.ok(file.length > 256 * 1024, `${file.length} bytes: more than a pipe holds`);

  const piped = await runPiped(['data', 'export', ...market, '--log-level', 'error']);
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout.length, file.length, 'the pipe got as many bytes as the file');
  assert.ok(piped.stdout.equals(file));
  assert.equal(piped.stdout.toString().trimEnd().split('\n').length, ROWS + 1, 'a header and every row');
});

test('bot data export | head: the bot ends quietly when its reader goes away', async () => {
  const dir = tempDir('bot-cli-head-');
  const db = path.join(dir, 'bot.db');
  seed(db);
  const bot = `${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(PROJECT_ROOT, 'src/cli/bot.js'))}`;
  const cmd =
    `${bot} data export --exchange binance --symbol BTC/USDT --timeframe 1h --db ${JSON.stringify(db)} ` +
    '--log-level error | head -n 3; echo "bot=${PIPESTATUS[0]}" >&2';
  const result = await outputOf(
    spawn('bash', ['-c', cmd], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  assert.equal(result.stdout.split('\n').length, 4, result.stdout);
  assert.match(result.stdout, /^timestamp,open,high,low,close,volume\n/);
  assert.equal(result.stderr, 'bot=0\n', 'no error line, exit code 0');
});
