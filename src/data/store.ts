/**
 * The embedded SQLite candle store: candles per (exchange, symbol, timeframe), their download record (what the
 * exchange served), and the checks that keep a series on one grid (off-grid, overlapping or wrong-weekday candles are
 * refused before anything is written).
 */
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../core/errors.ts';
import { noteDatabaseFile } from '../core/sqlite-busy.ts';
import { migrate, type Schema } from './migrations.ts';
import { candleRows, candlesFromRows, type CandleRow, type Candles } from '../core/candles.ts';
import { gapAfter, type GapRange } from './gap-range.ts';
import { stepSlack, timeframeMs } from './timeframe.ts';
import { sameValues } from './csv-checks.ts';
import {
  describeGrid,
  describeOverlap,
  firstOffGrid,
  firstOffWeekday,
  firstOverlap,
  gridOf,
  shortestSpan,
  type WeekPhase,
} from './grid.ts';

/** One stored series as `bot data list` shows it. `gaps` counts missing ranges, `missing` the candles in them. */
export interface SeriesInfo {
  exchange: string;
  symbol: string;
  timeframe: string;
  first: number;
  last: number;
  count: number;
  gaps: number;
  missing: number;
  /** Set for a series the bot built rather than fetched (e.g. `bot data derive`); absent otherwise. */
  label?: string;
}

/**
 * The candle store's schema, versioned by the file's `PRAGMA user_version` (see migrations.ts). Append new steps;
 * never edit a released one. Version 1 is the DDL the store used before versioning, so files it wrote are adopted.
 */
export const CANDLE_SCHEMA: Schema = {
  owner: 'candle store',
  slot: 'user_version',
  migrations: [
    {
      version: 1,
      name: 'candles and candle_coverage',
      up: (db) =>
        db.exec(`
CREATE TABLE IF NOT EXISTS candles (
  exchange  TEXT    NOT NULL,
  symbol    TEXT    NOT NULL,
  timeframe TEXT    NOT NULL,
  ts        INTEGER NOT NULL,
  open      REAL    NOT NULL,
  high      REAL    NOT NULL,
  low       REAL    NOT NULL,
  close     REAL    NOT NULL,
  volume    REAL    NOT NULL,
  PRIMARY KEY (exchange, symbol, timeframe, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS candle_coverage (
  exchange  TEXT    NOT NULL,
  symbol    TEXT    NOT NULL,
  timeframe TEXT    NOT NULL,
  from_ts   INTEGER NOT NULL,
  to_ts     INTEGER NOT NULL,
  PRIMARY KEY (exchange, symbol, timeframe, from_ts)
) WITHOUT ROWID;
`),
    },
    {
      version: 2,
      name: 'series_labels (derived series, issue 14)',
      up: (db) =>
        db.exec(`
CREATE TABLE IF NOT EXISTS series_labels (
  exchange  TEXT NOT NULL,
  symbol    TEXT NOT NULL,
  timeframe TEXT NOT NULL,
  label     TEXT NOT NULL,
  PRIMARY KEY (exchange, symbol, timeframe)
) WITHOUT ROWID;
`),
    },
  ],
};

/** What a counted write did: candles new to the store, and stored ones replaced by other values. */
interface UpsertCounts {
  added: number;
  replaced: number;
}

/** A time range [from, to) in ms UTC. */
export interface TimeRange {
  from: number;
  to: number;
}

/** Sorted, merged union of ranges (touching ranges join). */
export function mergeRanges(ranges: readonly TimeRange[]): TimeRange[] {
  const sorted = [...ranges].filter((r) => r.to > r.from).sort((a, b) => a.from - b.from);
  const out: TimeRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

/** Parts of `want` that no range in `have` covers. */
export function subtractRanges(want: TimeRange, have: readonly TimeRange[]): TimeRange[] {
  const out: TimeRange[] = [];
  let cursor = want.from;
  for (const h of mergeRanges(have)) {
    if (h.to <= cursor) continue;
    if (h.from >= want.to) break;
    if (h.from > cursor) out.push({ from: cursor, to: h.from });
    cursor = Math.max(cursor, h.to);
  }
  if (cursor < want.to) out.push({ from: cursor, to: want.to });
  return out;
}

/**
 * The candle store: one SQLite file (WAL) keyed by (exchange, symbol, timeframe, open time).
 * Other parts of the bot add their own tables to the same file through `db`.
 * Every writer's transaction is IMMEDIATE: it takes the write lock at BEGIN, where SQLite waits out busy_timeout while
 * another process (a trader, a download) writes. A deferred transaction that reads before it writes (storeDownload
 * reads the coverage) fails at once with SQLITE_BUSY when it upgrades: SQLite calls no busy handler for a connection
 * that already holds a read.
 */
export class CandleStore {
  readonly db: Database.Database;
  readonly file: string;
  private readonly upsertStmt: Database.Statement;
  /** What `open` made (the file, the first folder of its path it had to create), for `closeDiscardingIfNew`. */
  private readonly made: { file: boolean; folder: string | undefined };

  private constructor(db: Database.Database, file: string, made: { file: boolean; folder: string | undefined }) {
    this.db = db;
    this.file = file;
    this.made = made;
    this.upsertStmt = db.prepare(
      `INSERT INTO candles (exchange, symbol, timeframe, ts, open, high, low, close, volume)
       VALUES (@exchange, @symbol, @timeframe, @ts, @open, @high, @low, @close, @volume)
       ON CONFLICT (exchange, symbol, timeframe, ts) DO UPDATE SET
         open = excluded.open, high = excluded.high, low = excluded.low,
         close = excluded.close, volume = excluded.volume
       WHERE open IS NOT excluded.open OR high IS NOT excluded.high OR low IS NOT excluded.low
          OR close IS NOT excluded.close OR volume IS NOT excluded.volume`,
    );
  }

  /**
   * Opens (creating parent folder and schema) a store and migrates the candle tables to the current version.
   * A file that is not a SQLite database, or whose schema is newer than this code, is a UserError (nothing written).
   */
  static open(file: string): CandleStore {
    const resolved = path.resolve(file);
    const made = { file: !existsSync(resolved), folder: undefined as string | undefined };
    if (made.file) {
      // private from the start (the account's orders and balances): a new folder 0700, the file 0600, whose mode
      // SQLite gives its -wal and -shm files too; a file that exists keeps the mode its owner gave it
      made.folder = mkdirSync(path.dirname(resolved), { recursive: true, mode: 0o700 });
      writeFileSync(resolved, '', { flag: 'a', mode: 0o600 });
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(resolved);
      db.pragma('busy_timeout = 5000');
      migrate(db, CANDLE_SCHEMA); // first: a too-new file is refused before even the journal mode is written
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    } catch (e) {
      db?.close();
      if (e instanceof UserError) throw e;
      const msg = (e as Error).message;
      if (/not a database|malformed|file is encrypted/i.test(msg))
        throw new UserError(`${file} is not a SQLite database (use --db to choose another file)`);
      throw new UserError(`cannot open database ${file}: ${msg}`);
    }
    noteDatabaseFile(file);
    return new CandleStore(db, resolved, made);
  }

  /** Inserts or updates rows in one transaction; returns how many rows were inserted or changed. */
  upsert(exchange: string, symbol: string, timeframe: string, rows: readonly CandleRow[]): number {
    const run = this.db.transaction((list: readonly CandleRow[]) => {
      let changed = 0;
      for (const r of list) {
        changed += this.upsertStmt.run({
          exchange,
          symbol,
          timeframe,
          ts: r.ts,
          open: r.open,
          high: r.high,
          low: r.low,
          close: r.close,
          volume: r.volume,
        }).changes;
      }
      return changed;
    });
    return run.immediate(rows);
  }

  /** `upsert`, counting new candles apart from stored ones replaced, inside the caller's transaction. */
  private countedIn(exchange: string, symbol: string, timeframe: string, rows: readonly CandleRow[]): UpsertCounts {
    const size = () =>
      (
        this.db
          .prepare('SELECT count(*) AS n FROM candles WHERE exchange = ? AND symbol = ? AND timeframe = ?')
          .get(exchange, symbol, timeframe) as { n: number }
      ).n;
    const before = size();
    const changed = this.upsert(exchange, symbol, timeframe, rows);
    const added = size() - before;
    return { added, replaced: changed - added };
  }

  /**
   * The first of `times` that does not fit the stored series' time grid (see grid.ts): off the phases its candles sit
   * on, or inside a stored candle without being on its open time (daily candles an hour before stored ones pass the
   * phase test, which allows an hour for daylight saving time). `why` says which, for people ("stored 1d candles open
   * at 09:00 UTC", "it overlaps the stored 1d candle …"); `days`: it overlaps a stored candle whole days away (weekly
   * candles stamped on another weekday, not read in another zone); undefined when all fit or nothing is stored.
   */
  offGrid(
    exchange: string,
    symbol: string,
    timeframe: string,
    times: readonly number[],
  ): { ts: number; why: string; days: boolean } | undefined {
    if (times.length === 0) return undefined;
    const { period } = gridOf(timeframe);
    const phases = (
      this.db
        .prepare(
          `SELECT DISTINCT ((ts % @period) + @period) % @period AS phase FROM candles
           WHERE exchange = @exchange AND symbol = @symbol AND timeframe = @timeframe`,
        )
        .all({ period, exchange, symbol, timeframe }) as { phase: number }[]
    ).map((r) => r.phase);
    const off = firstOffGrid(times, phases, timeframe);
    const span = shortestSpan(timeframe);
    // reduce, not Math.min(...times): spreading ~120k arguments overflows the stack
    const lo = times.reduce((a, b) => Math.min(a, b), Infinity);
    const hi = times.reduce((a, b) => Math.max(a, b), -Infinity);
    const near = this.load(exchange, symbol, timeframe, lo - span, hi + span + 1).ts;
    const overlap = firstOverlap(times, near, timeframe);
    if (overlap !== undefined && (off === undefined || overlap.ts < off))
      return {
        ts: overlap.ts,
        why: describeOverlap(overlap.ts, overlap.stored, timeframe),
        days: (overlap.ts - overlap.stored) % 86_400_000 === 0,
      };
    if (off !== undefined) return { ts: off, why: describeGrid(phases, timeframe), days: false };
    const weekday = firstOffWeekday(times, this.weekPhases(exchange, symbol, timeframe), timeframe);
    return weekday === undefined ? undefined : { ...weekday, days: true };
  }

  /** The series' open times modulo a week, with how many candles open at each (for weekly candles' weekday). */
  private weekPhases(exchange: string, symbol: string, timeframe: string): WeekPhase[] {
    if (timeframeMs(timeframe) !== 7 * 86_400_000) return [];
    return this.db
      .prepare(
        `SELECT ((ts % @week) + @week) % @week AS phase, count(*) AS n FROM candles
         WHERE exchange = @exchange AND symbol = @symbol AND timeframe = @timeframe GROUP BY phase`,
      )
      .all({ week: 7 * 86_400_000, exchange, symbol, timeframe }) as WeekPhase[];
  }

  /** The stored candles nearest before `from` and after `to` (open times, both exclusive), where there are any. */
  neighbours(
    exchange: string,
    symbol: string,
    timeframe: string,
    from: number,
    to: number,
  ): { before?: CandleRow; after?: CandleRow } {
    const one = (where: string, order: string) =>
      this.db
        .prepare(
          `SELECT ts, open, high, low, close, volume FROM candles
           WHERE exchange = ? AND symbol = ? AND timeframe = ? AND ${where} ORDER BY ts ${order} LIMIT 1`,
        )
        .get(exchange, symbol, timeframe, where.includes('<') ? from : to) as CandleRow | undefined;
    const before = one('ts < ?', 'DESC');
    const after = one('ts > ?', 'ASC');
    return { ...(before ? { before } : {}), ...(after ? { after } : {}) };
  }

  /** Candles of one series in ascending time, open time in [from, to). */
  load(exchange: string, symbol: string, timeframe: string, from = -Infinity, to = Infinity): Candles {
    const rows = this.db
      .prepare(
        `SELECT ts, open, high, low, close, volume FROM candles
         WHERE exchange = ? AND symbol = ? AND timeframe = ? AND ts >= ? AND ts < ? ORDER BY ts`,
      )
      .all(exchange, symbol, timeframe, finiteOr(from, -8.64e15), finiteOr(to, 8.64e15)) as CandleRow[];
    return candlesFromRows(exchange, symbol, timeframe, rows);
  }

  /** How many candles of the series are stored with open times in [from, to): load's range, without the rows. */
  countIn(exchange: string, symbol: string, timeframe: string, from: number, to: number): number {
    const row = this.db
      .prepare(
        'SELECT count(*) AS n FROM candles WHERE exchange = ? AND symbol = ? AND timeframe = ? AND ts >= ? AND ts < ?',
      )
      .get(exchange, symbol, timeframe, finiteOr(from, -8.64e15), finiteOr(to, 8.64e15)) as { n: number };
    return row.n;
  }

  /**
   * Open time of the `count`-th stored candle before `before` (the first stored one when fewer are), or undefined
   * when none is: history counted in candles, which a market's closed hours make longer than `count` timeframes.
   */
  openTimeBefore(
    exchange: string,
    symbol: string,
    timeframe: string,
    before: number,
    count: number,
  ): number | undefined {
    const row = this.db
      .prepare(
        `SELECT min(ts) AS first FROM (SELECT ts FROM candles
         WHERE exchange = ? AND symbol = ? AND timeframe = ? AND ts < ? ORDER BY ts DESC LIMIT ?)`,
      )
      .get(exchange, symbol, timeframe, before, count) as { first: number | null };
    return row.first ?? undefined;
  }

  lastTs(exchange: string, symbol: string, timeframe: string): number | undefined {
    const row = this.db
      .prepare('SELECT max(ts) AS last FROM candles WHERE exchange = ? AND symbol = ? AND timeframe = ?')
      .get(exchange, symbol, timeframe) as { last: number | null };
    return row.last ?? undefined;
  }

  firstTs(exchange: string, symbol: string, timeframe: string): number | undefined {
    const row = this.db
      .prepare('SELECT min(ts) AS first FROM candles WHERE exchange = ? AND symbol = ? AND timeframe = ?')
      .get(exchange, symbol, timeframe) as { first: number | null };
    return row.first ?? undefined;
  }

  /** Every stored series with its range, size and gap count. */
  series(): SeriesInfo[] {
    const rows = this.db
      .prepare(
        `SELECT exchange, symbol, timeframe, min(ts) AS first, max(ts) AS last, count(*) AS count
         FROM candles GROUP BY exchange, symbol, timeframe ORDER BY exchange, symbol, timeframe`,
      )
      .all() as Omit<SeriesInfo, 'gaps' | 'missing'>[];
    return rows.map((r) => {
      const gaps = this.gaps(r.exchange, r.symbol, r.timeframe);
      const info: SeriesInfo = { ...r, gaps: gaps.length, missing: gaps.reduce((s, g) => s + g.missing, 0) };
      const label = this.label(r.exchange, r.symbol, r.timeframe);
      if (label !== undefined) info.label = label;
      return info;
    });
  }

  /** The label of a derived series (see `replaceDerived`), or undefined for one fetched or imported. */
  label(exchange: string, symbol: string, timeframe: string): string | undefined {
    const row = this.db
      .prepare('SELECT label FROM series_labels WHERE exchange = ? AND symbol = ? AND timeframe = ?')
      .get(exchange, symbol, timeframe) as { label: string } | undefined;
    return row?.label;
  }

  /**
   * Stores a series the bot derived, replacing whatever that series held, with its label, in one transaction.
   * Returns the number of candles stored.
   */
  replaceDerived(series: Candles, label: string): number {
    const { exchange, symbol, timeframe } = series;
    const rows = candleRows(series);
    const run = this.db.transaction(() => {
      this.remove(exchange, symbol, timeframe);
      this.upsert(exchange, symbol, timeframe, rows);
      this.db
        .prepare(
          `INSERT INTO series_labels (exchange, symbol, timeframe, label) VALUES (?, ?, ?, ?)
           ON CONFLICT (exchange, symbol, timeframe) DO UPDATE SET label = excluded.label`,
        )
        .run(exchange, symbol, timeframe, label);
      return rows.length;
    });
    return run.immediate();
  }

  /**
   * Missing candle ranges of one series (an exchange that skips empty intervals leaves these, and a market that closes
   * does; they are facts, not errors), by gapAfter's rule (gap-range.ts).
   */
  gaps(exchange: string, symbol: string, timeframe: string, from = -Infinity, to = Infinity): GapRange[] {
    const step = timeframeMs(timeframe);
    const slack = stepSlack(step);
    const rows = this.db
      .prepare(
        `SELECT prev, ts FROM (
           SELECT ts, LAG(ts) OVER (ORDER BY ts) AS prev FROM candles
           WHERE exchange = ? AND symbol = ? AND timeframe = ? AND ts >= ? AND ts < ?
         ) WHERE prev IS NOT NULL AND ts - prev > ? ORDER BY ts`,
      )
      .all(exchange, symbol, timeframe, finiteOr(from, -8.64e15), finiteOr(to, 8.64e15), step + slack) as {
      prev: number;
      ts: number;
    }[];
    // the query keeps only the steps gapAfter calls gaps (longer than step + slack)
    return rows.map((r) => gapAfter(r.prev, r.ts, step) as GapRange);
  }

  /**
   * Time ranges already downloaded from the exchange for a series (merged). A range counts even where the exchange
   * had no candles, so a later download neither refetches known holes nor misses what an interruption left out.
   */
  coverage(exchange: string, symbol: string, timeframe: string): TimeRange[] {
    return this.db
      .prepare(
        `SELECT from_ts AS "from", to_ts AS "to" FROM candle_coverage WHERE
          exchange = ? AND symbol = ? AND timeframe = ? ORDER BY from_ts`,
      )
      .all(exchange, symbol, timeframe) as TimeRange[];
  }

  /**
   * Stores downloaded rows and marks [from, to) as downloaded, in one transaction. Returns the candles new to the store
   * and the stored ones replaced by other values (as an import counts them).
   */
  storeDownload(
    exchange: string,
    symbol: string,
    timeframe: string,
    rows: readonly CandleRow[],
    range: TimeRange,
  ): UpsertCounts {
    const run = this.db.transaction(() => {
      const counts = this.countedIn(exchange, symbol, timeframe, rows);
      this.setCoverage(
        exchange,
        symbol,
        timeframe,
        mergeRanges([...this.coverage(exchange, symbol, timeframe), range]),
      );
      return counts;
    });
    return run.immediate();
  }

  /** Replaces a series' download record with `ranges` (merged), inside the caller's transaction. */
  private setCoverage(exchange: string, symbol: string, timeframe: string, ranges: readonly TimeRange[]): void {
    this.db
      .prepare('DELETE FROM candle_coverage WHERE exchange = ? AND symbol = ? AND timeframe = ?')
      .run(exchange, symbol, timeframe);
    const insert = this.db.prepare(
      'INSERT INTO candle_coverage (exchange, symbol, timeframe, from_ts, to_ts) VALUES (?, ?, ?, ?, ?)',
    );
    for (const r of ranges) insert.run(exchange, symbol, timeframe, r.from, r.to);
  }

  /**
   * An import's write, in one transaction: `upsert`, telling new candles from stored ones replaced by other values (an
   * import over downloaded candles, a file in another time zone or another exchange's prices, replaced them without a
   * word), and clearing the download record over the downloaded candles it replaced: the record kept the next
   * `bot data download` from fetching them again, so no command could restore the exchange's. `restorable` is the
   * span cleared, [first such candle, last such candle + one timeframe), absent when it replaced no downloaded one.
   */
  storeImport(
    exchange: string,
    symbol: string,
    timeframe: string,
    rows: readonly CandleRow[],
  ): UpsertCounts & { restorable?: TimeRange } {
    const run = this.db.transaction(() => {
      const covered = this.coverage(exchange, symbol, timeframe);
      const old =
        rows.length > 0 ? this.load(exchange, symbol, timeframe, rows[0].ts, rows[rows.length - 1].ts + 1) : undefined;
      const stored = new Map(old ? candleRows(old).map((r) => [r.ts, r]) : []);
      const downloaded = rows.filter((r) => {
        const was = stored.get(r.ts);
        return was !== undefined && !sameValues(was, r) && covered.some((c) => c.from <= r.ts && r.ts < c.to);
      });
      const counts = this.countedIn(exchange, symbol, timeframe, rows);
      if (downloaded.length === 0) return counts;
      const cut = { from: downloaded[0].ts, to: downloaded[downloaded.length - 1].ts + timeframeMs(timeframe) };
      this.setCoverage(
        exchange,
        symbol,
        timeframe,
        covered.flatMap((c) => subtractRanges(c, [cut])),
      );
      return { ...counts, restorable: cut };
    });
    return run.immediate();
  }

  /** Deletes one series (and its download record); returns the number of candles removed. */
  remove(exchange: string, symbol: string, timeframe: string): number {
    const run = this.db.transaction(() => {
      this.db
        .prepare('DELETE FROM candle_coverage WHERE exchange = ? AND symbol = ? AND timeframe = ?')
        .run(exchange, symbol, timeframe);
      this.db
        .prepare('DELETE FROM series_labels WHERE exchange = ? AND symbol = ? AND timeframe = ?')
        .run(exchange, symbol, timeframe);
      return this.db
        .prepare('DELETE FROM candles WHERE exchange = ? AND symbol = ? AND timeframe = ?')
        .run(exchange, symbol, timeframe).changes;
    });
    return run.immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * `close`, and when `open` created the file and nothing was stored in it since (a run that failed, or fell back to
   * the sample, before its first candle), remove it with its WAL files and the folders `open` made, so a mistyped or
   * new `--db` leaves nothing behind. A file that existed before is never removed.
   */
  closeDiscardingIfNew(): void {
    if (!this.db.open) return;
    const unused =
      this.made.file &&
      (
        this.db
          .prepare('SELECT EXISTS (SELECT 1 FROM candles) OR EXISTS (SELECT 1 FROM candle_coverage) AS used')
          .get() as {
          used: number;
        }
      ).used === 0;
    this.close();
    if (!unused) return;
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(this.file + suffix, { force: true });
    if (this.made.folder === undefined) return;
    // innermost first, each only while empty: rmdirSync refuses a folder anything else put a file in
    for (let dir = path.dirname(this.file); ; dir = path.dirname(dir)) {
      try {
        rmdirSync(dir);
      } catch {
        return;
      }
      if (dir === this.made.folder) return;
    }
  }
}

function finiteOr(v: number, fallback: number): number {
  return Number.isFinite(v) ? v : fallback;
}
