/**
 * Closing the `trading_retrains` rows of retrains that were killed: apart from the retrain itself (retrain.ts), whose
 * model code loads TensorFlow.js, because a paper or live trader calls it whenever its retrain child dies.
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../core/log.ts';
import { canonicalHome, clearPromoting, versionWriter } from '../agents/model-pointer.ts';
import type { CandleStore } from '../data/store.ts';
import { everServed, mayHaveSwitched, servingVersion } from './unpromoted-versions.ts';

type Db = CandleStore['db'];

/**
 * Removes `versions/<version>`, the challenger a killed retrain committed but did not promote (killed between the two
 * steps of settleChallenger): the dashboard lists every `versions/` folder as a version of the home, and only a
 * promoted challenger is to become one. Never CURRENT's version, nor one that ever served (everServed).
 */
function removeUnpromoted(home: string, db: Db, version: string, logger: Logger): void {
  const dir = path.join(home, 'versions', version);
  if (!existsSync(dir) || servingVersion(home) === version) return;
  if (everServed(db, home, version)) {
    logger.warn(`retrain: kept versions/${version} of a killed retrain: a run or retrain records it as serving`);
    return;
  }
  try {
    rmSync(dir, { recursive: true, force: true });
    logger.warn(`retrain: removed versions/${version}, the unpromoted challenger of a killed retrain`);
  } catch (e) {
    logger.warn(`retrain: could not remove versions/${version} of a killed retrain (${(e as Error).message})`);
  }
}

/**
 * Closes the `trading_retrains` rows of `home` that a retrain left `running` when its writer (the pid its challenger's
 * version name ends in) is one `ended` names. removeStaleStaging (retrain.ts) closes those of any dead writer; the
 * trader those of its own retrain child that died (src/trading/retrain-child.ts), which would otherwise read as
 * running until the home's next retrain. A writer killed right after switching CURRENT to its challenger did promote
 * it (the model serves): its row is closed as `promoted`, keeping the scores and verdict it recorded before the switch
 * (a `promotion` event follows from it). Any other is closed as `failed`, and a `versions/<version>` folder it
 * committed without promoting is removed (removeUnpromoted).
 */
export function closeKilledRetrains(
  home: string,
  db: Db,
  clock: () => number,
  logger: Logger,
  ended: (writerPid: number) => boolean,
): void {
  const rows = db
    .prepare(
      `SELECT id, challenger_version AS version, reason FROM trading_retrains
       WHERE outcome = 'running' AND model_dir IN (?, ?) ORDER BY id`,
    )
    .all(canonicalHome(home), path.resolve(home)) as { id: number; version: string | null; reason: string | null }[];
  const close = db.prepare(
    `UPDATE trading_retrains SET finished_at = ?, outcome = ?, reason = ?, killed = 1
     WHERE id = ? AND outcome = 'running'`,
  );
  for (const { id, version, reason: verdict } of rows) {
    const pid = version === null ? undefined : versionWriter(version);
    if (version === null || pid === undefined || !ended(pid)) continue;
    const dir = path.join(home, 'versions', version);
    const serving = servingVersion(home);
    // decided on CURRENT alone, a promoted version was recorded as never promoted and deleted once CURRENT moved on
    // (a rollback by hand): one whose mark is gone, or CURRENT written since its mark, was switched to (audit, s. 38)
    if (serving === version || (existsSync(dir) && mayHaveSwitched(home, dir))) {
      const after =
        serving === version
          ? `its process (pid ${pid}) ended right after promoting it (CURRENT names it)`
          : `its process (pid ${pid}) ended after switching CURRENT to it (CURRENT names ${serving ?? 'none'} now)`;
      if (serving !== version) clearPromoting(dir);
      const reason = `${verdict ?? 'promoted'}; ${after}`;
      close.run(clock(), 'promoted', reason, id);
      logger.warn(`retrain: closed the trading_retrains row ${id} of a killed retrain (${version}) as promoted`);
      continue;
    }
    removeUnpromoted(home, db, version, logger);
    const reason = verdict
      ? `killed: its process (pid ${pid}) ended before its verdict (${verdict}) was carried out; nothing was promoted`
      : `killed: its process (pid ${pid}) ended before the verdict; nothing was promoted`;
    close.run(clock(), 'failed', reason, id);
    logger.warn(`retrain: closed the trading_retrains row ${id} of a killed retrain (${version}) as failed`);
  }
}
