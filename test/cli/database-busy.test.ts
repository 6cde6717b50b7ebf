/**
 * A command that finds its database's write lock held by another process past busy_timeout: one line naming the file
 * and what to do, exit 1, no stack trace. It used to print a bare `error: database is locked` and an "unexpected
 * failure" log line with the stack.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import '../helpers/state-dir.ts';
import { CandleStore } from '../../src/data/store.ts';
import { holdWriteLock, tempDir } from '../data/helpers.ts';
import { runBot } from './run.ts';

test(`bot data import and bot paper --end while another process holds the database's write lock: one line naming \
the file, exit 1, no stack trace`, async () => {
  const dir = tempDir('bot-busy-');
  const db = path.join(dir, 'bot.db');
  CandleStore.open(db).close();
  const csv = path.join(dir, 'a.csv');
  writeFileSync(csv, 'timestamp,open,high,low,close,volume\n2024-01-01,10,12,9,11,1\n2024-01-02,11,13,10,12,2\n');
  const other = await holdWriteLock(db);
  try {
    const results = await Promise.all([
      runBot(['data', 'import', csv, '--symbol', 'BTC/KRW', '--db', db, '--log-level', 'error']),
      runBot(['paper', '--end', '--name', 'x', '--db', db, '--log-level', 'error']),
    ]);
    for (const r of results) {
      assert.equal(r.code, 1, r.stderr);
      assert.equal(
        r.stderr,
        `error: ${db} is locked: another process is writing to it (a download, a paper or live run, a retrain) ` +
          'and held it past the 5 s wait; try again later\n',
      );
    }
  } finally {
    other.release();
  }
});
