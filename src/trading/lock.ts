/** A run's lock in the database, so that one process trades a run at a time. */
import os from 'node:os';
import type Database from 'better-sqlite3';
import { UserError } from '../core/errors.ts';
import { isoTime } from '../data/timeframe.ts';
import { ensureTradingSchema } from './db.ts';

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

/** Whether a process with this pid runs on this host (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a recorded holder can be ignored: its process is gone (same host) or its heartbeat is older than `staleMs`.
 */
function isAbandoned(row: LockRow, staleMs: number, now: number): boolean {
  if (row.host === os.hostname() && !processAlive(row.pid)) return true;
  return now - row.heartbeat > staleMs;
}

/**
 * Takes a named lock held in the database, so two traders never drive the same run and two retrains never overlap.
 * A lock left behind by a killed process is taken over. Throws a UserError naming the holder otherwise.
 * While held, a timer refreshes the heartbeat every quarter of `staleMs`: a trader waits a whole candle between ticks
 * (an hour on 1h), far longer than `staleMs`, and a heartbeat written only after ticks let a second `bot live` take
 * over a run whose first trader was still running, so both traded it.
 */
export function acquireLock(db: Database.Database, name: string, staleMs: number, now: () => number = Date.now): Lock {
  ensureTradingSchema(db);
  const host = os.hostname();
  const take = db.transaction(() => {
    const row = db.prepare('SELECT pid, host, acquired_at, heartbeat FROM trading_locks WHERE name = ?').get(name) as
      LockRow | undefined;
    const t = now();
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
        now(),
        name,
        process.pid,
        host,
      );
  };
  const timer = setInterval(
    () => {
      if (!db.open) return clearInterval(timer);
      try {
        heartbeat();
      } catch {
        // a busy database: the next beat writes it
      }
    },
    Math.max(50, Math.floor(staleMs / 4)),
  );
  timer.unref();
  return {
    name,
    heartbeat,
    release() {
      clearInterval(timer);
      if (!held || !db.open) return;
      held = false;
      db.prepare('DELETE FROM trading_locks WHERE name = ? AND pid = ? AND host = ?').run(name, process.pid, host);
    },
  };
}
