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
 */
import path from 'node:path';
import type { CandleStore } from '../data/store.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';
import { canonicalHome } from '../agents/model-pointer.ts';

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
 * judged on candles of the holdout (when it is not the first), and a winner after earlier losers is not promoted
 * without `retryHoldout`; such a refusal names `freeFrom`, the first time a retrain's holdout (of `shape`) overlaps
 * none of theirs nor this one's (which is recorded as rejected too). `trial` is this challenger's place, which the
 * retrain's row records.
 */
export function honestDecision(
  db: CandleStore['db'],
  home: string,
  span: HoldoutSpan,
  shape: HoldoutShape,
  decision: { promote: boolean; reason: string },
  o: TrialOptions,
): { promote: boolean; reason: string; trial: number; freeFrom?: number } {
  const earlier = db
    .prepare(
      `SELECT holdout_to AS "to", scheduled FROM trading_retrains WHERE model_dir IN (?, ?) AND outcome = 'rejected'
       AND holdout_from <= ? AND holdout_to >= ?`,
    )
    .all(canonicalHome(home), path.resolve(home), span.to, span.from) as { to: number; scheduled: number }[];
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
