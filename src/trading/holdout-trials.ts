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
 * The rejected challengers are kept with the model home too (HOLDOUT_TRIALS in HOME_LOCK_FILE, where its retrain lock
 * is): read only from the `--db` in use, a retrain of the same home through another database (the same candles
 * imported) saw no earlier loser and promoted a winner the first database's history refused. The bar counts both,
 * each rejected challenger once (by its version name): the home's file, and the database's rows from before it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CandleStore } from '../data/store.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';
import { canonicalHome } from '../agents/model-pointer.ts';

/** The file in a model home that holds its retrain lock (lock.ts) and its rejected challengers (HOLDOUT_TRIALS). */
export const HOME_LOCK_FILE = '.retrain-lock.db';

/** The rejected challengers of a home, in its HOME_LOCK_FILE: what the bar counts, whatever database a retrain used. */
const HOLDOUT_TRIALS = `CREATE TABLE IF NOT EXISTS holdout_trials (
  challenger_version TEXT PRIMARY KEY,
  holdout_from INTEGER NOT NULL,
  holdout_to INTEGER NOT NULL,
  scheduled INTEGER NOT NULL
)`;

/** A rejected challenger judged on candles of a holdout: its version, the holdout's end, whether a schedule ran it. */
interface Trial {
  version: string | null;
  to: number;
  scheduled: number;
}

/** Runs `use` on the home's HOME_LOCK_FILE with HOLDOUT_TRIALS in it, then closes it. */
function withTrials<T>(home: string, use: (db: Database.Database) => T): T {
  const db = new Database(path.join(canonicalHome(home), HOME_LOCK_FILE));
  try {
    db.pragma('busy_timeout = 5000');
    db.exec(HOLDOUT_TRIALS);
    return use(db);
  } finally {
    db.close();
  }
}

/** Records in the home a challenger rejected on `span` (retrainRecord, as its row is closed `rejected`). */
export function recordRejectedTrial(home: string, version: string, span: HoldoutSpan, scheduled: boolean): void {
  withTrials(home, (db) =>
    db
      .prepare('INSERT OR IGNORE INTO holdout_trials VALUES (?, ?, ?, ?)')
      .run(version, span.from, span.to, scheduled ? 1 : 0),
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

/**
 * The rejected challengers judged on candles of `span`: the home's (HOLDOUT_TRIALS) and those `db` recorded that the
 * home does not know (rows from before it kept them), each once.
 */
function rejectedOn(db: CandleStore['db'], home: string, span: HoldoutSpan): Trial[] {
  const overlap = 'holdout_from <= ? AND holdout_to >= ?';
  const kept = withTrials(
    home,
    (h) =>
      h
        .prepare(
          `SELECT challenger_version AS version, holdout_to AS "to", scheduled FROM holdout_trials WHERE ${overlap}`,
        )
        .all(span.to, span.from) as Trial[],
  );
  const known = new Set(kept.map((t) => t.version));
  const recorded = db
    .prepare(
      `SELECT challenger_version AS version, holdout_to AS "to", scheduled FROM trading_retrains
       WHERE model_dir IN (?, ?) AND outcome = 'rejected' AND ${overlap}`,
    )
    .all(canonicalHome(home), path.resolve(home), span.to, span.from) as Trial[];
  return [...kept, ...recorded.filter((t) => t.version === null || !known.has(t.version))];
}

/** A holdout's first and last candle open times. */
export interface HoldoutSpan {
  from: number;
  to: number;
}

/** A retrain's holdout length (`trading.retrain.holdoutCandles`) and its candles' timeframe. */
interface HoldoutShape {
  holdoutCandles: number;
  timeframe: string;
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
  return lastJudged + (shape.holdoutCandles + 1) * timeframeMs(shape.timeframe);
}

/**
 * The verdict on `span` of `home`, told honestly: `decision`'s reason names this challenger's place among those
 * judged on candles of the holdout (when it is not the first, whatever database recorded the others), and a winner
 * after earlier losers is not promoted without `retryHoldout`; such a refusal names `freeFrom`, the first time a
 * retrain's holdout (of `shape`) overlaps none of theirs nor this one's (which is recorded as rejected too). `trial`
 * is this challenger's place, which the retrain's row records.
 */
export function honestDecision(
  db: CandleStore['db'],
  home: string,
  span: HoldoutSpan,
  shape: HoldoutShape,
  decision: { promote: boolean; reason: string },
  o: TrialOptions,
): { promote: boolean; reason: string; trial: number; freeFrom?: number } {
  const earlier = rejectedOn(db, home, span);
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
