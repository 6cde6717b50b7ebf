/** A named lock in the database, so that one process trades a run, or retrains a model home, at a time. */
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { UserError } from '../core/errors.ts';
import { processAlive } from '../core/process-alive.ts';
import { shortError } from '../data/exchange.ts';
import { isoTime } from '../data/timeframe.ts';
import { LOCKS_TABLE } from './db.ts';
import type { RunKey } from './types.ts';

export interface Lock {
  readonly name: string;
  /** Refreshes the heartbeat so other processes see the holder is alive. */
  heartbeat(): void;
  release(): void;
}

interface LockRow {
  pid: number;
  host: string;
  acquired_at: number;
  heartbeat: number;
}

/**
 * Whether a recorded holder can be ignored: its process is gone (same host) or its heartbeat is older than `staleMs`.
 * A live pid alone does not hold a lock: after a crash the pid may belong to another program, and a holder on another
 * host sharing the database file has no pid to look at; a heartbeat is what says a holder lives.
 */
function isAbandoned(row: LockRow, staleMs: number, now: number): boolean {
  if (row.host === os.hostname() && !processAlive(row.pid)) return true;
  return now - row.heartbeat > staleMs;
}

/** The lock a run's trader holds while it runs (one trader per run). */
export function runLockName(key: RunKey): string {
  return `${key.mode}:${key.name}:${key.exchange}:${key.symbol}:${key.timeframe}`;
}

/**
 * Whether the holder of lock `name` lives (as acquireLock judges it: a heartbeat within `staleMs`, its process alive
 * on this host) and its last heartbeat; no row: released (a clean stop) or never taken. Read-only, on any connection.
 */
export function lockHolder(
  db: Database.Database,
  name: string,
  staleMs: number,
  now = Date.now(),
): { alive: boolean; lastSeen?: number } {
  const row = db.prepare('SELECT pid, host, acquired_at, heartbeat FROM trading_locks WHERE name = ?').get(name) as
    LockRow | undefined;
  if (!row) return { alive: false };
  return { alive: !isAbandoned(row, staleMs, now), lastSeen: row.heartbeat };
}

/**
 * The heartbeat's worker (CommonJS: an eval'd worker has `require`); workerData: { driver (better-sqlite3's resolved
 * path: an eval'd worker resolves modules from the working directory), file, name, pid, host, everyMs }.
 */
const BEAT_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const { file, name, pid, host, everyMs } = workerData;
const db = new Database(file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const beat = db.prepare('UPDATE trading_locks SET heartbeat = ? WHERE name = ? AND pid = ? AND host = ?');
setInterval(() => {
  try {
    beat.run(Date.now(), name, pid, host);
  } catch {
    // a busy database: the next beat writes it
  }
}, everyMs);
`;

/**
 * Refreshes the lock's heartbeat every `everyMs` until the returned stop is called. The beat runs in a worker thread
 * with its own connection to the database file: a retrain's training is synchronous and holds the main thread for as
 * long as it trains (minutes), so a timer there never fired, the heartbeat went stale and a second `bot retrain` of
 * the same home took the lock over; both trained and promoted. Should the worker fail, a timer on the main thread
 * beats instead. An in-memory database needs no beat: no other process sees it.
 */
function keepBeating(db: Database.Database, name: string, everyMs: number, beatHere: () => void): () => void {
  if (db.memory) return () => {};
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const workerData = {
    driver: createRequire(import.meta.url).resolve('better-sqlite3'),
    file: db.name,
    name,
    pid: process.pid,
    host: os.hostname(),
    everyMs,
  };
  const worker = new Worker(BEAT_SOURCE, { eval: true, workerData });
  worker.unref();
  worker.on('error', () => {
    if (stopped) return;
    timer = setInterval(() => {
      if (!db.open) return clearInterval(timer);
      try {
        beatHere();
      } catch {
        // a busy database: the next beat writes it
      }
    }, everyMs);
    timer.unref();
  });
  return () => {
    stopped = true;
    clearInterval(timer);
    void worker.terminate();
  };
}

/**
 * Takes a named lock held in the database, so two traders never drive the same run and two retrains never overlap.
 * A lock left behind by a killed process is taken over. Throws a UserError naming the holder otherwise.
 * While held, the heartbeat is refreshed every quarter of `staleMs` (keepBeating): a trader waits a whole candle
 * between ticks (an hour on 1h) and a retrain trains for minutes, both far longer than `staleMs`.
 * Times are the wall clock's, never a run's fixed `--now`: a holder's heartbeat frozen at a replayed hour looked
 * abandoned to every process on the wall clock (or on a later `--now`), which then took the lock over.
 */
export function acquireLock(db: Database.Database, name: string, staleMs: number): Lock {
  // the lock table only: a run's database has the whole trading schema already (RunRepository), and a lock file of
  // its own must not take the schema's version (see LOCKS_TABLE)
  db.exec(LOCKS_TABLE);
  const host = os.hostname();
  const take = db.transaction(() => {
    const row = db.prepare('SELECT pid, host, acquired_at, heartbeat FROM trading_locks WHERE name = ?').get(name) as
      LockRow | undefined;
    const t = Date.now();
    if (row && !(row.pid === process.pid && row.host === host) && !isAbandoned(row, staleMs, t)) {
      throw new UserError(
        `${name} is already running (pid ${row.pid} on ${row.host} since ${isoTime(row.acquired_at)})`,
      );
    }
    db.prepare(
      `INSERT INTO trading_locks (name, pid, host, acquired_at, heartbeat) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET pid = excluded.pid, host = excluded.host,
       acquired_at = excluded.acquired_at, heartbeat = excluded.heartbeat`,
    ).run(name, process.pid, host, t, t);
  });
  take.immediate();
  let held = true;
  const heartbeat = () => {
    if (held && db.open)
      db.prepare('UPDATE trading_locks SET heartbeat = ? WHERE name = ? AND pid = ? AND host = ?').run(
        Date.now(),
        name,
        process.pid,
        host,
      );
  };
  const stopBeating = keepBeating(db, name, Math.max(50, Math.floor(staleMs / 4)), heartbeat);
  return {
    name,
    heartbeat,
    release() {
      stopBeating();
      if (!held || !db.open) return;
      held = false;
      db.prepare('DELETE FROM trading_locks WHERE name = ? AND pid = ? AND host = ?').run(name, process.pid, host);
    },
  };
}

/**
 * A named lock held in a SQLite file of its own rather than a run's database, for what spans databases (a model
 * home's retrain, an exchange account's live run). `prepare` runs on the opened file first; `refused` may turn the
 * holder's refusal into a better line; `taken` runs once the lock is held (a throw there releases it). Releasing the
 * lock closes the file, which stays for the next holder. `what` names the lock in the error when the file fails.
 */
export function acquireFileLock(
  file: string,
  name: string,
  staleMs: number,
  what: string,
  hooks: {
    prepare?(db: Database.Database): void;
    refused?(db: Database.Database, e: UserError): never;
    taken?(db: Database.Database): void;
  } = {},
): Lock {
  let db: Database.Database | undefined;
  let lock: Lock | undefined;
  try {
    db = new Database(file);
    db.pragma('busy_timeout = 5000');
    hooks.prepare?.(db);
    try {
      lock = acquireLock(db, name, staleMs);
    } catch (e) {
      if (e instanceof UserError && hooks.refused) hooks.refused(db, e);
      throw e;
    }
    hooks.taken?.(db);
    const [held, heldLock] = [db, lock];
    return {
      name,
      heartbeat: () => heldLock.heartbeat(),
      release() {
        heldLock.release();
        held.close();
      },
    };
  } catch (e) {
    lock?.release();
    db?.close();
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot take ${what} (${file}): ${shortError(e)}`);
  }
}
