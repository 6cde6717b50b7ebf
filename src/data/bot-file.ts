/**
 * Whether a database file given to a command that only reads (status, serve, data list/gaps/export) may be opened:
 * missing, a bot database, or refused in one line before anything writes to it. Opening through the candle store
 * migrates, so a user's unrelated SQLite file given to `--db` used to gain the bot's tables and a WAL journal.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { UserError } from '../core/errors.ts';

/** Tables whose presence marks the bot's file: the candle store's base table and the other owners' version rows. */
const BOT_TABLES = new Set(['candles', 'schema_versions']);

/**
 * False when `file` does not exist (the caller reads it as empty, or refuses, and makes no file); true for a bot
 * database or an empty SQLite file. A file that is not SQLite, or is SQLite holding other tables and no bot schema,
 * is a UserError; the file is only read, never changed.
 */
export function existingBotDatabase(file: string): boolean {
  if (!existsSync(file)) return false;
  let tables: string[];
  let version: number;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    version = db.pragma('user_version', { simple: true }) as number;
    tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
        name: string;
      }[]
    ).map((t) => t.name);
  } catch (e) {
    const msg = (e as Error).message;
    if (/not a database|malformed|file is encrypted/i.test(msg))
      throw new UserError(`${file} is not a SQLite database (use --db to choose another file)`);
    throw new UserError(`cannot open database ${file}: ${msg}`);
  } finally {
    db?.close();
  }
  if (tables.length === 0 || version > 0 || tables.some((t) => BOT_TABLES.has(t))) return true;
  const shown = tables.slice(0, 3).join(', ') + (tables.length > 3 ? ', …' : '');
  throw new UserError(
    `${file} is a SQLite database but not the bot's (tables ${shown}; no bot schema): left as it is; ` +
      'give --db a bot database',
  );
}
