/**
 * The coordinator's wait for queued jobs (runOnQueue) against a real redis-server: a job it cannot read from Redis is
 * logged once, not passed over in silence on every poll; an outcome the caller cannot store stops the sweep with
 * one line instead of being fetched and dropped forever.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/load.ts';
import { UserError } from '../../src/core/errors.ts';
import type { JobResult, JobSpec } from '../../src/sweep/jobs.ts';
import { runOnQueue } from '../../src/sweep/queue.ts';
import { bullConnection } from '../../src/sweep/redis.ts';
import { capturingLogger } from '../helpers/log.ts';
import { startRedis, tinyPlan, type RedisServer } from './helpers.ts';

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

/** Resolves once `ready()` holds, checking every 50 ms; fails naming `what` after `ms` (a hang, not a speed check). */
async function until(ready: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(`still waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const settingsFor = (queue: string) => ({ ...loadConfig({}).sweep, queue });

test('a job the poll cannot read from Redis is one warning naming it and the error, not silence', async () => {
  const { plan, markets } = await tinyPlan();
  const [broken, other] = plan.jobs;
  const lines: string[] = [];
  const stored = new Map<string, JobResult>();
  const delivered: string[] = [];
  const r = new Redis(redis.url);
  try {
    const run = runOnQueue(plan.jobs, {
      url: redis.url,
      settings: settingsFor('poll-unreadable'),
      markets,
      pollMs: 100,
      stored: (id) => stored.get(id),
      logger: capturingLogger(lines),
      onResult: (job) => delivered.push(job.id),
      onFailure: (job, error) => assert.fail(`${job.id} failed: ${error}`),
    });
    const key = `bull:poll-unreadable:${broken.id}`;
    await until(async () => (await r.exists(key)) === 1, 'the jobs on the queue');
    // a job hash BullMQ cannot parse: Job.fromId throws on every poll
    await r.hset(key, 'data', '{not json');
    const warnings = () => lines.filter((l) => l.includes(`job ${broken.id}: checking it in Redis`));
    await until(() => warnings().length > 0, 'a warning about the unreadable job');
    const polls = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 600)); // several more polls of the same job
    assert.equal(warnings().length, 1, `one line, not one per poll:\n${lines.join('')}`);
    assert.equal(lines.length, polls);
    const warning = JSON.parse(warnings()[0]) as { level: string; message: string };
    assert.equal(warning.level, 'warn');
    assert.match(warning.message, /JSON.*; trying again$/);
    // both jobs finished elsewhere (stored in SQLite, gone from Redis): the wait ends with them
    for (const job of [broken, other]) {
      stored.set(job.id, { jobId: job.id } as JobResult);
      await r.del(`bull:poll-unreadable:${job.id}`);
    }
    await run;
    assert.deepEqual(delivered.sort(), [broken.id, other.id].sort());
  } finally {
    r.disconnect();
  }
});

test(
  'an outcome the caller cannot store stops the wait with one line naming the job; it stays in Redis',
  {
    timeout: 60_000,
  },
  async () => {
    const { plan, markets } = await tinyPlan();
    const name = 'poll-unstorable';
    // a worker that finishes every job at once (the training is beside the point here)
    const connection = bullConnection(redis.url);
    const worker = new Worker<JobSpec, JobResult>(name, async (job) => ({ jobId: job.data.id }) as JobResult, {
      connection,
    });
    try {
      const run = runOnQueue(plan.jobs, {
        url: redis.url,
        settings: settingsFor(name),
        markets,
        pollMs: 100,
        stored: () => undefined,
        logger: capturingLogger([]),
        onResult: () => {
          throw new Error('SQLITE_FULL: database or disk is full');
        },
        onFailure: (job, error) => assert.fail(`${job.id} failed: ${error}`),
      });
      let message = '';
      await assert.rejects(run, (e: unknown) => {
        assert.ok(e instanceof UserError, String(e));
        message = e.message;
        assert.match(
          e.message,
          /^cannot store the outcome of job [0-9a-f]+ \(SQLITE_FULL: database or disk is full\); it stays in Redis/,
        );
        return true;
      });
      const queue = new Queue(name, { connection });
      const id = /job ([0-9a-f]+)/.exec(message)![1];
      assert.equal(await (await Job.fromId(queue, id))?.getState(), 'completed', 'kept for the next run to store');
      await queue.close();
    } finally {
      await worker.close();
      connection.disconnect();
    }
  },
);
