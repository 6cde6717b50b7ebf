/**
 * One `bot live` run per exchange account. Two live runs on one account (another `--name`, another `--db`) each took
 * the same free cash for theirs, and each one's daily-loss cap saw only its own losses. The lock is keyed by the
 * exchange, its API address and a hash of the API key (never the key itself), and lives in a SQLite file in the OS
 * user's state folder (state-dir.ts), which runs on every database share; the run holding it is named there for the
 * refusal's line. Not the temp folder: runs with other TMPDIR values, or services with PrivateTmp=yes, each had their
 * own there and never saw each other's lock, and a reboot emptied it.
 * The file also remembers which databases a run on each account was started in: a run's claim outlives its process
 * (account-claims.ts), so a new run looks in each of those databases for a live run still claiming the account. The
 * databases stay the truth (a claim ends with its run); this file only says where to look, and only on this host.
 * The file a version before this one kept in the temp folder is read too, never written, so that a run started
 * before the upgrade is still seen.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../core/errors.ts';
import { shortError } from '../data/exchange.ts';
import { accountClaimant, claimedAccountError } from './account-claims.ts';
import { botStateDir } from './state-dir.ts';
import { acquireFileLock, type Lock } from './lock.ts';

/** The name of this OS user's account lock file: one per user, as another user's file could not be written. */
function lockFileName(): string {
  return `bot-live-accounts-${process.getuid?.() ?? os.userInfo().username}.db`;
}

/**
 * The file that holds this OS user's account locks (a SQLite file of its own, shared by every database), its folder
 * made if missing: a one-line UserError naming the folder if it cannot be, checked before a run opens its database.
 */
export function accountLockFile(): string {
  return path.join(botStateDir(), lockFileName());
}

/** The databases the temp-folder file of a version before this one remembers for `name`, read without writing. */
function legacyDbs(name: string, current: string): string[] {
  const file = path.join(os.tmpdir(), lockFileName());
  if (path.resolve(file) === path.resolve(current) || !existsSync(file)) return [];
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const rows = db.prepare('SELECT db FROM live_account_dbs WHERE name = ?').all(name) as { db: string }[];
    return rows.map((r) => r.db);
  } catch (e) {
    // a file from before the lock remembered databases
    if (e instanceof Error && /no such table/.test(e.message)) return [];
    throw new UserError(
      `cannot read which databases the old live account lock file ${file} remembers (${shortError(e)}): make it ` +
        'readable, or add --allow-shared-account',
    );
  } finally {
    db?.close();
  }
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
  const file = accountLockFile();
  return acquireFileLock(file, name, staleMs, 'the live account lock', {
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
      const remembered = db.prepare('SELECT db FROM live_account_dbs WHERE name = ?').all(name) as { db: string }[];
      const others = new Set([...remembered.map((r) => r.db), ...legacyDbs(name, file)]);
      others.delete(own);
      const remember = db.prepare('INSERT OR IGNORE INTO live_account_dbs (name, db) VALUES (?, ?)');
      for (const other of others) {
        // a database that is gone holds no run
        if (!existsSync(other)) db.prepare('DELETE FROM live_account_dbs WHERE name = ? AND db = ?').run(name, other);
        else {
          // one the old temp-folder file remembers is kept here, where a reboot does not lose it
          remember.run(name, other);
          const claimant = claimantInFile(other, name);
          if (claimant) throw claimedAccountError(o.exchange, claimant, other);
        }
      }
      remember.run(name, own);
      db.prepare(
        `INSERT INTO live_account_runs (name, run, db) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET run = excluded.run, db = excluded.db`,
      ).run(name, o.run, own);
    },
  });
}
