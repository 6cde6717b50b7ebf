/**
 * Where a promoted version takes over from the version a run served before it, for one-market and portfolio model
 * sources alike: the first candle that closes after both its data's end (what it saw, src/agents/version-sample.ts)
 * and its promotion. A clocked run decided the candles that closed before the promotion with the version serving
 * then (a retrain on a `--now` in the past, or one that took longer than a candle), so a run catching up after
 * downtime decides them with that one too, and the two decide alike.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { currentVersion, pointerWrittenAt } from '../agents/model-pointer.ts';
import { sampleOf, type SampleMeta } from '../agents/version-sample.ts';

/** What of a meta.json tells when a version may take over: its sample and the time a retrain promoted it. */
type TakeoverMeta = SampleMeta & { promotedAt?: unknown };

/**
 * The time `version` of `home` was promoted: the one its meta.json records (a retrain's promotion, wall clock), else
 * when CURRENT was written while it names the version (a switch by hand); undefined for neither.
 */
function promotionTime(home: string, version: string, meta: TakeoverMeta): number | undefined {
  const recorded = typeof meta.promotedAt === 'string' ? Date.parse(meta.promotedAt) : NaN;
  if (!Number.isNaN(recorded)) return recorded;
  return currentVersion(home) === version ? pointerWrittenAt(home) : undefined;
}

/**
 * The first candle open time (a bound: candles opening from it on) that `version` of `home` (its meta.json `meta`)
 * decides while a version the run served before it can: after its data's end, and its candle (`timeframeMs` long)
 * closing after its promotion. A promotion after the run's clock `now` (a `--now` replay of a time before the
 * version was promoted) is not waited for: the replay takes the home as it finds it, the version from its data's
 * end, as `bot backtest --model` would. Undefined when it records neither.
 */
export function takeoverFrom(
  home: string,
  version: string,
  meta: TakeoverMeta,
  timeframeMs: number,
  now: number,
): number | undefined {
  const dataEnd = sampleOf(meta)?.outFrom;
  const promoted = promotionTime(home, version, meta);
  // a candle opening at `open` closes at open + timeframeMs: after the promotion when open > promoted - timeframeMs
  const afterPromotion = promoted !== undefined && promoted <= now ? promoted - timeframeMs + 1 : undefined;
  if (afterPromotion === undefined) return dataEnd;
  return dataEnd === undefined ? afterPromotion : Math.max(dataEnd, afterPromotion);
}

/** takeoverFrom of the version saved in `dir`; undefined when its meta.json cannot be read. */
export function savedTakeoverFrom(
  home: string,
  version: string,
  dir: string,
  timeframeMs: number,
  now: number,
): number | undefined {
  let meta: TakeoverMeta;
  try {
    meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as TakeoverMeta;
  } catch {
    return undefined;
  }
  return takeoverFrom(home, version, meta, timeframeMs, now);
}
