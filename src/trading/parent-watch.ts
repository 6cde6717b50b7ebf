/**
 * A scheduled retrain child's watch on the trader that started it: when the trader is gone (killed with SIGKILL, its
 * terminal closed, the OOM killer), the child stops itself instead of training, and perhaps promoting, on its own
 * after the bot was stopped.
 *
 * The watch runs in a worker thread because training is synchronous: the child's main thread turns its event loop
 * too seldom for a timer there to notice anything. The worker reads the child's parent pid from /proc (Linux
 * reparents an orphan at once, even while its dead parent is still a zombie) or, elsewhere, probes the parent with
 * signal 0, and sends its own process SIGTERM (SIGKILL after a grace period) once the parent has changed. A child
 * stopped this way leaves CURRENT untouched (the promotion is one atomic pointer switch). Before the signal the worker
 * closes the retrain's `trading_retrains` row as failed and removes its staging folder (watchedRetrain names them):
 * the trader that would have done so (retrain-child.ts) is dead, and until the home's next retrain `bot status` and
 * the dashboard showed the row as running. A retrain that CURRENT already names was promoted: its row is left to it.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The environment variable through which the trader passes its pid to its retrain child. */
export const RETRAIN_PARENT_ENV = 'BOT_RETRAIN_PARENT';

/**
 * The worker's code (CommonJS: an eval'd worker has `require`); workerData: { parent, everyMs, graceMs, driver
 * (better-sqlite3's resolved path) }; a message names the retrain under way (WatchedRetrain).
 */
const WATCH_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { parent, everyMs, graceMs, driver } = workerData;
let retrain;
parentPort.on('message', (m) => (retrain = m));
parentPort.unref();
function closeRetrain() {
  if (!retrain) return;
  const { db: file, home, version, rowId } = retrain;
  let current;
  try {
    current = fs.readFileSync(path.join(home, 'CURRENT'), 'utf8').trim();
  } catch {}
  if (current === version) return;
  try {
    const Database = require(driver);
    const db = new Database(file, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const reason = 'stopped: its trader (pid ' + parent + ') is gone';
    db.prepare("UPDATE trading_retrains SET finished_at = ?, outcome = 'failed', reason = ?, killed = 1 " +
      "WHERE id = ? AND outcome = 'running'").run(Date.now(), reason, rowId);
    db.close();
  } catch (e) {
    fs.writeSync(2, 'scheduled retrain: could not close its trading_retrains row (' + e.message + ')\\n');
  }
  try {
    fs.rmSync(path.join(home, 'versions', '.staging-' + version), { recursive: true, force: true });
  } catch (e) {
    fs.writeSync(2, 'scheduled retrain: could not remove its staging folder (' + e.message + ')\\n');
  }
}
function parentGone() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isInteger(ppid)) return ppid !== parent;
  } catch {}
  try {
    process.kill(parent, 0);
    return false;
  } catch (e) {
    return e.code === 'ESRCH';
  }
}
const timer = setInterval(() => {
  if (!parentGone()) return;
  clearInterval(timer);
  // straight to the file descriptor: the main thread, which would forward a worker's stderr, is busy training
  fs.writeSync(2, 'scheduled retrain: the trader that started it (pid ' + parent + ') is gone; stopping (SIGTERM)\\n');
  closeRetrain();
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), graceMs);
}, everyMs);
`;

/** The retrain a watched child runs: its database file, its row there, its home (real path) and its challenger. */
interface WatchedRetrain {
  db: string;
  rowId: number;
  home: string;
  version: string;
}

/** The running watch's worker, if this process is a trader's retrain child. */
let watch: Worker | undefined;

/** Tells the watch (when one runs) which retrain to close if the trader is gone (retrain.ts, retrainRecord). */
export function watchedRetrain(retrain: WatchedRetrain): void {
  watch?.postMessage(retrain);
}

/**
 * Starts the watch when this process is a trader's retrain child (RETRAIN_PARENT_ENV names a pid); a no-op otherwise.
 * The worker does not keep the process alive.
 */
export function watchRetrainParent(env: NodeJS.ProcessEnv = process.env, everyMs = 500, graceMs = 5_000): void {
  const raw = env[RETRAIN_PARENT_ENV];
  if (raw === undefined) return;
  const parent = Number(raw);
  if (!(Number.isInteger(parent) && parent > 1)) return;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WATCH_SOURCE, { eval: true, workerData: { parent, everyMs, graceMs, driver } });
  worker.unref();
  watch = worker;
}
