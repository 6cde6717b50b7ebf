/**
 * The history of the version a run last served, which may decide a process's first candles before the version the
 * process starts with (a catch-up after a promotion): for both model sources, read from its saved folder.
 */
import { savedVersionDir } from '../agents/model-pointer.ts';
import type { ServedRun } from './types.ts';

/**
 * The history (`read` from its folder) of the version the run last served (`run.modelVersion`, another one than
 * `serving`, the version a process starts with): at a process's first tick it decides the candles the started one saw
 * (a catch-up after a promotion), over the candles the tick loads for both. 0 when there is none, or it cannot be
 * read: the started one serves.
 */
export function runVersionHistory(
  home: string,
  run: ServedRun | undefined,
  serving: string,
  read: (dir: string) => number,
): number {
  const version = run?.modelVersion;
  const dir = version === undefined || version === serving ? undefined : savedVersionDir(home, version);
  try {
    return dir ? read(dir) : 0;
  } catch {
    return 0;
  }
}
