/**
 * How many challengers a retrain's holdout has judged before, and the bar that follows (single-market and portfolio
 * retrains alike). Retrying a retrain on one holdout (`--seed 1…5`) until a challenger wins is selection across
 * trials: the best of N noisy scores beats the champion by luck more often than one does, as a sweep's best Sharpe
 * (deflated there). So a verdict names its challenger's place among those judged on candles of its holdout (from the
 * home's rejected `trading_retrains` rows), and a winner is not promoted while earlier challengers lost on those
 * candles, unless the user says so with `--retry-holdout`. A schedule's earlier firings, judged on a holdout that the
 * newest candles have since moved forward, do not bar its later ones: a schedule is fixed in advance, not retried on
 * a result; they still count in the place the verdict names. A refusal names when a retrain is free of them: the
 * first close at which the newest `holdoutCandles` start after every candle judged on this holdout.
 *
 * "Those candles" are the series a retrain judges on: its exchange, market (a portfolio's markets, in its order) and
 * timeframe, as its `trading_retrains` row names them. Comparing the holdouts' time spans alone, a retrain of a home
 * on another timeframe or market (a home with no model yet takes the flags' market; one whose model came from a file
 * or the sample, the flags' exchange and symbol) was barred by losers that never saw its candles, and counted them in
 * its place (audit, session 38).
 *
 * The rejected challengers are kept with the model home too (`holdout_trials` in HOME_LOCK_FILE, where its retrain
 * lock is): read only from the `--db` in use, a retrain of the same home through another database (the same candles
 * imported) saw no earlier loser and promoted a winner the first database's history refused. The bar counts both,
 * each rejected challenger once (by its version name): the home's file, and the database's rows from before it.
 * That table has a schema of its own (TRIALS_SCHEMA, versioned by the file's `PRAGMA user_version`, which nothing
 * else there uses: the lock table is unversioned, see LOCKS_TABLE). A file written before it (version 0, the table
 * without the series) is upgraded in place; its rows name no series: such a row counts as the series that the
 * database in use recorded for its challenger, and where that database has no row of it, on every series, as it did
 * before (which candles it was judged on is not known: counting it may bar a retrain by mistake, which waiting or
 * --retry-holdout clears; dropping it could promote the very win after retries the bar is for).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CandleStore } from '../data/store.ts';
import { migrate, type Schema } from '../data/migrations.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';
import type { ModelMarket } from '../agents/model-market.ts';
import { canonicalHome } from '../agents/model-pointer.ts';

/** The file in a model home that holds its retrain lock (lock.ts) and its rejected challengers (TRIALS_SCHEMA). */
export const HOME_LOCK_FILE = '.retrain-lock.db';

/**
 * The rejected challengers of a home, in its HOME_LOCK_FILE: what the bar counts, whatever database a retrain used.
 * Append new steps; never edit a released one. Version 1 is the table as it was made before versioning (idempotent,
 * so a file that has it is adopted as it is).
 */
const TRIALS_SCHEMA: Schema = {
  owner: 'holdout trials',
  slot: 'user_version',
  newerAdvice: 'upgrade the bot',
  migrations: [
    {
      version: 1,
      name: 'rejected challengers and their holdouts',
      up: (db) =>
        db.exec(`CREATE TABLE IF NOT EXISTS holdout_trials (
  challenger_version TEXT PRIMARY KEY,
  holdout_from INTEGER NOT NULL,
  holdout_to INTEGER NOT NULL,
  scheduled INTEGER NOT NULL
)`),
    },
    {
      version: 2,
      // null in the rows from before: see the file comment for how they count
      name: 'the series each was judged on',
      up: (db) =>
        db.exec(`ALTER TABLE holdout_trials ADD COLUMN exchange TEXT;
ALTER TABLE holdout_trials ADD COLUMN symbol TEXT;
ALTER TABLE holdout_trials ADD COLUMN timeframe TEXT;`),
    },
  ],
};

/**
 * A rejected challenger judged on candles of a holdout: its version, the holdout's end, whether a schedule ran it,
 * and the series it was judged on (null: a home's row from before TRIALS_SCHEMA's version 2).
 */
interface Trial {
  version: string | null;
  to: number;
  scheduled: number;
  exchange: string | null;
  symbol: string | null;
  timeframe: string | null;
}

/**
 * Brings TRIALS_SCHEMA up to date in a home's opened HOME_LOCK_FILE, as its retrain lock is taken (lockHome): a file
 * of a newer schema is refused in one line before the lock is held.
 */
export function upgradeTrials(db: Database.Database): void {
  migrate(db, TRIALS_SCHEMA);
}

/** Runs `use` on the home's HOME_LOCK_FILE with TRIALS_SCHEMA brought up to date in it, then closes it. */
function withTrials<T>(home: string, use: (db: Database.Database) => T): T {
  const db = new Database(path.join(canonicalHome(home), HOME_LOCK_FILE));
  try {
    db.pragma('busy_timeout = 5000');
    upgradeTrials(db);
    return use(db);
  } finally {
    db.close();
  }
}

/**
 * Records in the home a challenger rejected on `span` of `series` (retrainRecord, as its row is closed `rejected`).
 */
export function recordRejectedTrial(
  home: string,
  version: string,
  judged: { span: HoldoutSpan; series: ModelMarket },
  scheduled: boolean,
): void {
  const { span, series } = judged;
  withTrials(home, (db) =>
    db
      .prepare(
        `INSERT OR IGNORE INTO holdout_trials
          (challenger_version, holdout_from, holdout_to, scheduled, exchange, symbol, timeframe)
          VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(version, span.from, span.to, scheduled ? 1 : 0, series.exchange, series.symbol, series.timeframe),
  );
}

/** The versions of the rejected challengers the home keeps: a new challenger's name sorts after them (retrain.ts). */
export function rejectedVersions(home: string): string[] {
  if (!existsSync(path.join(canonicalHome(home), HOME_LOCK_FILE))) return [];
  return withTrials(
    home,
    (db) => db.prepare('SELECT challenger_version FROM holdout_trials').pluck().all() as string[],
  );
}

/** Whether a trial's recorded series is `series`. */
function sameSeries(t: Pick<Trial, 'exchange' | 'symbol' | 'timeframe'>, series: ModelMarket): boolean {
  return t.exchange === series.exchange && t.symbol === series.symbol && t.timeframe === series.timeframe;
}

/**
 * The rejected challengers judged on candles of `span` of `series`: the home's (TRIALS_SCHEMA) and those `db`
 * recorded that the home does not know (rows from before it kept them), each once. A home's row from before the
 * series was kept counts as the series `db` recorded for its challenger, else on every series (file comment).
 */
function rejectedOn(db: CandleStore['db'], home: string, span: HoldoutSpan, series: ModelMarket): Trial[] {
  const overlap = 'holdout_from <= ? AND holdout_to >= ?';
  const columns = 'challenger_version AS version, holdout_to AS "to", scheduled, exchange, symbol, timeframe';
  const kept = withTrials(
    home,
    (h) => h.prepare(`SELECT ${columns} FROM holdout_trials WHERE ${overlap}`).all(span.to, span.from) as Trial[],
  );
  const recorded = db
    .prepare(
      `SELECT ${columns} FROM trading_retrains
       WHERE model_dir IN (?, ?) AND outcome = 'rejected' AND ${overlap}`,
    )
    .all(canonicalHome(home), path.resolve(home), span.to, span.from) as Trial[];
  const recordedAs = new Map(recorded.map((t) => [t.version, t]));
  const onSeries = (t: Trial): boolean => {
    const as = t.timeframe === null ? recordedAs.get(t.version) : t;
    return as === undefined || sameSeries(as, series);
  };
  const known = new Set(kept.map((t) => t.version));
  const fromDb = recorded.filter((t) => t.version === null || !known.has(t.version));
  return [...kept, ...fromDb].filter(onSeries);
}

/** A holdout's first and last candle open times. */
export interface HoldoutSpan {
  from: number;
  to: number;
}

/**
 * A retrain's holdout length (`trading.retrain.holdoutCandles`) and the series it judges on (its `trading_retrains`
 * row's exchange, symbol and timeframe): only trials on the same series count.
 */
interface HoldoutShape {
  holdoutCandles: number;
  series: ModelMarket;
}

/** What a retrain asks of the bar: whether a schedule runs it, and whether the user acknowledged earlier trials. */
export interface TrialOptions {
  scheduled?: boolean;
  retryHoldout?: boolean;
}

/** `1st`, `2nd`, `3rd`, `4th`, `11th`, `21st`, … */
function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/**
 * The first clock time at which a retrain's holdout (the newest `holdoutCandles` of `timeframe`) starts after
 * `lastJudged`, the open time of the newest candle a challenger was judged on: its newest candle then opens
 * `holdoutCandles` candles after it, and closes one candle later. On a market with closed hours, later by them.
 */
function freeAfter(lastJudged: number, shape: HoldoutShape): number {
  return lastJudged + (shape.holdoutCandles + 1) * timeframeMs(shape.series.timeframe);
}

/**
 * The verdict on `span` of `home`, told honestly: `decision`'s reason names this challenger's place among those
 * judged on candles of the holdout of its series, `shape.series` (when it is not the first, whatever database
 * recorded the others), and a winner after earlier losers is not promoted without `retryHoldout`; such a refusal
 * names `freeFrom`, the first time a retrain's holdout (of `shape`) overlaps none of theirs nor this one's (which is
 * recorded as rejected too). `trial` is this challenger's place, which the retrain's row records.
 */
export function honestDecision(
  db: CandleStore['db'],
  home: string,
  span: HoldoutSpan,
  shape: HoldoutShape,
  decision: { promote: boolean; reason: string },
  o: TrialOptions,
): { promote: boolean; reason: string; trial: number; freeFrom?: number } {
  const earlier = rejectedOn(db, home, span, shape.series);
  const trial = earlier.length + 1;
  if (trial === 1) return { ...decision, trial };
  const reason = `the ${ordinal(trial)} challenger judged on this holdout: ${decision.reason}`;
  const barring = earlier.filter((e) => !(o.scheduled && e.scheduled && e.to < span.to)).length;
  if (!decision.promote || barring === 0) return { promote: decision.promote, reason, trial };
  if (o.retryHoldout) return { promote: true, reason: `${reason} (promoted with --retry-holdout)`, trial };
  const lastJudged = Math.max(span.to, ...earlier.map((e) => e.to));
  const freeFrom = freeAfter(lastJudged, shape);
  return {
    promote: false,
    reason:
      `${reason}, but ${barring} earlier challenger(s) lost on candles of it: a win after retries there may be ` +
      'luck, not skill; not promoted (--retry-holdout promotes it all the same; a retrain from ' +
      `${isoTime(freeFrom)} on needs none: its ${shape.holdoutCandles}-candle holdout then starts after ` +
      `${isoTime(lastJudged)}, the last candle judged on this one)`,
    trial,
    freeFrom,
  };
}
