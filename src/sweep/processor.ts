/**
 * The BullMQ sandboxed processor (`bot worker` runs it in child processes, so training never stalls the worker's
 * event loop and its lock renewals): fetches the job's market from Redis once per process, starts the tfjs backend
 * once, and runs the job with runSweepJob, the same code as the in-process children. Its result is the job's
 * return value, which the coordinator stores. A job whose coordinator runs other code (its fingerprint is not this
 * checkout's) is refused before anything is fetched or trained, with an UnrecoverableError: BullMQ then fails it at
 * once instead of spending its other tries, so the coordinator reports it and stops waiting for it.
 */
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Candles } from '../core/candles.ts';
import { createLogger } from '../core/log.ts';
import { initBackend, type BackendChoice } from '../nn/backend/backend.ts';
import { codeFingerprint, codeMismatch } from './fingerprint.ts';
import type { JobResult, JobSpec } from './jobs.ts';
import { bullConnection, getMarket } from './redis.ts';
import { runSweepJob } from './run-job.ts';

/** Environment the worker sets for its processor children (the URL may hold a password: never logged). */
export const ENV_REDIS = 'BOT_SWEEP_REDIS';
export const ENV_BACKEND = 'BOT_SWEEP_BACKEND';

const markets = new Map<string, Promise<Candles>>();
const logger = createLogger({ level: 'warn', file: '' });
let redis: Redis | undefined;
let backend: Promise<string> | undefined;
// hashed as the modules are loaded: the code this process runs, even if the checkout changes under a long-lived worker
const code = codeFingerprint();

// a worker killed with kill -9 takes its children's IPC channel with it: do not train on for nobody
process.on('disconnect', () => process.exit(0));

export default async function process_(job: SandboxedJob<JobSpec, JobResult>): Promise<JobResult> {
  if (job.data.code !== code) throw new UnrecoverableError(codeMismatch(code, job.data.code));
  const url = process.env[ENV_REDIS];
  if (!url) throw new Error(`${ENV_REDIS} is not set: this processor runs under bot worker`);
  redis ??= bullConnection(url);
  const key = job.data.market.dataKey;
  let candles = markets.get(key);
  if (!candles) {
    candles = getMarket(redis, key);
    markets.set(key, candles);
    candles.catch(() => markets.delete(key));
  }
  backend ??= initBackend((process.env[ENV_BACKEND] ?? 'auto') as BackendChoice, logger).then((b) => b.name);
  return runSweepJob(job.data, await candles, logger, await backend, code);
}
