/**
 * Which `versions/<version>` folders of a model home served or may serve, and the clean-up of those a killed retrain
 * committed but never promoted, found by their PROMOTING_MARK (src/agents/model-pointer.ts) whatever database the
 * next retrain uses: its row may be in another `--db`, or gone. Only a folder that is surely dead is deleted; one that
 * cannot be checked from here is reported with the command that removes it.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../core/log.ts';
import { processAlive } from '../core/process-alive.ts';
import { isoTime } from '../data/timeframe.ts';
import type { CandleStore } from '../data/store.ts';
import {
  canonicalHome,
  clearPromoting,
  currentVersion,
  pointerWrittenAt,
  PROMOTING_MARK,
  readPromoting,
  versionDir,
} from '../agents/model-pointer.ts';

type Db = CandleStore['db'];

/**
 * How old a promotion mark must be before one that cannot be checked here (another host's, an unreadable one, or a
 * pid that runs again, perhaps reused) is reported: a promotion's commit and switch are a few fsyncs apart.
 */
export const PROMOTION_STALE_MS = 60 * 60 * 1000;

/** The version CURRENT names, or undefined when the home holds none or its pointer cannot be read. */
export function servingVersion(home: string): string | undefined {
  try {
    return existsSync(home) ? currentVersion(home) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the version folder `dir` of `home` may have been switched in, so may have served: its promotion mark is gone
 * (promoteVersion clears it right after the switch; a version saved before marks existed has none), or CURRENT was
 * written since the mark (a retrain killed right after its switch leaves the mark, and CURRENT may have been rolled
 * back by hand since). Such a version is never removed as unpromoted: the next retrain deleted a killed retrain's
 * promoted version once CURRENT had moved on (audit, session 38). Both times are files' (one clock).
 */
export function mayHaveSwitched(home: string, dir: string): boolean {
  let marked: number;
  try {
    marked = statSync(path.join(dir, PROMOTING_MARK)).mtimeMs;
  } catch {
    return true;
  }
  const written = pointerWrittenAt(home);
  return written !== undefined && written >= marked;
}

/**
 * Whether `version` ever served: a run or a decision of `db` names it, or a retrain of the home judged it as the
 * champion or promoted it. Such a folder is kept though CURRENT no longer names it (a later promotion replaced it).
 */
export function everServed(db: Db, home: string, version: string): boolean {
  const row = db
    .prepare(
      `SELECT 1 FROM trading_runs WHERE model_version = @version
       UNION ALL SELECT 1 FROM trading_decisions WHERE model_version = @version
       UNION ALL SELECT 1 FROM trading_retrains WHERE model_dir IN (@home, @given)
         AND (champion_version = @version OR (challenger_version = @version AND outcome = 'promoted'))
       LIMIT 1`,
    )
    .get({ version, home: canonicalHome(home), given: path.resolve(home) });
  return row !== undefined;
}

/** A path as one shell word. */
export const shellWord = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;

/**
 * Looks at every `versions/<version>` of `home` that carries a promotion mark. CURRENT names it, or `db` records it
 * as serving: its promotion happened (the writer died before clearing the mark), the mark goes. Else a mark written
 * on this host by a process that is gone is a challenger committed and never promoted: the folder is removed with one
 * warning. A mark this host cannot check (another host's, unreadable, or its pid runs, perhaps reused) older than
 * PROMOTION_STALE_MS is reported in one line naming the `rm -r` that removes it; a younger one may be a promotion in
 * progress and is left alone. A folder without a mark (promoted, or saved before marks existed) is never touched.
 * Called under the home's retrain lock, so no retrain of this host promotes meanwhile.
 */
export function sweepUnpromoted(home: string, db: Db, logger: Logger, now: () => number = Date.now): void {
  const root = path.join(home, 'versions');
  if (!existsSync(root)) return;
  for (const version of readdirSync(root).sort()) {
    if (version.startsWith('.')) continue;
    const dir = versionDir(home, version);
    const mark = readPromoting(dir);
    if (mark === undefined) continue;
    try {
      if (servingVersion(home) === version || everServed(db, home, version)) {
        clearPromoting(dir);
        continue;
      }
      if (mayHaveSwitched(home, dir)) {
        clearPromoting(dir);
        logger.warn(
          `retrain: kept versions/${version}: CURRENT was written after it was marked for promotion, so it may ` +
            'have served (its retrain was killed right after switching to it?)',
        );
        continue;
      }
      if ('pid' in mark && mark.host === os.hostname() && mark.pid !== process.pid && !processAlive(mark.pid)) {
        rmSync(dir, { recursive: true, force: true });
        logger.warn(
          `retrain: removed versions/${version}, a challenger whose retrain (pid ${mark.pid}) was killed before ` +
            'promoting it: CURRENT never named it',
        );
        continue;
      }
      const at = 'pid' in mark ? mark.at : mark.unreadable;
      if (now() - at < PROMOTION_STALE_MS) continue;
      const by = 'pid' in mark ? `pid ${mark.pid} on ${mark.host}` : 'a writer its unreadable mark does not name';
      logger.warn(
        `retrain: versions/${version} was being promoted since ${isoTime(at)} (${by}) and CURRENT never named it; ` +
          `no run of this database served it: if none of another does, remove it with rm -r ${shellWord(dir)}`,
      );
    } catch (e) {
      logger.warn(`retrain: could not check versions/${version}'s promotion mark (${(e as Error).message})`);
    }
  }
}
