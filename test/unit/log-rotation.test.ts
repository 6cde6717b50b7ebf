import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeLogger, createLogger } from '../../src/core/log.ts';
import { rotatedLogFile } from '../../src/core/log-file.ts';
import { loadConfig } from '../../src/config/load.ts';
import { tailLog } from '../../src/server/logs.ts';

const cap = { maxBytes: 4096, maxFiles: 3 };

/** Logs `from`..`to`-1 in one synchronous burst (the case winston's own maxsize loses, winstonjs/winston#1655). */
async function burst(file: string, from: number, to: number): Promise<void> {
  const logger = createLogger({ level: 'info', file, console: false, cap });
  for (let i = from; i < to; i++) logger.info(`line ${i}`, { pad: 'x'.repeat(40) });
  await closeLogger(logger);
}

function numbers(file: string): number[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => Number(/^line (\d+)$/.exec((JSON.parse(l) as { message: string }).message)?.[1]));
}

function checkFiles(dir: string, file: string, last: number): void {
  const files = readdirSync(dir).sort();
  assert.ok(files.length <= cap.maxFiles, `at most ${cap.maxFiles} files: ${files.join(' ')}`);
  for (const f of files) assert.ok(statSync(path.join(dir, f)).size <= cap.maxBytes, `${f} within the cap`);
  // Oldest file first: every line kept, in order, ending with the newest one, in the file the config names.
  const kept = [2, 1, 0].flatMap((n) => numbers(rotatedLogFile(file, n)));
  assert.equal(kept.at(-1), last);
  assert.deepEqual(
    kept,
    kept.map((_, i) => last - kept.length + 1 + i),
  );
  assert.ok(kept.length > 60, `the files hold the newest ${kept.length} lines`);
}

test(`the log file is rotated before it passes log.maxBytes, keeps log.maxFiles files holding the newest lines, and \
a restarted process goes on from the current file`, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bot-logrot-'));
  const file = path.join(dir, 'bot.log');
  await burst(file, 0, 2000);
  checkFiles(dir, file, 1999);
  await burst(file, 2000, 2500);
  checkFiles(dir, file, 2499);
});

test('the dashboard reads the newest entries across a rotation, the current file first', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bot-logrot-'));
  const file = path.join(dir, 'bot.log');
  await burst(file, 0, 500);
  const current = numbers(file).length;
  const entries = tailLog(file, 'info', current + 5);
  assert.deepEqual(
    entries.map((e) => e.message),
    Array.from({ length: current + 5 }, (_, i) => `line ${500 - current - 5 + i}`),
  );
  assert.deepEqual(tailLog(path.join(dir, 'gone.log'), 'info', 5), []);
});

test('log.maxFiles below 2 and log.maxBytes below 1 KB are refused in one line naming the key', () => {
  assert.throws(() => loadConfig({ overrides: { log: { maxFiles: 1 } } }), /log\.maxFiles/);
  assert.throws(() => loadConfig({ overrides: { log: { maxBytes: 10 } } }), /log\.maxBytes/);
});
