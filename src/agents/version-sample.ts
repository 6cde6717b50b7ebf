/**
 * The candles a saved model version has seen, as its meta.json records them: its training window, the validation
 * windows it was selected on and the holdout a retrain promoted it on (`holdoutWindow`). A paper or live run never
 * lets a version decide a candle up to the last of them (src/trading/model-policy-source.ts): results there are
 * in sample.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { syncDir, writeFileSynced } from '../core/durable-files.ts';
import { afterWindowEnd, isoTime } from '../data/timeframe.ts';

interface VersionSample {
  /** The last window end it saw, as recorded ('2024-08-09T23:00:00Z'; a day for older portfolio models). */
  seenTo: string;
  /** The first candle open time out of its sample. */
  outFrom: number;
}

/** What of a meta.json tells its sample. */
export interface SampleMeta {
  trainingWindow?: { to?: unknown };
  validationWindows?: unknown;
  holdoutWindow?: { to?: unknown };
}

/** The version in `dir`'s sample end; undefined when its meta.json records no window (or cannot be read). */
export function versionSample(dir: string): VersionSample | undefined {
  try {
    return sampleOf(JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as SampleMeta);
  } catch {
    return undefined;
  }
}

/** The sample end a loaded meta.json records; undefined when it records no window. */
export function sampleOf(meta: SampleMeta): VersionSample | undefined {
  const windows = Array.isArray(meta.validationWindows) ? (meta.validationWindows as { to?: unknown }[]) : [];
  let sample: VersionSample | undefined;
  for (const to of [meta.trainingWindow?.to, ...windows.map((w) => w?.to), meta.holdoutWindow?.to]) {
    const outFrom = afterWindowEnd(to);
    if (!Number.isNaN(outFrom) && (!sample || outFrom > sample.outFrom)) sample = { seenTo: to as string, outFrom };
  }
  return sample;
}

/**
 * Records in the (staged) version in `dir` the holdout a retrain promotes it on: its results there chose it, so
 * those candles are in its sample too; and `promotedAt`, the wall-clock time (ms) of its promotion, which a run's
 * version serving before it keeps deciding up to (src/trading/version-takeover.ts).
 */
export function recordHoldout(dir: string, holdout: { from: string; to: string }, promotedAt?: number): void {
  const file = path.join(dir, 'meta.json');
  const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const promoted = promotedAt === undefined ? {} : { promotedAt: new Date(promotedAt).toISOString() };
  writeFileSynced(file, JSON.stringify({ ...meta, holdoutWindow: holdout, ...promoted }, null, 2));
  syncDir(dir);
}

/** The line a run logs when `version` of the model `home` decides candles from `from` in its own sample. */
export function inSampleLine(home: string, version: string, sample: VersionSample, from: number): string {
  return (
    `model ${home}: version ${version} decides candles from ${isoTime(from)} but saw candles to ${sample.seenTo} ` +
    '(training, selection or holdout), and no version this run served before can decide them: not out of sample'
  );
}
