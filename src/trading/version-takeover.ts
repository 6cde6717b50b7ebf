/**
 * Where a promoted version takes over from the version a run served before it, for one-market and portfolio model
 * sources alike: the first candle that closes after both its data's end (what it saw, src/agents/version-sample.ts)
 * and its promotion (or the switch by hand that made it CURRENT). A clocked run decided the candles that closed
 * before the promotion with the version serving then (a retrain on a `--now` in the past, or one that took longer
 * than a candle), so a run catching up after downtime decides them with that one too, and the two decide alike.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { currentVersion, pointerWrittenAt } from '../agents/model-pointer.ts';
import { sampleOf, type SampleMeta } from '../agents/version-sample.ts';

/** What of a meta.json tells when a version may take over: its sample and the time a retrain promoted it. */
type TakeoverMeta = SampleMeta & { promotedAt?: unknown };

/**
 * The times `version` of `home` may have become CURRENT: the one its meta.json records (a retrain's promotion, wall
 * clock), and when CURRENT was last written while it names the version (a switch by hand, or the retrain's own write
 * just after it recorded its time).
 */
function promotionTimes(home: string, version: string, meta: TakeoverMeta): number[] {
  const recorded = typeof meta.promotedAt === 'string' ? Date.parse(meta.promotedAt) : NaN;
  const written = currentVersion(home) === version ? pointerWrittenAt(home) : undefined;
  return [recorded, written ?? NaN].filter((t) => !Number.isNaN(t));
}

/**
 * The first candle open time (a bound: candles opening from it on) that `version` of `home` (its meta.json `meta`)
 * decides while a version the run served before it can: after its data's end, and its candle (`timeframeMs` long)
 * closing after it became CURRENT: the later of its recorded promotion and CURRENT's write while it names it. A
 * version switched back to by hand (an older one, CURRENT written with its name) takes over from that write, not from
 * the promotion its meta.json recorded long before: a catch-up then decided the candles closed in between with it,
 * where the clocked run had decided them with the version serving then. A time after the run's clock `now` (a `--now`
 * replay of a time before the version was promoted or switched to) is not waited for: the replay takes the home as
 * it finds it, the version from its data's end (or the promotion before its clock), as `bot backtest --model` would.
 * Undefined when it records neither.
 */
export function takeoverFrom(
  home: string,
  version: string,
  meta: TakeoverMeta,
  timeframeMs: number,
  now: number,
): number | undefined {
  const dataEnd = sampleOf(meta)?.outFrom;
  const past = promotionTimes(home, version, meta).filter((t) => t <= now);
  // a candle opening at `open` closes at open + timeframeMs: after the promotion when open > promoted - timeframeMs
  const afterPromotion = past.length > 0 ? Math.max(...past) - timeframeMs + 1 : undefined;
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
