/**
 * Closing the `trading_retrains` rows of retrains that were killed: apart from the retrain itself (retrain.ts), whose
 * model code loads TensorFlow.js, because a paper or live trader calls it whenever its retrain child dies.
 */
import path from 'node:path';
import type { Logger } from '../core/log.ts';
import { canonicalHome, versionWriter } from '../agents/model-pointer.ts';
import type { CandleStore } from '../data/store.ts';

/**
 * Closes the `trading_retrains` rows of `home` that a retrain left `running` when its writer (the pid its challenger's
 * version name ends in) is one `ended` names: outcome `failed`, the reason saying it was killed. removeStaleStaging
 * (retrain.ts) closes those of any dead writer; the trader those of its own retrain child that died
 * (src/trading/retrain-child.ts), which would otherwise read as running until the home's next retrain.
 */
export function closeKilledRetrains(
  home: string,
  db: CandleStore['db'],
  clock: () => number,
  logger: Logger,
  ended: (writerPid: number) => boolean,
): void {
  const rows = db
    .prepare(
      `SELECT id, challenger_version AS version FROM trading_retrains
       WHERE outcome = 'running' AND model_dir IN (?, ?) ORDER BY id`,
    )
    .all(canonicalHome(home), path.resolve(home)) as { id: number; version: string | null }[];
  const close = db.prepare(
    `UPDATE trading_retrains SET finished_at = ?, outcome = 'failed', reason = ? WHERE id = ? AND outcome = 'running'`,
  );
  for (const { id, version } of rows) {
    const pid = version === null ? undefined : versionWriter(version);
    if (pid === undefined || !ended(pid)) continue;
    const reason = `killed: its process (pid ${pid}) ended before the verdict; nothing was promoted`;
    close.run(clock(), reason, id);
    logger.warn(`retrain: closed the trading_retrains row ${id} of a killed retrain (${version}) as failed`);
  }
}
