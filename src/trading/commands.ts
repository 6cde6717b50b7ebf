/**
 * Control commands (issue 15): pause / resume, halt / clear a halt, exit the position at the next open. Whoever asks
 * (the dashboard's API) only inserts a row into `trading_commands`; the trader applies pending rows at its next tick,
 * inside its own transaction, so run state keeps exactly one writer and a command never races a tick. Every row keeps
 * who asked and when, and what the trader did with it.
 */
import type Database from 'better-sqlite3';
import { isoTime } from '../data/timeframe.ts';
import type { RunRepository } from './run-repository.ts';
import type { RunState } from './types.ts';

export const COMMAND_KINDS = ['pause', 'resume', 'halt', 'clear-halt', 'exit'] as const;
type CommandKind = (typeof COMMAND_KINDS)[number];

export interface CommandRow {
  id: number;
  runId: number;
  kind: CommandKind;
  reason: string | null;
  requestedBy: string;
  requestedAt: number;
  status: 'pending' | 'applied' | 'ignored';
  appliedAt: number | null;
  note: string | null;
}

const SELECT = `SELECT id, run_id AS runId, kind, reason,
  requested_by AS requestedBy, requested_at AS requestedAt, status,
  applied_at AS appliedAt, note FROM trading_commands`;

/** Queues a command for a run's trader; returns its row. The caller checks the run exists. */
export function requestCommand(
  db: Database.Database,
  c: { runId: number; kind: CommandKind; requestedBy: string; reason?: string; now: number },
): CommandRow {
  const info = db
    .prepare('INSERT INTO trading_commands (run_id, kind, reason, requested_by, requested_at) VALUES (?, ?, ?, ?, ?)')
    .run(c.runId, c.kind, c.reason ?? null, c.requestedBy, c.now);
  return db.prepare(`${SELECT} WHERE id = ?`).get(Number(info.lastInsertRowid)) as CommandRow;
}

/** A run's commands, newest first. */
export function listCommands(db: Database.Database, runId: number, limit = 50): CommandRow[] {
  return db.prepare(`${SELECT} WHERE run_id = ? ORDER BY id DESC LIMIT ?`).all(runId, limit) as CommandRow[];
}

function pending(db: Database.Database, runId: number): CommandRow[] {
  return db.prepare(`${SELECT} WHERE run_id = ? AND status = 'pending' ORDER BY id`).all(runId) as CommandRow[];
}

function settle(db: Database.Database, id: number, status: 'applied' | 'ignored', note: string, now: number): void {
  db.prepare('UPDATE trading_commands SET status = ?, applied_at = ?, note = ? WHERE id = ?').run(
    status,
    now,
    note,
    id,
  );
}

const who = (c: CommandRow) => `${c.requestedBy} at ${isoTime(c.requestedAt)}${c.reason ? `: ${c.reason}` : ''}`;

/**
 * Which pending rows a paper catch-up applies before deciding the candle that closes at `close`: those asked by then,
 * so the candles that closed before a command was asked are decided as if it had not been (a restart's catch-up used
 * to apply them all at its first candle). A row asked after the tick's clock `now` (a replay's --now behind the
 * dashboard's wall clock) cannot be placed among the candles: it applies at once, as before. No `close` (live, which
 * acts now on the newest candle only; the end of a paper tick): every pending row.
 */
export interface AskedBy {
  close: number;
  now: number;
}

const askedBy = (c: CommandRow, by: AskedBy | undefined) => !by || c.requestedAt <= by.close || c.requestedAt > by.now;

/**
 * When the next pending row of a run (of `kind`, when given) after those asked by `by` was asked (askedBy), or
 * undefined: a paper catch-up decides on until the first candle closing at or after it, then applies it.
 */
export function nextCommandAt(
  db: Database.Database,
  runId: number,
  by: AskedBy,
  kind?: CommandRow['kind'],
): number | undefined {
  const row = db
    .prepare(
      `SELECT MIN(requested_at) AS at FROM trading_commands WHERE run_id = ? AND status = 'pending'
         AND requested_at > ? AND requested_at <= ? AND (? IS NULL OR kind = ?)`,
    )
    .get(runId, by.close, by.now, kind ?? null, kind ?? null) as { at: number | null };
  return row.at ?? undefined;
}

/**
 * Applies a run's pending pause / resume / halt / clear-halt rows asked by `by` (askedBy; absent: all) in the order
 * they were asked, inside the caller's transaction, and returns the run state after them (the caller saves it). A
 * pause cancels the order waiting for the next open (a paused run trades nothing). Exit rows stay pending: they are
 * taken by a candle the run acts on (see takeExits), so an exit asked while paused or halted waits for trading to
 * resume.
 */
export function applyCommands(
  repo: RunRepository,
  run: RunState,
  now: number,
  by?: AskedBy,
): { run: RunState; applied: CommandRow[] } {
  const next: RunState = { ...run };
  const applied: CommandRow[] = [];
  for (const c of pending(repo.db, run.id)) {
    if (c.kind === 'exit' || !askedBy(c, by)) continue;
    let note: string | undefined;
    if (c.kind === 'pause') {
      if (next.paused) note = 'already paused';
      else {
        next.paused = `paused by ${who(c)}`;
        if (next.pending) {
          repo.updateOrder(next.pending.orderId, 'cancelled', { reason: `run paused by ${c.requestedBy}` });
          next.pending = undefined;
        }
      }
    } else if (c.kind === 'resume') {
      if (!next.paused) note = 'not paused';
      else next.paused = undefined;
    } else if (c.kind === 'halt') {
      if (next.halted) note = 'already halted';
      else next.halted = `halted by ${who(c)}`;
    } else if (c.kind === 'clear-halt') {
      if (!next.halted) note = 'not halted';
      else next.halted = undefined;
    }
    settle(repo.db, c.id, note ? 'ignored' : 'applied', note ?? `${c.kind} applied`, now);
    applied.push({ ...c, status: note ? 'ignored' : 'applied', appliedAt: now, note: note ?? `${c.kind} applied` });
  }
  return { run: next, applied };
}

/**
 * The pending exit rows of a run asked by `by` (askedBy; absent: all), oldest first; taken together by the candle
 * whose sell goes through. While any is pending, a live run's candles sell and its policy is not asked (a sell held
 * back must not be followed by a buy).
 */
export function pendingExits(repo: RunRepository, runId: number, by?: AskedBy): number[] {
  return pending(repo.db, runId)
    .filter((c) => c.kind === 'exit' && askedBy(c, by))
    .map((c) => c.id);
}

/**
 * A run's oldest pending exit row, whose note says why its sell has not gone through yet (deferExits), or undefined:
 * what `bot status` shows of an exit in progress.
 */
export function pendingExit(db: Database.Database, runId: number): CommandRow | undefined {
  return pending(db, runId).find((c) => c.kind === 'exit');
}

/**
 * Marks exit rows done, inside the transaction of the candle that sold (or had nothing it could sell): on paper the
 * order for the next open, live the sell the exchange executed.
 */
export function takeExits(repo: RunRepository, ids: readonly number[], note: string, now: number): void {
  for (const id of ids) settle(repo.db, id, 'applied', note, now);
}

/**
 * Leaves a live run's exit rows pending with a note saying why their sell has not gone through (held back, refused,
 * outcome unknown, still open): the next candle the run acts on sells again. The caller commits.
 */
export function deferExits(repo: RunRepository, ids: readonly number[], note: string): void {
  const update = repo.db.prepare("UPDATE trading_commands SET note = ? WHERE id = ? AND status = 'pending'");
  for (const id of ids) update.run(note, id);
}
