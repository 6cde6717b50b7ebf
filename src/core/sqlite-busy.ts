/**
 * SQLITE_BUSY as one line naming the database file: another process held its write lock past busy_timeout (a
 * download, a trader's tick, a retrain), which used to end a command in a bare `database is locked` and a stack trace.
 * The store records each file it opens (CandleStore.open); the CLI's error handler turns the error into the line.
 */
import { UserError } from './errors.ts';

/** The database files this process opened, in order; a closed one stays, as the error reaches the CLI after close. */
const opened: string[] = [];

export function noteDatabaseFile(file: string): void {
  if (!opened.includes(file)) opened.push(file);
}

/** The user's line for an SQLITE_BUSY error (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, …), or undefined for any other. */
export function busyUserError(e: unknown): UserError | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY')) return undefined;
  const files = opened.length > 0 ? opened.join(' or ') : 'the database';
  return new UserError(
    `${files} is locked: another process is writing to it (a download, a paper or live run, a retrain) and held ` +
      'it past the 5 s wait; try again later',
  );
}
