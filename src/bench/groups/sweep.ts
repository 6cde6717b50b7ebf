/**
 * Bench group: sweep throughput. Real tiny agent jobs per minute with 1 and 2 in-process workers (scaling
 * efficiency), the same jobs through Redis with 2 `bot worker`-style workers (sandboxed processors), and the queue's
 * own overhead per job with empty jobs (coordinator → Redis → worker → coordinator). The Redis figures need
 * `redis-server` on the PATH (started here on a free port, src/bench/redis-server.ts) and are skipped without it.
 */
import { Worker } from 'bullmq';
import winston from 'winston';
import { loadConfig } from '../../config/load.ts';
import type { AgentRecipe } from '../../agents/recipe.ts';
import { syntheticCandles } from '../../data/synthetic.ts';
import { parseGridFlag } from '../../sweep/grid.ts';
import type { JobResult, JobSpec } from '../../sweep/jobs.ts';
import { codeFingerprint } from '../../sweep/fingerprint.ts';
import { configurations, planSweep } from '../../sweep/plan.ts';
import { runInProcess } from '../../sweep/pool.ts';
import { runOnQueue } from '../../sweep/queue.ts';
import { bullConnection } from '../../sweep/redis.ts';
import { startWorker } from '../../sweep/worker.ts';
import type { BenchGroup } from '../table.ts';
import { startRedis } from '../redis-server.ts';

const JOBS = 8;
const EMPTY_JOBS = 300;

const recipe: AgentRecipe = {
  features: 'rltrader-v1',
  scaler: 'zscore',
  window: 5,
  network: { kind: 'dnn', hidden: [32, 16], dropout: 0, batchNorm: false, activation: 'relu' },
  learner: { kind: 'dqn', batchSize: 32, trainEvery: 16, warmup: 64 },
  exploration: { kind: 'linear', start: 0.5, end: 0.05 },
  sizing: 'all',
  reward: { kind: 'logReturn' },
  costs: 'config',
};

export const sweepGroup: BenchGroup = {
  name: 'sweep',
  description:
    `sweep throughput: ${JOBS} tiny DQN jobs (2,000 synthetic 1h candles, 10 epochs) ` +
    `in-process with 1 and 2 workers and through Redis; queue overhead with ${EMPTY_JOBS} empty jobs`,
  async run(report) {
    const logger = winston.createLogger({
      silent: true,
      transports: [new winston.transports.Console({ silent: true })],
    });
    const settings = loadConfig({
      overrides: { log: { file: '' }, ml: { backend: 'wasm' }, agent: { patience: 0, summaryEvery: 0, maxCandles: 0 } },
    });
    const candles = syntheticCandles({ seed: 3, count: 2000, sine: { period: 30, amplitude: 0.04 } });
    const req = {
      strategy: 'bench-dqn',
      grid: [parseGridFlag('learner.learningRate=1e-3,3e-3')],
      seeds: JOBS / 2,
      seed: 1,
      folds: 1,
      epochs: 10,
    };
    const plan = planSweep(
      req,
      configurations(req, recipe),
      [{ candles, label: 'synthetic', fromGiven: false }],
      settings,
      codeFingerprint(),
    );
    const markets = new Map(plan.markets.map((m) => [m.ref.dataKey, m.candles]));
    const perMinute: Record<number, number> = {};
    for (const workers of [1, 2]) {
      const t0 = performance.now();
      let done = 0;
      await runInProcess(plan.jobs, {
        workers,
        backend: 'wasm',
        attempts: 1,
        markets,
        onResult: () => done++,
        onFailure: (_, e) => {
          throw new Error(e);
        },
      });
      perMinute[workers] = (done / (performance.now() - t0)) * 60_000;
      report({
        figure: `in-process, ${workers} worker(s)`,
        value: perMinute[workers],
        unit: 'jobs/min',
        note: 'wall time incl. child start-up',
      });
    }
    report({
      figure: 'scaling efficiency 1 → 2 workers',
      value: (perMinute[2] / (2 * perMinute[1])) * 100,
      unit: '%',
      note: '100% = twice the jobs/min',
    });

    const redis = await startRedis();
    if (!redis) {
      report({
        figure: 'Redis figures',
        value: 'skipped',
        unit: '',
        note: 'no redis-server on PATH (apt-get install redis-server)',
      });
      return;
    }
    try {
      const sweep = { ...settings.sweep, queue: `bench-${process.pid}` };
      const ws = [1, 2].map(() =>
        startWorker({ url: redis.url, concurrency: 1, gpu: false, backend: 'wasm', settings: sweep, logger }),
      );
      const t0 = performance.now();
      let done = 0;
      await runOnQueue(plan.jobs, {
        url: redis.url,
        settings: sweep,
        markets,
        pollMs: 500,
        stored: () => undefined,
        logger,
        onResult: () => done++,
        onFailure: (_, e) => {
          throw new Error(e);
        },
      });
      const viaRedis = (done / (performance.now() - t0)) * 60_000;
      report({
        figure: 'Redis queue, 2 workers (sandboxed)',
        value: viaRedis,
        unit: 'jobs/min',
        note: `in-process 2 workers: ${perMinute[2].toFixed(1)}`,
      });
      await Promise.all(ws.map((w) => w.close()));

      // empty jobs: the queue's own cost per job, coordinator → Redis → worker → coordinator (stored once)
      const empty = { ...sweep, queue: `bench-empty-${process.pid}` };
      const connection = bullConnection(redis.url);
      const stub = (id: string): JobResult => ({
        jobId: id,
        validation: {},
        test: {},
        validationReturns: [],
        trialSharpes: [],
        testEquity: [],
        training: { bestEpoch: 0, bestSharpe: 0, stoppedEarly: false, seconds: 0, epochs: [] },
        modelHash: '',
        backend: '',
        worker: '',
        code: '',
        seconds: 0,
      });
      const worker = new Worker<JobSpec, JobResult>(empty.queue, async (job) => stub(job.data.id), {
        connection,
        concurrency: 4,
      });
      const jobs = Array.from(
        { length: EMPTY_JOBS },
        (_, i) => ({ id: `empty-${process.pid}-${i}`, gpu: false, market: { dataKey: 'none' } }) as unknown as JobSpec,
      );
      const e0 = performance.now();
      await runOnQueue(jobs, {
        url: redis.url,
        settings: empty,
        markets: new Map(),
        pollMs: 200,
        stored: () => undefined,
        logger,
        onResult: () => undefined,
        onFailure: () => undefined,
      });
      report({
        figure: 'queue overhead per empty job',
        value: (performance.now() - e0) / EMPTY_JOBS,
        unit: 'ms',
        note: `${EMPTY_JOBS} jobs, in-process function worker, concurrency 4`,
      });
      await worker.close();
      connection.disconnect();
    } finally {
      await redis.stop();
    }
  },
};
