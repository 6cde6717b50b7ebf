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
  worker.on('active', (job) =>
    o.logger.info(
      `job ${job.id} started: ${job.data.market.symbol} seed ${job.data.seed} ` +
        `fold ${job.data.fold.index + 1} (try ${job.attemptsMade + 1})`,
    ),
  );
  worker.on('completed', (job, r) =>
    o.logger.info(
      `job ${job.id} done in ${r.seconds.toFixed(1)} s: validation Sharpe ${Number(r.validation.sharpe).toFixed(3)}`,
    ),
  );
  worker.on('failed', (job, e) => o.logger.warn(`job ${job?.id ?? '?'} failed: ${e.message.split('\n')[0]}`));
  const outage = watchOutages(connection, o.url, o.logger);
  // a lost connection is one line (watchOutages), not one per reconnect attempt of each of BullMQ's connections
  worker.on('error', (e) => {
    if (!outage.down() && !CONNECTION_ERROR.test(e.message)) o.logger.warn(`worker: ${e.message.split('\n')[0]}`);
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
