/**
 * How many challengers a retrain's holdout has judged before, and the bar that follows (single-market and portfolio
 * retrains alike). Retrying a retrain on one holdout (`--seed 1…5`) until a challenger wins is selection across
 * trials: the best of N noisy scores beats the champion by luck more often than one does, as a sweep's best Sharpe
 * (deflated there). So a verdict names its challenger's place among those judged on candles of its holdout (from the
 * home's rejected `trading_retrains` rows), and a winner is not promoted while earlier challengers lost on those
 * candles, unless the user says so with `--retry-holdout`. A schedule's earlier firings, judged on a holdout that the
 * newest candles have since moved forward, do not bar its later ones: a schedule is fixed in advance, not retried on
 * a result; they still count in the place the verdict names.
 */
import path from 'node:path';
import type { CandleStore } from '../data/store.ts';
import { canonicalHome } from '../agents/model-pointer.ts';

/** A holdout's first and last candle open times. */
export interface HoldoutSpan {
  from: number;
  to: number;
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
 * The verdict on `span` of `home`, told honestly: `decision`'s reason names this challenger's place among those
 * judged on candles of the holdout (when it is not the first), and a winner after earlier losers is not promoted
 * without `retryHoldout`. `trial` is that place, which the retrain's row records.
 */
export function honestDecision(
  db: CandleStore['db'],
  home: string,
  span: HoldoutSpan,
  decision: { promote: boolean; reason: string },
  o: TrialOptions,
): { promote: boolean; reason: string; trial: number } {
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
  return {
    promote: false,
    reason:
      `${reason}, but ${barring} earlier challenger(s) lost on candles of it: a win after retries there may be ` +
      'luck, not skill; not promoted (--retry-holdout promotes it all the same; a retrain whose holdout starts ' +
      'after theirs needs none)',
    trial,
  };
}
