/**
 * Owns schema versioning of the bot's SQLite file: ordered migrations, each applied in its own transaction together
 * with the version bump, and the refusal to open a file written by a newer bot.
 *
 * Scheme: two owners share the file, and each keeps its own ordered list and its own version number.
 * - The candle store (src/data/store.ts) is the file's base schema; its version is `PRAGMA user_version`.
 * - Every other owner (today: the trading tables, src/trading/db.ts) keeps its version in a row of
 *   `schema_versions(owner, version)`, a table this module creates in the owner's first migration.
 * Why not one combined list under user_version: `bot data` opens the file through the candle store alone, before
 * any trading table exists, and the data layer must not know the trading tables. With one number, either the store
 * would have to create trading tables or the number could not say which owner's steps had run once both lists grow.
 * Per-owner numbers let each list grow on its own and stay exact whichever command opens the file first.
 *
 * Version 0 means "never migrated"; a file written before versioning (tables present, user_version 0) is version 0
 * too, so every migration 1 must be idempotent over the tables it creates and must never drop data.
 */
import type Database from 'better-sqlite3';
import { UserError } from '../core/errors.ts';

/** One step of a schema. `up` runs inside the transaction that also records `version`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Database.Database): void;
}

/** Where an owner's version number lives: the file's `PRAGMA user_version`, or its row in `schema_versions`. */
type VersionSlot = 'user_version' | 'schema_versions';

/** An owner's ordered migrations: versions 1, 2, 3, … with no gaps. */
export interface Schema {
  readonly owner: string;
  readonly slot: VersionSlot;
  readonly migrations: readonly Migration[];
  /** What to do about a file of a newer schema, in its refusal (default: upgrade the bot, or --db another file). */
  readonly newerAdvice?: string;
}

const VERSIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_versions (
  owner   TEXT    PRIMARY KEY,
  version INTEGER NOT NULL
) WITHOUT ROWID`;

/** The version a schema is at in `db` (0 if never migrated). Reads only. */
export function schemaVersion(db: Database.Database, schema: Schema): number {
  if (schema.slot === 'user_version') return db.pragma('user_version', { simple: true }) as number;
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'").get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT version FROM schema_versions WHERE owner = ?').get(schema.owner) as
    { version: number } | undefined;
  return row?.version ?? 0;
}

function setVersion(db: Database.Database, schema: Schema, version: number): void {
  if (schema.slot === 'user_version') {
    db.pragma(`user_version = ${version}`);
    return;
  }
  db.exec(VERSIONS_TABLE);
  db.prepare(
    `INSERT INTO schema_versions (owner, version) VALUES (?, ?)
     ON CONFLICT (owner) DO UPDATE SET version = excluded.version`,
  ).run(schema.owner, version);
}

/** The newest version the code knows; throws (a programming error) unless versions run 1, 2, 3, … in order. */
export function latestVersion(schema: Schema): number {
  schema.migrations.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version !== i + 1) {
      throw new Error(`${schema.owner} migrations must be numbered 1, 2, 3, … in order; #${i + 1} is ${m.version}`);
    }
  });
  return schema.migrations.length;
}

function refuseIfNewer(db: Database.Database, schema: Schema, current: number, latest: number): void {
  if (current > latest) {
    throw new UserError(
      `${db.name}: ${schema.owner} schema is version ${current}, newer than this bot knows (up to ${latest}); ` +
        `refusing to open it — ${schema.newerAdvice ?? 'upgrade the bot or use --db to choose another file'}`,
    );
  }
}

/**
 * Brings `schema` in `db` up to its newest version: each pending migration runs in its own IMMEDIATE transaction
 * with its version bump, so a failing step leaves the file at the previous version with nothing of it applied.
 * The version is re-read inside each transaction, so two processes migrating one file at once apply each step once.
 * A version newer than the code knows is a one-line UserError, raised before anything is written.
 * Returns the version reached.
 */
export function migrate(db: Database.Database, schema: Schema): number {
  const latest = latestVersion(schema);
  const current = schemaVersion(db, schema);
  refuseIfNewer(db, schema, current, latest);
  for (const m of schema.migrations) {
    if (m.version <= current) continue;
    const step = db.transaction(() => {
      const now = schemaVersion(db, schema);
      refuseIfNewer(db, schema, now, latest);
      if (now >= m.version) return;
      try {
        m.up(db);
      } catch (e) {
        if (e instanceof UserError) throw e;
        const why = e instanceof Error ? e.message : String(e);
        throw new Error(`${db.name}: ${schema.owner} migration ${m.version} (${m.name}) failed: ${why}`, { cause: e });
      }
      setVersion(db, schema, m.version);
    });
    step.immediate();
  }
  return latest;
}
