/**
 * The distributed mode's coordinator (`bot sweep --queue redis://…`): puts the markets and the jobs that have no
 * result yet on a BullMQ queue (job id = sweep job id, so a job already queued is not queued twice), then waits.
 * Each finished job's return value is handed to `onResult` (the caller stores it in SQLite, once) and the job is
 * removed from Redis; a job that failed its last try goes to `onFailure`. QueueEvents reports progress as it
 * happens; a poll every few seconds catches whatever an event stream missed. A job that vanished from Redis (Redis
 * restarted without saving, or another coordinator of an overlapping sweep stored and removed it) is taken from
 * SQLite if its result is there, and otherwise queued again with its market, so the sweep never waits for nothing;
 * it counts as retried only if a worker had started it (a job that only waited in line lost no try).
 * A stop (SIGINT/SIGTERM, src/sweep/stop.ts) ends the wait at once: the jobs stay queued for the workers, and a
 * re-run collects their results from Redis.
 */
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { SweepSection } from './config.ts';
import type { JobResult, JobSpec } from './jobs.ts';
import type { JobEvents } from './pool.ts';
import type { SweepStop } from './stop.ts';
import { bullConnection, putMarket, watchOutages } from './redis.ts';

interface QueueRunOptions extends JobEvents {
  url: string;
  settings: SweepSection;
  markets: ReadonlyMap<string, Candles>;
  /** Poll interval for finished jobs (events usually come first). */
  pollMs?: number;
  /** The stored result of a job, if any (a job that left Redis may have been finished by another coordinator). */
  stored(jobId: string): JobResult | undefined;
  logger: Logger;
  stop?: SweepStop;
}

/** The queue a job goes to: GPU jobs on their own queue, which only `bot worker --gpu` takes. */
export const queueName = (settings: SweepSection, gpu: boolean) => (gpu ? `${settings.queue}-gpu` : settings.queue);

export async function runOnQueue(jobs: readonly JobSpec[], o: QueueRunOptions): Promise<void> {
  if (jobs.length === 0) return;
  const connection = bullConnection(o.url);
  const names = [...new Set(jobs.map((j) => queueName(o.settings, j.gpu)))];
  const queues = new Map(names.map((n) => [n, new Queue<JobSpec, JobResult>(n, { connection })]));
  const eventConnections = names.map(() => bullConnection(o.url));
  const events = names.map((n, i) => new QueueEvents(n, { connection: eventConnections[i] }));
  const pending = new Map(jobs.map((j) => [j.id, j]));
  const inFlight = new Set<string>();
  let wake: () => void = () => undefined;
  const stopped = () => o.stop !== undefined && o.stop.level !== 'running';
  const unlisten = o.stop?.onChange(() => wake());
  // an outcome the caller could not store ends the wait; the sweep then stops with it
  let failure: UserError | undefined;
  const fatal = (e: UserError) => {
    failure ??= e;
    wake();
  };
  const queueOf = (spec: JobSpec) => queues.get(queueName(o.settings, spec.gpu))!;
  const jobOptions = (spec: JobSpec) => ({
    jobId: spec.id,
    attempts: o.settings.attempts,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: false,
    removeOnFail: false,
  });
  const outage = watchOutages(connection, o.url, o.logger);
  const requeued = new Set<string>();
  /**
   * The tries of each pending job a worker is known to have started (QueueEvents' `active`, or the job's
   * attemptsStarted seen by a poll). Redis restarted without saving takes that count with the job, so it is kept
   * here: a job queued again is retried only if a worker had taken it; one that only waited cost no try (before,
   * each counted).
   */
  const started = new Map<string, number>();
  const sawStarted = (id: string, tries: number): void => {
    const before = started.get(id) ?? 0;
    if (!pending.has(id) || tries <= before) return;
    started.set(id, tries);
    o.logger.debug(`job ${id}: a worker started try ${tries}`);
  };

  /** A pending job that is not in Redis: its stored result, or queued again (with its market). */
  const vanished = async (spec: JobSpec): Promise<void> => {
    const result = o.stored(spec.id);
    if (result) {
      if (deliver(spec, () => o.onResult(spec, result))) pending.delete(spec.id);
      return;
    }
    if (!requeued.has(spec.id))
      o.logger.warn(`job ${spec.id} is no longer in Redis (restarted without saving, or removed); queueing it again`);
    requeued.add(spec.id);
    const lost = started.get(spec.id) ?? 0;
    if (lost > 0) o.onRetried?.(spec, lost);
    // the job queued again counts its tries from none
    started.delete(spec.id);
    const candles = o.markets.get(spec.market.dataKey);
    if (candles) await putMarket(connection, spec.market.dataKey, candles);
    await queueOf(spec).add('sweep-job', spec, jobOptions(spec));
  };

  /**
   * Hands a final outcome to the caller. The caller stores it in SQLite; if that throws (disk full, a locked file)
   * the sweep stops with the error: the job is still in Redis, so a re-run stores it, whereas trying again every poll
   * would hide the error and wait forever.
   */
  const deliver = (spec: JobSpec, hand: () => void): boolean => {
    try {
      hand();
      return true;
    } catch (e) {
      const why = (e as Error).message.split('\n')[0];
      fatal(
        new UserError(`cannot store the outcome of job ${spec.id} (${why}); it stays in Redis: run the sweep again`),
      );
      return false;
    }
  };

  /** Looks at one job: a final outcome is reported once and the job removed from Redis. */
  const check = async (id: string): Promise<void> => {
    const spec = pending.get(id);
    if (!spec || inFlight.has(id)) return;
    inFlight.add(id);
    try {
      const job = await Job.fromId<JobSpec, JobResult>(queueOf(spec), id);
      if (!job) return await vanished(spec);
      sawStarted(id, job.attemptsStarted);
      const state = await job.getState();
      const result = job.returnvalue;
      const done =
        state === 'completed' && result
          ? deliver(spec, () => o.onResult(spec, result))
          : state === 'failed' &&
            deliver(spec, () => o.onFailure(spec, job.failedReason?.split('\n')[0] ?? 'failed', job.attemptsMade));
      if (done) {
        pending.delete(id);
        started.delete(id);
        // taken by a worker more than once: a try failed, or its worker died or stalled and another took it over
        if (job.attemptsStarted > 1) o.onRetried?.(spec, job.attemptsStarted - 1);
        // stored in SQLite already: a job left behind in Redis is only taken again as the same result
        await job.remove().catch((e: Error) => trouble(id, 'removing it from Redis', e));
      }
    } finally {
      inFlight.delete(id);
      if (pending.size === 0) wake();
    }
  };

  // one line per job and kind of error, not one per poll; none while the lost connection is reported already
  const reported = new Map<string, string>();
  const trouble = (id: string, doing: string, e: Error): void => {
    const line = `${doing}: ${e.message.split('\n')[0]}`;
    if (outage.down() || reported.get(id) === line) return;
    reported.set(id, line);
    o.logger.warn(`job ${id}: ${line}; trying again`);
  };
  const look = (id: string) => check(id).catch((e: Error) => trouble(id, 'checking it in Redis', e));

  try {
    for (const e of events) {
      e.on('completed', ({ jobId }) => void look(jobId));
      e.on('failed', ({ jobId }) => void look(jobId));
      e.on('active', ({ jobId }) => sawStarted(jobId, 1));
      await e.waitUntilReady();
    }
    for (const [key, candles] of o.markets) await putMarket(connection, key, candles);
    // a job left in Redis by an earlier run: a result is taken as is; a final failure is forgotten and tried anew
    for (const j of jobs) {
      const old = await Job.fromId(queues.get(queueName(o.settings, j.gpu))!, j.id);
      if (old && (await old.getState()) === 'failed') await old.remove();
    }
    for (const [name, queue] of queues) {
      const mine = jobs.filter((j) => queueName(o.settings, j.gpu) === name);
      await queue.addBulk(mine.map((j) => ({ name: 'sweep-job', data: j, opts: jobOptions(j) })));
    }
    await new Promise<void>((resolve) => {
      if (failure || stopped()) return resolve();
      const poll = async () => {
        for (const id of [...pending.keys()]) if (!failure && !stopped()) await look(id);
        if (failure || stopped() || pending.size === 0) resolve();
        else timer = setTimeout(() => void poll(), o.pollMs ?? 3000);
      };
      let timer = setTimeout(() => void poll(), 0);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    if (failure) throw failure;
  } finally {
    unlisten?.();
    await Promise.all(events.map((e) => e.close()));
    await Promise.all([...queues.values()].map((q) => q.close()));
    connection.disconnect();
    for (const c of eventConnections) c.disconnect();
  }
}
