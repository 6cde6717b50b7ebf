/**
 * The coordinator (runOnQueue) across a real redis-server restarted without saving: the jobs it queues again count as
 * retried only if a worker had started them. Before, every job queued again counted, one that only waited in line too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/load.ts';
import type { JobResult, JobSpec } from '../../src/sweep/jobs.ts';
import { runOnQueue } from '../../src/sweep/queue.ts';
import { bullConnection } from '../../src/sweep/redis.ts';
import { SweepStop } from '../../src/sweep/stop.ts';
import { capturingLogger } from '../helpers/log.ts';
import { freePort, startRedis, tinyPlan, type RedisServer } from './helpers.ts';

/** Resolves once `ready()` holds, checking every 50 ms; fails naming `what` after `ms` (a hang, not a speed check). */
async function until(ready: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(`still waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A BullMQ worker on `queue` that finishes every job at once (the training is beside the point here). */
function quickWorker(url: string, queue: string): { close(): Promise<void> } {
  const connection = bullConnection(url);
  const worker = new Worker<JobSpec, JobResult>(queue, async (job) => ({ jobId: job.data.id }) as JobResult, {
    connection,
  });
  return {
    close: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}

/** Runs a two-job sweep on `queue`; `before` acts while its jobs are on the queue, then Redis restarts empty. */
async function restartedSweep(
  queue: string,
  before: (redis: RedisServer, lines: string[]) => Promise<void>,
): Promise<{ retried: [string, number][]; delivered: string[]; lines: string[] }> {
  const { plan, markets } = await tinyPlan();
  const port = await freePort();
  let redis = await startRedis(port);
  const lines: string[] = [];
  const retried: [string, number][] = [];
  const delivered: string[] = [];
  const r = new Redis(redis.url);
  r.on('error', () => undefined); // refused while Redis restarts; it reconnects
  let worker: { close(): Promise<void> } | undefined;
  // ends the coordinator's wait if the test fails before its jobs are done
  const stop = new SweepStop();
  let run: Promise<void> | undefined;
  try {
    run = runOnQueue(plan.jobs, {
      url: redis.url,
      settings: { ...loadConfig({}).sweep, queue },
      markets,
      pollMs: 100,
      stored: () => undefined,
      logger: capturingLogger(lines),
      onResult: (job) => delivered.push(job.id),
      onFailure: (job, error) => assert.fail(`${job.id} failed: ${error}`),
      onRetried: (job, tries) => retried.push([job.id, tries]),
      stop,
    });
    await until(
      async () => (await r.exists(...plan.jobs.map((j) => `bull:${queue}:${j.id}`))) === plan.jobs.length,
      'the jobs on the queue',
    );
    await before(redis, lines);
    await redis.stop();
    redis = await startRedis(port);
    // Redis came back empty: the coordinator queues both jobs again and a worker finishes them
    await until(() => lines.filter((l) => l.includes('queueing it again')).length === 2, 'both jobs queued again');
    worker = quickWorker(redis.url, queue);
    await run;
    assert.deepEqual(delivered.sort(), plan.jobs.map((j) => j.id).sort());
    return { retried, delivered, lines };
  } finally {
    stop.request('SIGTERM');
    await run?.catch(() => undefined);
    await worker?.close();
    r.disconnect();
    await redis.stop();
  }
}

test('a job queued again after a Redis restart, which no worker had started, does not count as retried', async () => {
  // no worker before the restart: both jobs only waited in line
  const { retried } = await restartedSweep('requeue-waiting', async () => undefined);
  // before: [[job 1, 1], [job 2, 1]], each job queued again counted as one retry
  assert.deepEqual(retried, [], 'no worker had started either job');
});

test('a job a worker had started when Redis restarted counts as retried once, not the one still waiting', async () => {
  let taken: string | undefined;
  let release: () => void = () => undefined;
  const hold = new Promise<void>((resolve) => (release = resolve));
  let first: { worker: Worker<JobSpec, JobResult>; connection: Redis } | undefined;
  try {
    const { retried } = await restartedSweep('requeue-started', async (redis, lines) => {
      const connection = bullConnection(redis.url);
      // one job at a time, and the first is held until the end: the second waits in line through the restart
      const worker = new Worker<JobSpec, JobResult>(
        'requeue-started',
        async (job) => {
          taken = job.data.id;
          await hold;
          return { jobId: job.data.id } as JobResult;
        },
        { connection, concurrency: 1 },
      );
      worker.on('error', () => undefined); // its held try loses its lock when Redis restarts
      first = { worker, connection };
      await until(() => taken !== undefined, 'the worker taking a job');
      await until(
        () => lines.some((l) => l.includes(`job ${taken}: a worker started try 1`)),
        'the coordinator seeing the start',
      );
    });
    assert.deepEqual(retried, [[taken, 1]]);
  } finally {
    release();
    await first?.worker.close(true);
    first?.connection.disconnect();
  }
});
