/**
 * The candle store's writers against another process writing the same SQLite file (a trader's tick beside a
 * `bot data download`): each takes the write lock up front and waits out busy_timeout, instead of failing with
 * SQLITE_BUSY when it upgrades a read it began inside its transaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CandleStore } from '../../src/data/store.ts';
import { tempDir } from './helpers.ts';

const H = 3_600_000;
const t0 = Date.UTC(2024, 0, 1);

/**
 * Another process that takes `file`'s write lock (BEGIN IMMEDIATE), says `locked` on stdout, holds it for `holdMs`
 * and commits; resolves once it holds the lock, with its exit.
 */
async function holdWriteLock(file: string, holdMs: number): Promise<{ exited: Promise<number | null> }> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const source = `
const Database = require(${JSON.stringify(driver)});
const db = new Database(${JSON.stringify(file)});
db.exec('BEGIN IMMEDIATE');
db.prepare("INSERT OR IGNORE INTO candle_coverage VALUES ('other', 'X/KRW', '1h', 0, 1)").run();
process.stdout.write('locked\\n');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${holdMs});
db.exec('COMMIT');
`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let out = '';
  for await (const chunk of child.stdout) {
    out += String(chunk);
    if (out.includes('locked')) break;
  }
  assert.match(out, /locked/, 'the other process never took the write lock');
  return { exited };
}

test(`a download page stored while another process holds the write lock waits for it (busy_timeout) and is stored, \
also a page without candles (it reads the coverage before it writes)`, async () => {
  const file = path.join(tempDir(), 'bot.db');
  const store = CandleStore.open(file);
  try {
    const rows = [0, 1].map((i) => ({ ts: t0 + i * H, open: 1, high: 2, low: 0.5, close: 1.5, volume: 1 }));
    for (const [page, range] of [
      [[], { from: t0 - 4 * H, to: t0 }],
      [rows, { from: t0, to: t0 + 2 * H }],
    ] as const) {
      const other = await holdWriteLock(file, 1_000);
      store.storeDownload('upbit', 'BTC/KRW', '1h', page, range);
      assert.equal(await other.exited, 0, 'the other writer committed');
    }
    assert.deepEqual(store.coverage('upbit', 'BTC/KRW', '1h'), [{ from: t0 - 4 * H, to: t0 + 2 * H }]);
    assert.equal(store.load('upbit', 'BTC/KRW', '1h').ts.length, 2);
    assert.deepEqual(store.coverage('other', 'X/KRW', '1h'), [{ from: 0, to: 1 }]);
  } finally {
    store.close();
  }
});
