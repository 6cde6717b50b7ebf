/**
 * The commands that only read a database (status, serve, data list) leave a user's unrelated SQLite file given to
 * `--db` as it was, refusing it in one line, and make no file where none exists.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { runBot } from './run.ts';
import { tempDir } from '../trading/helpers.ts';

const tmp = tempDir('bot-foreign-db-');
after(() => tmp.cleanup());
const config = path.join(tmp.dir, 'config.json');
writeFileSync(config, JSON.stringify({ log: { file: '' } }));

/** The file's tables and journal mode, read without changing it. */
function shape(file: string): { tables: string[]; journal: string } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[];
    return { tables: tables.map((t) => t.name), journal: db.pragma('journal_mode', { simple: true }) as string };
  } finally {
    db.close();
  }
}

test("status, serve and data list refuse another program's SQLite file in one line, leaving it unchanged", async () => {
  const other = path.join(tmp.dir, 'other.sqlite');
  const db = new Database(other);
  db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('mine')");
  db.close();
  const before = shape(other);
  assert.deepEqual(before, { tables: ['notes'], journal: 'delete' });
  for (const args of [['status'], ['status', '--json'], ['serve', '--port', '0'], ['data', 'list']]) {
    // before: serve started (and was killed here), status and data list answered; each added the bot's tables
    const r = await runBot([...args, '--db', other, '--config', config], {}, tmp.dir, 60_000);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(
      r.stderr,
      /^error: \S*other\.sqlite is a SQLite database but not the bot's \(tables notes; no bot schema\): left as it/,
    );
    assert.deepEqual(shape(other), before, `${args.join(' ')} changed the file`);
  }
});

test('bot serve on a missing database file: one line, no file made', async () => {
  const missing = path.join(tmp.dir, 'typo.db');
  // before: an empty database was made there and served
  const r = await runBot(['serve', '--port', '0', '--db', missing, '--config', config], {}, tmp.dir, 60_000);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^error: no database at \S*typo\.db: bot serve shows the runs bot paper and bot live write/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(existsSync(missing), false);
});
