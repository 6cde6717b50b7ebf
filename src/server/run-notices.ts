/**
 * Notifications for one trader process (issue 15): a watcher on its own run's rows (fills, halts) and on promotions
 * of the model home it trades, read on a separate read-only connection after each tick and on a timer (promotions
 * come from a retrain in another process). Only the trader of a run sends its notices, so running `bot serve` beside
 * it never sends them twice.
 */
import Database from 'better-sqlite3';
import type { Logger } from '../core/log.ts';
import { canonicalHome } from '../agents/model-pointer.ts';
import type { NotifySection } from './config.ts';
import { DbWatcher } from './events.ts';
import { noticeFor, Notifier } from './notify.ts';

export interface RunNotices {
  /** Reads what changed and sends the notices (call after a tick; also runs on a timer). */
  poll(): void;
  /** A tick failed: tell whoever listens (the loop carries on). */
  tickFailed(message: string): void;
  /** Last look, waits for deliveries in flight (bounded), closes the connection. */
  close(): Promise<void>;
}

interface RunRef {
  id: number;
  mode: string;
  name: string;
  exchange: string;
  symbol: string;
  timeframe: string;
  /** `model:<home>` for saved-model runs (their promotions are announced), else a rule label. */
  policy: string;
}

interface RunNoticeOptions {
  dbFile: string;
  run: RunRef;
  /** The run was created by the tick just done: its rows so far (the first catch-up's fills) are news too. */
  runIsNew?: boolean;
  config: NotifySection;
  logger: Logger;
  pollMs?: number;
  notifier?: Notifier;
}

export function startRunNotices(o: RunNoticeOptions): RunNotices | undefined {
  const notifier = o.notifier ?? new Notifier({ config: o.config, logger: o.logger });
  if (!notifier.enabled) return undefined;
  const db = new Database(o.dbFile, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const watcher = new DbWatcher(db, o.run.id, o.runIsNew === true);
  const label = `${o.run.mode} ${o.run.name} ${o.run.exchange} ${o.run.symbol} ${o.run.timeframe}`;
  // homes compared by their real paths: a retrain records the one it retrained so (also when the run names a symlink)
  const home = o.run.policy.startsWith('model:') ? canonicalHome(o.run.policy.slice('model:'.length)) : undefined;
  let closed = false;
  const poll = () => {
    if (closed) return;
    try {
      for (const e of watcher.poll()) {
        if (
          (e.type === 'promotion' || e.type === 'retrain') &&
          (home === undefined || canonicalHome(e.modelDir) !== home)
        )
          continue;
        const n = noticeFor(e, () => label);
        if (n) notifier.send(n);
      }
    } catch (e) {
      o.logger.warn(`notifications: reading the database failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const timer = setInterval(poll, o.pollMs ?? 30_000);
  timer.unref();
  return {
    poll,
    tickFailed(message) {
      notifier.send({
        type: 'tick-failed',
        text: `${label}: tick failed: ${message}`,
        data: { run: label, runId: o.run.id, error: message },
      });
    },
    async close() {
      poll();
      closed = true;
      clearInterval(timer);
      await notifier.flush();
      db.close();
    },
  };
}
