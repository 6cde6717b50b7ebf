/**
 * The in-process mode (`bot sweep --workers N`, the default): N forked children (src/sweep/child.ts), each sent the
 * markets it needs once and then one job at a time. A job that throws, or whose child dies, is tried again (up to
 * `attempts` tries in all) and then reported failed with its error; the other jobs go on. A child that cannot start
 * (its tfjs backend is not available) ends the sweep with that one line: forking it again would fail the same way.
 * A message sent to a child that has just died fails with an 'error' event (EPIPE, ERR_IPC_CHANNEL_CLOSED), which
 * without a listener would crash the coordinator: the child is ended and its 'exit' retries the job like any death.
 * With `stop` (src/sweep/stop.ts) asking to finish, no job is handed out and each child is let go once its job in
 * hand is answered; asking to stop now kills the children. A job lost to a stop costs no try. A child sent SIGTERM
 * on its own says it is leaving: it is handed no more jobs, and when it exits (143, or killed by the signal) its job
 * in hand, if unanswered, goes back to the front of the line without a try and another child takes its place.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { FromChild, ToChild } from './child.ts';
import { tsxExecArgv } from './child-args.ts';
import type { JobResult, JobSpec } from './jobs.ts';
import { STOPPED_BY_SIGTERM, type SweepStop } from './stop.ts';

const CHILD_FILE = fileURLToPath(new URL('./child.ts', import.meta.url));

export interface JobEvents {
  onResult(job: JobSpec, result: JobResult): void;
  /** The job failed its last try. */
  onFailure(job: JobSpec, error: string, attempts: number): void;
  /** One try failed and the job goes back in line. */
  onRetry?(job: JobSpec, error: string, attempt: number): void;
  /**
   * The queue learnt at the job's end that it took `tries` more than one (a worker died or stalled mid-job, a try
   * failed), or queued it again after Redis lost it once a worker had started it (the tries started): the report
   * counts such jobs as retried.
   */
  onRetried?(job: JobSpec, tries: number): void;
}

interface PoolOptions extends JobEvents {
  workers: number;
  backend: string;
  attempts: number;
  markets: ReadonlyMap<string, Candles>;
  /** The module each child runs (src/sweep/child.ts; tests fork a stand-in that dies on cue). */
  childFile?: string;
  /** SIGINT/SIGTERM: finish the jobs in hand, or stop now; the promise then resolves with jobs left unrun. */
  stop?: SweepStop;
}

interface Slot {
  child: ChildProcess;
  sent: Set<string>;
  job?: { job: JobSpec; tries: number };
  /** The child got a SIGTERM of its own and exits once its job in hand is answered. */
  leaving?: boolean;
}

/** Runs every job in child processes; resolves when each has a result or has failed its last try. */
export function runInProcess(jobs: readonly JobSpec[], o: PoolOptions): Promise<void> {
  const waiting = jobs.map((job) => ({ job, tries: 0 }));
  let open = jobs.length;
  const stopping = () => o.stop !== undefined && o.stop.level !== 'running';
  return new Promise<void>((resolve, reject) => {
    if (open === 0 || stopping()) return resolve();
    let fatal: string | undefined;
    const slots = new Set<Slot>();
    const finish = () => {
      if (open > 0 && !(stopping() && [...slots].every((s) => !s.job))) return;
      for (const s of slots) if (s.child.connected) s.child.disconnect();
      unlisten?.();
      resolve();
    };
    const unlisten = o.stop?.onChange((level) => {
      for (const s of slots) {
        if (level === 'now') s.child.kill('SIGKILL');
        else if (!s.job && s.child.connected) s.child.disconnect();
      }
      finish();
    });
    const failTry = (entry: { job: JobSpec; tries: number }, error: string) => {
      entry.tries++;
      if (entry.tries >= o.attempts) {
        open--;
        o.onFailure(entry.job, error, entry.tries);
      } else {
        o.onRetry?.(entry.job, error, entry.tries);
        waiting.push(entry);
      }
    };
    const cannotStart = (message: string) => {
      fatal ??= message;
      unlisten?.();
      for (const s of slots) s.child.kill('SIGKILL'); // they leave SIGTERM to the coordinator (child.ts)
      reject(new UserError(`a sweep worker process could not start: ${message}`));
    };
    const next = (slot: Slot) => {
      const entry = stopping() || slot.leaving ? undefined : waiting.shift();
      if (!entry) {
        slot.job = undefined;
        finish();
        return;
      }
      slot.job = entry;
      const key = entry.job.market.dataKey;
      if (!slot.sent.has(key)) {
        const candles = o.markets.get(key);
        if (!candles) throw new Error(`no candles for market ${entry.job.market.label}`);
        slot.child.send({ type: 'market', key, candles } satisfies ToChild);
        slot.sent.add(key);
      }
      slot.child.send({ type: 'job', job: entry.job } satisfies ToChild);
    };
    const start = () => {
      const child = fork(o.childFile ?? CHILD_FILE, [], {
        execArgv: tsxExecArgv(),
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const slot: Slot = { child, sent: new Set() };
      slots.add(slot);
      child.send({ type: 'init', backend: o.backend } satisfies ToChild);
      child.on('error', (e: Error) => {
        // fork itself failed (EAGAIN, ENOMEM): no process, so no 'exit' will come to retry anything
        if (child.pid === undefined) cannotStart(e.message);
        else if (!slot.leaving && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      child.on('message', (m: FromChild) => {
        if (m.type === 'fatal') return cannotStart(m.message);
        if (!slots.has(slot)) return; // a message read after its 'exit': the job was already put back in line
        if (m.type === 'leaving') slot.leaving = true;
        else if (m.type === 'ready') next(slot);
        else if (m.type === 'result' && slot.job) {
          open--;
          o.onResult(slot.job.job, m.result);
          next(slot);
        } else if (m.type === 'error' && slot.job) {
          failTry(slot.job, m.message);
          next(slot);
        }
      });
      child.on('exit', (code, signal) => {
        slots.delete(slot);
        const job = slot.job;
        slot.job = undefined;
        if (open === 0 || fatal !== undefined) return;
        if (stopping()) return finish();
        // stopped by a SIGTERM of its own (src/sweep/child.ts): its unanswered job runs next elsewhere, costing no try
        if (job && (signal === 'SIGTERM' || code === STOPPED_BY_SIGTERM)) waiting.unshift(job);
        // a child that dies mid-job (out of memory, a native abort, kill -9) costs that job one try
        else if (job) failTry(job, `worker process died (${signal ?? `exit ${code}`})`);
        if (open > 0 && waiting.length > 0) start();
        else finish();
      });
    };
    const n = Math.max(1, Math.min(o.workers, jobs.length));
    for (let i = 0; i < n; i++) start();
  });
}
