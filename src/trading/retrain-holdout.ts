/**
 * Where a retrain's holdout starts, so that the champion too is judged out of its own sample (single-market and
 * portfolio retrains alike). The challenger trains on the window before the holdout; a champion saved by `bot
 * backtest` may have trained on candles the newest `holdoutCandles` reach, and a verdict there compared an
 * out-of-sample challenger with a partly in-sample champion. Such a holdout starts after the champion's sample (its
 * meta.json training window, any validation window it was selected on and the holdout it was promoted on) when at
 * least MIN_HOLDOUT_SHARE of `trading.retrain.holdoutCandles` remain there; else the retrain gives no verdict
 * (outcome `skipped`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../core/log.ts';
import { afterWindowEnd, isoTime, timeframeMs } from '../data/timeframe.ts';
import { sampleOf } from '../agents/version-sample.ts';

/** The share of `holdoutCandles` a holdout shortened past the champion's sample keeps at least (and 10 candles). */
const MIN_HOLDOUT_SHARE = 0.5;

/** Where the champion's own sample ends, as its meta.json records it (sampleOf, src/agents/version-sample.ts). */
interface ChampionSample {
  /** The training window's end as recorded (a day for a portfolio model saved by bot backtest); null: none recorded. */
  trainedTo: string | null;
  /** The last window end it saw, when later than its training: a validation window or the holdout it won on. */
  seenTo?: string;
  /** The first candle open time out of its sample (NaN when no training window is recorded). */
  outFrom: number;
}

/**
 * The champion model folder's sample, from its meta.json (unreadable: none recorded; its scoring then fails): the
 * training window, the validation windows it was selected on and the holdout a retrain promoted it on, one definition
 * with the paper run's (sampleOf): judged again on the holdout it was promoted on, it was flattered by candles it
 * won on.
 */
function championSample(dir: string): ChampionSample {
  let meta: Parameters<typeof sampleOf>[0];
  try {
    meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as typeof meta;
  } catch {
    return { trainedTo: null, outFrom: NaN };
  }
  const trainedTo = meta.trainingWindow?.to;
  const sample = sampleOf(meta);
  if (typeof trainedTo !== 'string' || Number.isNaN(afterWindowEnd(trainedTo)) || !sample)
    return { trainedTo: null, outFrom: NaN };
  const seenTo = sample.seenTo !== trainedTo ? { seenTo: sample.seenTo } : {};
  return { trainedTo, ...seenTo, outFrom: sample.outFrom };
}

/** How the verdict line names the champion's training end (and the later window it saw: selection or holdout). */
function trainedToText(s: ChampionSample): string {
  if (s.trainedTo === null) return 'not recorded';
  return s.seenTo ? `${s.trainedTo} (selected or promoted on candles to ${s.seenTo})` : s.trainedTo;
}

/** The fewest candles a holdout shortened past the champion's sample may keep. */
function minHoldoutCandles(holdoutCandles: number): number {
  return Math.min(holdoutCandles, Math.max(10, Math.ceil(holdoutCandles * MIN_HOLDOUT_SHARE)));
}

/** A retrain's holdout: the index it starts at, or why there is no verdict; and the champion's training end. */
type Holdout = ({ from: number } | { refused: string }) & { championTrainedTo?: string };

/**
 * The index in `ts` (open times, oldest first, the newest closed last) where the holdout starts: the newest
 * `holdoutCandles`, or fewer, starting at the first candle out of the sample of the champion in `championDir` when
 * the newest ones reach into it; `refused` (the one line of a retrain with no verdict) when fewer than
 * minHoldoutCandles remain there. A champion whose training window is not recorded is judged on the whole holdout,
 * with a warning saying it cannot be checked. No champion (a home's first model): the newest `holdoutCandles`.
 */
export function fairHoldout(
  ts: ArrayLike<number>,
  holdoutCandles: number,
  championDir: string | undefined,
  timeframe: string,
  logger: Logger,
): Holdout {
  const said = (h: { from: number } | { refused: string }): Holdout =>
    champion ? { ...h, championTrainedTo: trainedToText(champion) } : h;
  const n = ts.length;
  const from = n - holdoutCandles;
  const champion = championDir === undefined ? undefined : championSample(championDir);
  if (!champion) return { from };
  if (champion.trainedTo === null) {
    logger.warn(
      "retrain: the champion's meta.json records no training window: whether the holdout is out of its sample " +
        'cannot be checked',
    );
    return said({ from });
  }
  let first = from;
  while (first < n && ts[first] < champion.outFrom) first++;
  if (first === from) return said({ from });
  const left = n - first;
  const min = minHoldoutCandles(holdoutCandles);
  const span = `${isoTime(ts[from])} … ${isoTime(ts[n - 1])}`;
  const trained = `the champion trained to ${trainedToText(champion)}`;
  if (left >= min) {
    logger.info(
      `retrain: the holdout ${span} reaches into the champion's sample (${trained}): ` +
        `shortened to its ${left} candles from ${isoTime(ts[first])}`,
    );
    return said({ from: first });
  }
  // the first time enough candles after the sample are closed: the next retrain at or after it gives a verdict
  const stepMs = timeframeMs(timeframe);
  const firstOut = first < n ? ts[first] : Math.ceil(champion.outFrom / stepMs) * stepMs;
  return said({
    refused:
      `no verdict: the holdout ${span} reaches into the champion's sample (${trained}), and ${left} candle(s) ` +
      `after it are fewer than the ${min} a shortened holdout keeps (half of trading.retrain.holdoutCandles, at ` +
      `least 10): the champion would be judged in sample; a retrain from ${isoTime(firstOut + min * stepMs)} on ` +
      'can judge it',
  });
}
