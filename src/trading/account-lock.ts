/**
 * One `bot live` run per exchange account. Two live runs on one account (another `--name`, another `--db`) each took
 * the same free cash for theirs, and each one's daily-loss cap saw only its own losses. The lock is keyed by the
 * exchange, its API address and a hash of the API key (never the key itself), and lives in a SQLite file in the OS
 * temp folder, which runs on every database file share; the run holding it is named there for the refusal's line.
 * The file is the OS user's own: a file one user created in a shared /tmp cannot be written by another, whose every
 * `bot live` would then fail on it.
 * The file also remembers which databases a run on each account was started in: a run's claim outlives its process
 * (account-claims.ts), so a new run looks in each of those databases for a live run still claiming the account. The
 * databases stay the truth (a claim ends with its run); this file only says where to look, and only on this host and
 * for as long as the temp folder keeps it.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../core/errors.ts';
import { shortError } from '../data/exchange.ts';
import { accountClaimant, claimedAccountError } from './account-claims.ts';
import { acquireFileLock, type Lock } from './lock.ts';

/** The file that holds this OS user's account locks (a SQLite file of its own, shared by every database). */
function accountLockFile(): string {
  const user = process.getuid?.() ?? os.userInfo().username;
  return path.join(os.tmpdir(), `bot-live-accounts-${user}.db`);
}

/** The account's key: exchange id, API address and API key, hashed (the key never reaches the disk). */
export function accountKey(exchange: string, apiUrls: unknown, apiKey: string): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([exchange, apiUrls ?? null, apiKey]))
    .digest('hex');
  return `live-account:${exchange}:${hash.slice(0, 16)}`;
}

/** The live run in database `file` that claims `name` (an account's key), read without writing; undefined if none. */
function claimantInFile(file: string, name: string): string | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return accountClaimant(db, name);
  } catch (e) {
    throw new UserError(
      `cannot read which live runs in ${file} claim this exchange account (${shortError(e)}): make it readable, ` +
        'or add --allow-shared-account',
    );
  } finally {
    db?.close();
  }
}

/**
 * Takes the lock of the exchange account `apiKey` opens for the live run `run` (its key, for the line a second run
 * gets) in database `dbFile`. Throws a UserError naming the other run while one holds it, or while a live run in
 * another database this file remembers still claims the account; otherwise remembers `dbFile` for the account.
 */
export function lockLiveAccount(
  o: { exchange: string; apiUrls: unknown; apiKey: string; run: string; dbFile: string },
  staleMs: number,
): Lock {
  const name = accountKey(o.exchange, o.apiUrls, o.apiKey);
  return acquireFileLock(accountLockFile(), name, staleMs, 'the live account lock', {
    prepare(db) {
      db.exec(
        'CREATE TABLE IF NOT EXISTS live_account_runs (name TEXT PRIMARY KEY, run TEXT NOT NULL, db TEXT NOT NULL);' +
          'CREATE TABLE IF NOT EXISTS live_account_dbs (name TEXT NOT NULL, db TEXT NOT NULL, PRIMARY KEY (name, db))',
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
      const own = path.resolve(o.dbFile);
      const others = db.prepare('SELECT db FROM live_account_dbs WHERE name = ? AND db != ?').all(name, own) as {
        db: string;
      }[];
      for (const { db: file } of others) {
        // a database that is gone holds no run
        if (!existsSync(file)) db.prepare('DELETE FROM live_account_dbs WHERE name = ? AND db = ?').run(name, file);
        else {
          const claimant = claimantInFile(file, name);
          if (claimant) throw claimedAccountError(o.exchange, claimant, file);
        }
      }
      db.prepare('INSERT OR IGNORE INTO live_account_dbs (name, db) VALUES (?, ?)').run(name, own);
      db.prepare(
        `INSERT INTO live_account_runs (name, run, db) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET run = excluded.run, db = excluded.db`,
      ).run(name, o.run, own);
    },
  });
}
