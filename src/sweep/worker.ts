/**
 * `bot worker`: takes sweep jobs from the BullMQ queue on any machine that reaches Redis. Jobs run in sandboxed
 * processor children (src/sweep/processor.ts), so the worker's own event loop only renews locks and talks to
 * Redis. A worker killed mid-job stops renewing its lock; BullMQ's stalled-job check (run by every worker) puts the
 * job back on the queue for another. `--gpu` workers take only the GPU queue. The worker logs its code fingerprint
 * at start; its processor children refuse jobs of a coordinator with another (src/sweep/processor.ts).
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import type { Logger } from '../core/log.ts';
import { tsxExecArgv } from './child-args.ts';
import type { SweepSection } from './config.ts';
import { codeFingerprint, shortCode } from './fingerprint.ts';
import type { JobResult, JobSpec } from './jobs.ts';
import { ENV_BACKEND, ENV_REDIS } from './processor.ts';
import { queueName } from './queue.ts';
import { bullConnection, watchOutages } from './redis.ts';
import { safeUrl } from './redis-url.ts';

const PROCESSOR_FILE = fileURLToPath(new URL('./processor.ts', import.meta.url));

export interface WorkerOptions {
  url: string;
  concurrency: number;
  gpu: boolean;
  /** tfjs backend the processor children start. */
  backend: string;
  settings: SweepSection;
  logger: Logger;
}

/** What ioredis reports while a connection is down (each reconnect attempt of each connection says it again). */
const CONNECTION_ERROR = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|Connection is closed/;

/**
 * BullMQ's errors for a try whose job is no longer this worker's: `could not renew lock for job <id>` (each renewal),
 * then `Missing key|lock for job <id>. <command>` (each command the ended try could not run).
 */
const LOST_JOB = /^(?:could not renew lock|Missing (key|lock)) for job ([^\s.]+)/;

/**
 * A lost try as one line saying what happens next, instead of BullMQ's raw lines (one per lock renewal, then one per
 * command the finished try could not run): the try's outcome is dropped, and the job runs again. Redis restarted
 * without persistence (no key): the coordinator, which polls its jobs, queues it again unless it stored its result
 * (src/sweep/queue.ts); no lock: the coordinator queued it again already, or it stalled and BullMQ's stalled check
 * gave it to another worker.
 */
function lostJob(message: string): string | undefined {
  const m = LOST_JOB.exec(message);
  if (!m) return;
  const [, what, id] = m;
  const line =
    what === 'key'
      ? "Redis lost the queue's keys (restarted without persistence, or removed); this try's outcome is dropped and " +
        'the sweep queues the job again unless its result is stored'
      : 'this worker lost its lock on the job (Redis restarted without persistence, or the job stalled and was ' +
        "taken over); this try's outcome is dropped and the job runs again";
  return `job ${id}: ${line}`;
}

interface RunningWorker {
  worker: Worker<JobSpec, JobResult>;
  /** Stops taking jobs and waits for the jobs in hand; `now`, or Redis down: without waiting (they go back). */
  close(now?: boolean): Promise<void>;
  /** Whether Redis is unreachable at the moment. */
  down(): boolean;
}

/** Starts a worker; `close` stops it. */
export function startWorker(o: WorkerOptions): RunningWorker {
  const connection = bullConnection(o.url);
  const name = queueName(o.settings, o.gpu);
  const worker = new Worker<JobSpec, JobResult>(name, PROCESSOR_FILE, {
    connection,
    concurrency: o.concurrency,
    useWorkerThreads: false,
    workerForkOptions: {
      execArgv: tsxExecArgv(),
      env: { ...process.env, [ENV_REDIS]: o.url, [ENV_BACKEND]: o.backend },
    },
    lockDuration: o.settings.lockMs,
    stalledInterval: o.settings.stalledIntervalMs,
    maxStalledCount: o.settings.maxStalled,
  });
  // the lines said of the tries in hand: each once a try (a lost lock, then its key lost too: two lines)
  const lost = new Set<string>();
  worker.on('active', (job) => {
    for (const line of lost) if (line.startsWith(`job ${job.id}:`)) lost.delete(line);
    o.logger.info(
      `job ${job.id} started: ${job.data.market.symbol} seed ${job.data.seed} ` +
        `fold ${job.data.fold.index + 1} (try ${job.attemptsMade + 1})`,
    );
  });
  worker.on('completed', (job, r) =>
    o.logger.info(
      `job ${job.id} done in ${r.seconds.toFixed(1)} s: validation Sharpe ${Number(r.validation.sharpe).toFixed(3)}`,
    ),
  );
  worker.on('failed', (job, e) => o.logger.warn(`job ${job?.id ?? '?'} failed: ${e.message.split('\n')[0]}`));
  const outage = watchOutages(connection, o.url, o.logger);
  // a lost connection is one line (watchOutages), not one per reconnect attempt of each of BullMQ's connections
  worker.on('error', (e) => {
    if (outage.down() || CONNECTION_ERROR.test(e.message)) return;
    const gone = lostJob(e.message);
    if (!gone) o.logger.warn(`worker: ${e.message.split('\n')[0]}`);
    else if (!lost.has(gone)) o.logger.warn(gone);
    if (gone) lost.add(gone);
  });
  o.logger.info(
    `worker on queue ${name} at ${safeUrl(o.url)}, ${o.concurrency} job(s) at a time, backend ${o.backend}, ` +
      `code ${shortCode(codeFingerprint())}`,
  );
  return {
    worker,
    close: async (now = false) => {
      // with Redis down a graceful close waits for connections that never come back (BullMQ quits them), and a job
      // finished now could not be reported anyway: its lock expires and another worker runs it
      const force = now || outage.down();
      if (force) connection.disconnect();
      await worker.close(force);
      connection.disconnect();
    },
    down: () => outage.down(),
  };
}
