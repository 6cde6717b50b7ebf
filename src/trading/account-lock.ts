/**
 * One `bot live` run per exchange account. Two live runs on one account (another `--name`, another `--db`) each took
 * the same free cash for theirs, and each one's daily-loss cap saw only its own losses. The lock is keyed by the
 * exchange, its API address and a hash of the API key (never the key itself), and lives in a SQLite file in the OS
 * temp folder, which runs on every database file share; the run holding it is named there for the refusal's line.
 * The file is the OS user's own: a file one user created in a shared /tmp cannot be written by another, whose every
 * `bot live` would then fail on it.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { acquireFileLock, type Lock } from './lock.ts';

/** The file that holds this OS user's account locks (a SQLite file of its own, shared by every database). */
function accountLockFile(): string {
  const user = process.getuid?.() ?? os.userInfo().username;
  return path.join(os.tmpdir(), `bot-live-accounts-${user}.db`);
}

/** The account's key: exchange id, API address and API key, hashed (the key never reaches the disk). */
function accountKey(exchange: string, apiUrls: unknown, apiKey: string): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([exchange, apiUrls ?? null, apiKey]))
    .digest('hex');
  return `live-account:${exchange}:${hash.slice(0, 16)}`;
}

/**
 * Takes the lock of the exchange account `apiKey` opens for the live run `run` (its key, for the line a second run
 * gets) in database `dbFile`. Throws a UserError naming the other run while one holds it.
 */
export function lockLiveAccount(
  o: { exchange: string; apiUrls: unknown; apiKey: string; run: string; dbFile: string },
  staleMs: number,
): Lock {
  const name = accountKey(o.exchange, o.apiUrls, o.apiKey);
  return acquireFileLock(accountLockFile(), name, staleMs, 'the live account lock', {
    prepare(db) {
      db.exec(
        'CREATE TABLE IF NOT EXISTS live_account_runs (name TEXT PRIMARY KEY, run TEXT NOT NULL, db TEXT NOT NULL)',
      );
    },
    refused(db, e) {
      const other = db.prepare('SELECT run, db FROM live_account_runs WHERE name = ?').get(name) as
        { run: string; db: string } | undefined;
      const holder = `${other?.run ?? 'unknown run'} in ${other?.db ?? 'an unknown database'}`;
      throw new UserError(
        `this ${o.exchange} account (same API key) is traded by another live run: ${holder}, which ` +
          `${e.message.slice(name.length + 1)}; two runs would each count the same free cash as theirs and neither ` +
          'daily-loss cap would see the other: stop it, or add --allow-shared-account',
      );
    },
    taken(db) {
      db.prepare(
        `INSERT INTO live_account_runs (name, run, db) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET run = excluded.run, db = excluded.db`,
      ).run(name, o.run, path.resolve(o.dbFile));
    },
  });
}
