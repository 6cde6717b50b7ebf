/**
 * Sweep tables in the bot's SQLite file (owner 'sweep' in `schema_versions`, its own ordered migrations; see
 * src/data/migrations.ts): the sweeps, which jobs each holds, exactly one result per job (the job id is the primary
 * key and results are inserted only if absent, so a job finished twice — a stalled job a slow worker also
 * completed — keeps its first result), and the jobs that failed every try, with their error. Each result records
 * the code fingerprint of the process that made it (empty for results stored before version 2). Each sweep job counts
 * the tries it took beyond its first over every run of its sweep (version 6), so a resumed sweep reports its earlier
 * runs' retries too.
 */
import type Database from 'better-sqlite3';
import { migrate, type Schema } from '../data/migrations.ts';
import { CandleStore } from '../data/store.ts';
import type { Params } from './grid.ts';
import { marketId, trialKey, windowKey, type JobResult, type JobSpec, type ValidationSpan } from './jobs.ts';

/** Append new steps; never edit a released one. */
export const SWEEP_SCHEMA: Schema = {
  owner: 'sweep',
  slot: 'schema_versions',
  migrations: [
    {
      version: 1,
      name: 'sweeps, sweep jobs, results, failures',
      up: (db) =>
        db.exec(`
CREATE TABLE IF NOT EXISTS sweep_runs (
  id          TEXT    PRIMARY KEY,
  name        TEXT    NOT NULL,
  strategy    TEXT    NOT NULL,
  request     TEXT    NOT NULL,
  jobs        INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sweep_jobs (
  sweep_id    TEXT    NOT NULL,
  job_id      TEXT    NOT NULL,
  config_key  TEXT    NOT NULL,
  params      TEXT    NOT NULL,
  seed        INTEGER NOT NULL,
  market      TEXT    NOT NULL,
  fold        INTEGER NOT NULL,
  PRIMARY KEY (sweep_id, job_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sweep_results (
  job_id      TEXT    PRIMARY KEY,
  config_key  TEXT    NOT NULL,
  result      TEXT    NOT NULL,
  worker      TEXT    NOT NULL,
  finished_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sweep_failures (
  job_id      TEXT    PRIMARY KEY,
  error       TEXT    NOT NULL,
  attempts    INTEGER NOT NULL,
  failed_at   INTEGER NOT NULL
);`),
    },
    {
      version: 2,
      name: 'the code fingerprint of each result',
      up: (db) => db.exec(`ALTER TABLE sweep_results ADD COLUMN code TEXT NOT NULL DEFAULT ''`),
    },
    {
      version: 3,
      name: 'the window and trial keys of each sweep job',
      // empty for jobs recorded before; a re-run of their sweep fills them in (saveSweep)
      up: (db) =>
        db.exec(`ALTER TABLE sweep_jobs ADD COLUMN window_key TEXT NOT NULL DEFAULT '';
ALTER TABLE sweep_jobs ADD COLUMN trial_key TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS sweep_jobs_window ON sweep_jobs (window_key);`),
    },
    {
      version: 4,
      name: 'the market identity, validation span and its candles hash of each sweep job',
      // empty and NULL for jobs recorded before (matched by their window key only); a re-run of their sweep fills them
      up: (db) =>
        db.exec(`ALTER TABLE sweep_jobs ADD COLUMN market_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sweep_jobs ADD COLUMN validation_from INTEGER;
ALTER TABLE sweep_jobs ADD COLUMN validation_to INTEGER;
ALTER TABLE sweep_jobs ADD COLUMN validation_data TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS sweep_jobs_market ON sweep_jobs (market_id, seed);`),
    },
    {
      version: 5,
      name: 'the candles each result was validated on',
      // '' for results stored before: over the fold's whole validation window, training segments inside it included
      // (a recipe's selection.windows > 1); 'epochWindows' after: over the purged split's windows only (run-job.ts)
      up: (db) => db.exec(`ALTER TABLE sweep_results ADD COLUMN validation_on TEXT NOT NULL DEFAULT ''`),
    },
    {
      version: 6,
      name: 'the tries each sweep job took beyond its first, over all runs of its sweep',
      // 0 for jobs recorded before: their earlier runs' retries were never stored
      up: (db) => db.exec(`ALTER TABLE sweep_jobs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0`),
    },
  ],
};

interface StoredJob {
  jobId: string;
  configKey: string;
  params: Params;
  seed: number;
  market: string;
  fold: number;
}

/** A job a sweep stored a result for, with what it was judged on (market and span absent from jobs stored before). */
export interface EarlierJob {
  jobId: string;
  trialKey: string;
  windowKey: string;
  seed: number;
  params: Params;
  marketId?: string;
  validationSpan?: ValidationSpan;
}

/**
 * A validation window of the plan an earlier job may count on: its span, its market's identity, the time its series
 * holds (`heldFrom` to `heldTo`) and, of the earlier spans inside that time, those whose candles the series has (their
 * hashes).
 */
export interface PlanWindow {
  from: number;
  to: number;
  marketId: string;
  heldFrom: number;
  heldTo: number;
  held: string[];
}

/** An earlier job's validation span that meets (overlaps in time) `windows`: the span and its candles' hash. */
const MEETS = `EXISTS (SELECT 1 FROM json_each(?) w
  WHERE {from} < json_extract(w.value, '$.to') AND {to} > json_extract(w.value, '$.from'){more})`;

export class SweepStore {
  private readonly candleStore: CandleStore;
  readonly db: Database.Database;

  private constructor(store: CandleStore) {
    this.candleStore = store;
    this.db = store.db;
    migrate(this.db, SWEEP_SCHEMA);
  }

  /** Opens the bot's database (the candle store's file) and brings the sweep tables up to date. */
  static open(file: string): SweepStore {
    return new SweepStore(CandleStore.open(file));
  }

  close(): void {
    this.candleStore.close();
  }

  /** Records the sweep and its jobs (idempotent: a re-run of the same sweep changes nothing but the time). */
  saveSweep(id: string, name: string, strategy: string, request: unknown, jobs: readonly JobSpec[]): void {
    const now = Date.now();
    const insertJob = this.db.prepare(
      `INSERT INTO sweep_jobs (sweep_id, job_id, config_key, params, seed, market, fold, window_key, trial_key,
         market_id, validation_from, validation_to, validation_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET window_key = excluded.window_key, trial_key = excluded.trial_key,
         market_id = excluded.market_id, validation_from = excluded.validation_from,
         validation_to = excluded.validation_to, validation_data = excluded.validation_data`,
    );
    this.db
      .transaction(() => {
        this.db
          .prepare(
            `INSERT INTO sweep_runs (id, name, strategy, request, jobs,
           created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, name = excluded.name`,
          )
          .run(id, name, strategy, JSON.stringify(request), jobs.length, now, now);
        for (const j of jobs)
          insertJob.run(
            ...[id, j.id, j.configKey, JSON.stringify(j.params), j.seed, j.market.label, j.fold.index],
            ...[windowKey(j), trialKey(j), marketId(j.market)],
            ...[j.validationSpan.from, j.validationSpan.to, j.validationSpan.dataKey],
          );
      })
      .immediate(); // the write lock up front, as every writer to a shared file takes it (src/data/store.ts)
  }

  /** Ids (of these) that already have a result. */
  finished(jobIds: readonly string[]): Set<string> {
    const stmt = this.db.prepare('SELECT 1 FROM sweep_results WHERE job_id = ?').pluck();
    return new Set(jobIds.filter((id) => stmt.get(id) !== undefined));
  }

  /** A job's stored result, if it has one. */
  result(jobId: string): JobResult | undefined {
    const text = this.db.prepare('SELECT result FROM sweep_results WHERE job_id = ?').pluck().get(jobId) as
      string | undefined;
    return text === undefined ? undefined : (JSON.parse(text) as JobResult);
  }

  /** Stores a job's result unless one is already stored; true when this call stored it. */
  saveResult(configKey: string, result: JobResult): boolean {
    return this.db
      .transaction(() => {
        const changes = this.db
          .prepare(
            `INSERT INTO sweep_results (job_id, config_key, result, worker, code, validation_on, finished_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING`,
          )
          .run(
            ...[result.jobId, configKey, JSON.stringify(result), result.worker, result.code],
            ...[result.validationOn ?? '', Date.now()],
          ).changes;
        this.db.prepare('DELETE FROM sweep_failures WHERE job_id = ?').run(result.jobId);
        return changes === 1;
      })
      .immediate();
  }

  /** Counts `tries` more tries of a sweep's job (a failed try, a worker that died, a job Redis lost, queued again). */
  addRetries(sweepId: string, jobId: string, tries: number): void {
    this.db
      .prepare('UPDATE sweep_jobs SET retries = retries + ? WHERE sweep_id = ? AND job_id = ?')
      .run(tries, sweepId, jobId);
  }

  /** Marks a job failed after its last try (replaced if it fails again in a later run). */
  saveFailure(jobId: string, error: string, attempts: number): void {
    this.db
      .prepare(
        `INSERT INTO sweep_failures (job_id, error, attempts, failed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (job_id) DO UPDATE SET error = excluded.error,
         attempts = excluded.attempts, failed_at = excluded.failed_at`,
      )
      .run(jobId, error, attempts, Date.now());
  }

  /**
   * The sweep's jobs with their stored result or failure (with the tries of its last run), and the tries each took
   * beyond its first over all runs of the sweep.
   */
  jobs(sweepId: string): (StoredJob & { result?: JobResult; error?: string; attempts?: number; retries: number })[] {
    const rows = this.db
      .prepare(
        `SELECT j.job_id AS jobId, j.config_key AS configKey, j.params, j.seed, j.market, j.fold, j.retries, r.result,
           f.error, f.attempts
         FROM sweep_jobs j LEFT JOIN sweep_results r ON r.job_id = j.job_id
         LEFT JOIN sweep_failures f ON f.job_id = j.job_id
         WHERE j.sweep_id = ? ORDER BY j.config_key, j.market, j.fold, j.seed`,
      )
      .all(sweepId) as {
      jobId: string;
      configKey: string;
      params: string;
      seed: number;
      market: string;
      fold: number;
      retries: number;
      result: string | null;
      error: string | null;
      attempts: number | null;
    }[];
    return rows.map((r) => ({
      jobId: r.jobId,
      configKey: r.configKey,
      params: JSON.parse(r.params) as Params,
      seed: r.seed,
      market: r.market,
      fold: r.fold,
      retries: r.retries,
      ...(r.result ? { result: JSON.parse(r.result) as JobResult } : {}),
      ...(r.error && !r.result ? { error: r.error, attempts: r.attempts ?? 1 } : {}),
    }));
  }

  /** The distinct validation spans of stored jobs that overlap one of `windows` in time (earlierJobs' `held`). */
  earlierSpans(windows: readonly Pick<PlanWindow, 'from' | 'to'>[]): ValidationSpan[] {
    const meets = MEETS.replace('{from}', 'validation_from').replace('{to}', 'validation_to').replace('{more}', '');
    return this.db
      .prepare(
        `SELECT DISTINCT validation_from AS "from", validation_to AS "to", validation_data AS dataKey FROM sweep_jobs
         WHERE validation_from IS NOT NULL AND validation_to IS NOT NULL AND ${meets}`,
      )
      .all(JSON.stringify(windows)) as ValidationSpan[];
  }

  /**
   * The jobs with a result any sweep stored whose trial is none of `exclude` and that were judged on one of
   * `windowKeys` (the same candles, folds and seed) or, whatever their seed, on a span that meets one of `windows` in
   * time on the same market: its candles, when the window's series holds the span (one of its `held` hashes), else its
   * identity. Which of those count, and where, is src/sweep/earlier.ts's rule; jobs no window could match are not
   * read. Each job once, whichever sweeps hold it; no results (the caller reads the few it keeps). Jobs stored before
   * sweep schema 4 match by window key only; results stored before schema 5 (validated on candles their training
   * used) never match: uncomparedEarlierJobs names them.
   */
  earlierJobs(windowKeys: readonly string[], exclude: readonly string[], windows: readonly PlanWindow[]): EarlierJob[] {
    // on the job's values over every sweep holding it (the group), as the caller judges them
    const sameMarket = `
        AND CASE WHEN g.spanFrom >= json_extract(w.value, '$.heldFrom')
            AND g.spanTo <= json_extract(w.value, '$.heldTo')
          THEN g.spanData IN (SELECT value FROM json_each(w.value, '$.held'))
          ELSE g.marketId = json_extract(w.value, '$.marketId') END`;
    const meets = MEETS.replace('{from}', 'g.spanFrom').replace('{to}', 'g.spanTo').replace('{more}', sameMarket);
    const rows = this.db
      .prepare(
        `SELECT * FROM (SELECT j.job_id AS jobId, j.trial_key AS trialKey, j.window_key AS windowKey,
           min(j.params) AS params, max(j.market_id) AS marketId, j.seed, max(j.validation_from) AS spanFrom,
           max(j.validation_to) AS spanTo, max(j.validation_data) AS spanData
         FROM sweep_jobs j JOIN sweep_results r ON r.job_id = j.job_id
         WHERE (j.window_key IN (SELECT value FROM json_each(?)) OR j.market_id <> '')
           AND j.trial_key <> '' AND j.trial_key NOT IN (SELECT value FROM json_each(?)) AND r.validation_on <> ''
         GROUP BY j.job_id) g
         WHERE g.windowKey IN (SELECT value FROM json_each(?))
           OR (g.marketId <> '' AND g.spanFrom IS NOT NULL AND g.spanTo IS NOT NULL AND ${meets})
         ORDER BY g.trialKey, g.jobId`,
      )
      .all(
        ...[JSON.stringify(windowKeys), JSON.stringify(exclude)],
        ...[JSON.stringify(windowKeys), JSON.stringify(windows)],
      ) as {
      jobId: string;
      trialKey: string;
      windowKey: string;
      params: string;
      marketId: string;
      seed: number;
      spanFrom: number | null;
      spanTo: number | null;
      spanData: string;
    }[];
    return rows.map((r) => ({
      jobId: r.jobId,
      trialKey: r.trialKey,
      windowKey: r.windowKey,
      seed: r.seed,
      params: JSON.parse(r.params) as Params,
      ...(r.marketId && r.spanFrom !== null && r.spanTo !== null
        ? { marketId: r.marketId, validationSpan: { from: r.spanFrom, to: r.spanTo, dataKey: r.spanData } }
        : {}),
    }));
  }

  /**
   * What earlier sweeps tried on this market that src/sweep/earlier.ts cannot compare, on one of `labels` (the market
   * label each job recorded) with any seed, of none of the configurations `configKeys` / trials `exclude`: jobs
   * with a result stored before sweep schema 4 (no market identity or span, also where another sweep holds the same
   * job) judged on none of `windowKeys`, and results stored before schema 5 (validated over the fold's whole
   * validation window, training segments inside it included), whatever their windows, until a newer result of the
   * same trial, market and seed (its sweep run again) replaces them. Their count and the sweeps holding them, by name.
   */
  uncomparedEarlierJobs(
    labels: readonly string[],
    windowKeys: readonly string[],
    configKeys: readonly string[],
    exclude: readonly string[],
  ): { jobs: number; sweeps: string[] } {
    const rows = this.db
      .prepare(
        `SELECT j.job_id AS jobId, group_concat(DISTINCT s.name) AS names
         FROM sweep_jobs j JOIN sweep_results r ON r.job_id = j.job_id JOIN sweep_runs s ON s.id = j.sweep_id
         WHERE j.market IN (SELECT value FROM json_each(?))
         GROUP BY j.job_id
         HAVING ((max(r.validation_on) = '' AND NOT EXISTS (
               SELECT 1 FROM sweep_jobs k JOIN sweep_results q ON q.job_id = k.job_id
               WHERE k.trial_key = j.trial_key AND k.market = j.market AND k.seed = j.seed AND q.validation_on <> ''))
             OR (max(j.market_id) = '' AND max(j.window_key IN (SELECT value FROM json_each(?))) = 0))
           AND max(j.config_key IN (SELECT value FROM json_each(?))) = 0
           AND max(j.trial_key IN (SELECT value FROM json_each(?))) = 0`,
      )
      .all(
        ...[JSON.stringify(labels), JSON.stringify(windowKeys)],
        ...[JSON.stringify(configKeys), JSON.stringify(exclude)],
      ) as { jobId: string; names: string }[];
    const sweeps = [...new Set(rows.flatMap((r) => r.names.split(',')))].sort();
    return { jobs: rows.length, sweeps };
  }

  /** How many results are stored for a job id (the exactly-once check; always 0 or 1). */
  resultCount(jobId: string): number {
    return this.db.prepare('SELECT count(*) FROM sweep_results WHERE job_id = ?').pluck().get(jobId) as number;
  }
}
