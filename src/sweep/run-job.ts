/**
 * Runs one sweep job: the agent training of one fold (src/agents/train-fold.ts, the epoch chosen by validation Sharpe
 * after costs), the selected model once over each of the fold's epoch windows (the purged split's validation windows,
 * which no training segment touches) and once over the test window, the metrics of both, the training record and a
 * hash of the weights. The same function runs in an in-process child and in a
 * BullMQ sandboxed processor, so both modes give the same numbers for the same seeds.
 */
import os from 'node:os';
import type { Candles } from '../core/candles.ts';
import type { Logger } from '../core/log.ts';
import { trainOnFold } from '../agents/train-fold.ts';
import { scheduleOf } from '../agents/decision-rule.ts';
import type { BacktestResult } from '../market/backtest-engine.ts';
import { computeMetrics, metricsToJson } from '../market/metrics.ts';
import { hashData } from '../core/hash-data.ts';
import type { JobResult, JobSpec } from './jobs.ts';
import { windowsMetrics } from './select.ts';

/** Candles as plain arrays (JSON through Redis) and back. */
export interface CandlesJson {
  exchange: string;
  symbol: string;
  timeframe: string;
  ts: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
}

export function candlesToJson(c: Candles): CandlesJson {
  return {
    exchange: c.exchange,
    symbol: c.symbol,
    timeframe: c.timeframe,
    ts: [...c.ts],
    open: [...c.open],
    high: [...c.high],
    low: [...c.low],
    close: [...c.close],
    volume: [...c.volume],
  };
}

export function candlesFromJson(j: CandlesJson): Candles {
  const f = (a: number[]) => Float64Array.from(a);
  return {
    exchange: j.exchange,
    symbol: j.symbol,
    timeframe: j.timeframe,
    ts: f(j.ts),
    open: f(j.open),
    high: f(j.high),
    low: f(j.low),
    close: f(j.close),
    volume: f(j.volume),
  };
}

function perCandleReturns(r: BacktestResult): number[] {
  const out: number[] = [];
  for (let i = 1; i < r.equity.length; i++) out.push(r.equity[i - 1] > 0 ? r.equity[i] / r.equity[i - 1] - 1 : 0);
  return out;
}

/** Trains and evaluates one job (`code`: this process's code fingerprint). Throws on failure (the caller retries). */
export async function runSweepJob(
  job: JobSpec,
  candles: Candles,
  logger: Logger,
  backend: string,
  code: string,
): Promise<JobResult> {
  const started = performance.now();
  const agent = await trainOnFold({
    settings: job.settings,
    recipe: job.recipe,
    strategyName: job.strategy,
    candles,
    fold: job.fold,
    seed: job.seed,
    epochs: job.epochs,
    logger,
    label: `${job.market.symbol} ${job.id.slice(0, 8)} seed${job.seed} fold${job.fold.index + 1}`,
    progress: false,
  });
  try {
    // the split's windows, not the fold's validation window: with `selection.windows` > 1 training segments lie inside
    // that, and a configuration that memorised them would rank on them (one window: the fold's validation window)
    const validation = agent.split.validation.map((w) => agent.backtest(w));
    const test = agent.backtest(job.fold.test);
    const weights = agent.learner.net.model.getWeights().map((w) => w.dataSync() as Float32Array);
    const t = agent.training;
    return {
      jobId: job.id,
      validation: windowsMetrics(validation.map((r) => metricsToJson(computeMetrics(r, candles.timeframe)))),
      test: metricsToJson(computeMetrics(test, candles.timeframe)),
      validationReturns: validation.flatMap(perCandleReturns),
      validationOn: 'epochWindows',
      trialSharpes: agent.trialSharpes,
      testEquity: [...test.equity],
      rule: scheduleOf(agent.rule),
      training: {
        bestEpoch: t.bestEpoch,
        bestSharpe: t.bestSharpe,
        stoppedEarly: t.stoppedEarly,
        seconds: t.seconds,
        epochs: t.epochs.map((e) => ({
          epoch: e.epoch,
          loss: e.stats.loss,
          validationSharpe: e.validation?.sharpe ?? null,
          seconds: e.seconds,
        })),
      },
      modelHash: hashData(...weights),
      backend,
      worker: `${os.hostname()}:${process.pid}`,
      code,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    agent.dispose();
  }
}
