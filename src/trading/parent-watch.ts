/**
 * A scheduled retrain child's watch on the trader that started it: when the trader is gone (killed with SIGKILL, its
 * terminal closed, the OOM killer), the child stops itself instead of training, and perhaps promoting, on its own
 * after the bot was stopped.
 *
 * The watch runs in a worker thread because training is synchronous: the child's main thread turns its event loop
 * too seldom for a timer there to notice anything. The worker reads the child's parent pid from /proc (Linux
 * reparents an orphan at once, even while its dead parent is still a zombie) or, elsewhere, probes the parent with
 * signal 0, and sends its own process SIGTERM (SIGKILL after a grace period) once the parent has changed. A child
 * stopped this way leaves CURRENT untouched (the promotion is one atomic pointer switch) and its staging folder is
 * removed at the next retrain's start (removeStaleStaging).
 */
import { Worker } from 'node:worker_threads';

/** The environment variable through which the trader passes its pid to its retrain child. */
export const RETRAIN_PARENT_ENV = 'BOT_RETRAIN_PARENT';

/** The worker's code (CommonJS: an eval'd worker has `require`); workerData: { parent, everyMs, graceMs }. */
const WATCH_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { parent, everyMs, graceMs } = workerData;
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
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), graceMs);
}, everyMs);
`;

/**
 * Starts the watch when this process is a trader's retrain child (RETRAIN_PARENT_ENV names a pid); a no-op otherwise.
 * The worker does not keep the process alive.
 */
export function watchRetrainParent(env: NodeJS.ProcessEnv = process.env, everyMs = 500, graceMs = 5_000): void {
  const raw = env[RETRAIN_PARENT_ENV];
  if (raw === undefined) return;
  const parent = Number(raw);
  if (!(Number.isInteger(parent) && parent > 1)) return;
  const worker = new Worker(WATCH_SOURCE, { eval: true, workerData: { parent, everyMs, graceMs } });
  worker.unref();
}
