/**
 * A sweep from plan to report: records the sweep in SQLite, skips the jobs that already have a result, runs the rest
 * in-process (child processes) or through the Redis queue, stores each result exactly once as it arrives, then
 * ranks, computes the statistics and writes `backtests/sweep-<id>/`. Optionally saves the winner as a strategy file.
 * A result made by code other than the coordinator's (a worker of an older bot that does not check) is not stored:
 * the job counts as failed with the reason, so one ranking never mixes code. A sweep stopped by SIGINT/SIGTERM
 * (src/sweep/stop.ts) writes no report: it says what is stored, and a re-run of the same command resumes from there.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentRecipe } from '../agents/recipe.ts';
import { strategyArgument } from '../agents/strategy.ts';
import type { Candles } from '../core/candles.ts';
import { type Logger } from '../core/log.ts';
import { printText, redactJsonText } from '../core/redact.ts';
import type { SweepSettings } from './config.ts';
import { shortCode } from './fingerprint.ts';
import type { SweepRequest } from './grid.ts';
import { earlierOutcomes, uncomparedEarlier } from './earlier.ts';
import type { JobResult, JobSpec } from './jobs.ts';
import type { SweepPlan } from './plan.ts';
import { runInProcess, type JobEvents } from './pool.ts';
import { SweepProgress } from './progress.ts';
import { runOnQueue } from './queue.ts';
import { replayFlags, replayText } from './replay-flags.ts';
import { sweepReportJson, sweepSummaryText, writeSweepReport } from './report.ts';
import type { JobOutcome } from './select.ts';
import type { SweepStop } from './stop.ts';
import { SweepStore } from './store.ts';
import { buildSweepReport, type SweepReport } from './summary.ts';

export type SweepMode = { kind: 'local'; workers: number } | { kind: 'queue'; url: string };

export interface SweepRunOptions {
  plan: SweepPlan;
  request: SweepRequest;
  settings: SweepSettings;
  mode: SweepMode;
  database: string;
  logger: Logger;
  /** Report folder (default `<sweep.outDir>/sweep-<id>`). */
  out?: string;
  json?: boolean;
  saveStrategy?: string;
  /** The command-line flags the sweep's figures depend on beside the request's (`--config FILE`, …): replayFlags. */
  replay?: string[];
  /** SIGINT/SIGTERM: finish the jobs in hand (in-process) or leave them queued, then stop without a report. */
  stop?: SweepStop;
}

export type SweepOutcome =
  | { stopped: false; report: SweepReport; dir: string; ran: number; skipped: number }
  /** Stopped by a signal: `stored` of the `planned` jobs have a result in SQLite. */
  | { stopped: true; stored: number; planned: number };

/** The strategy file for the winning configuration (a plain default export; loadStrategy reads it). */
export function strategyFileText(name: string, base: string, label: string, recipe: unknown): string {
  return `// Written by \`bot sweep\`: the configuration ${label} of ${base}, chosen by validation score.
export default {
  kind: 'agent',
  name: ${JSON.stringify(name)},
  description: ${JSON.stringify(`${base} with ${label} (chosen by bot sweep on validation windows)`)},
  recipe: ${JSON.stringify(recipe, null, 2).replace(/\n/g, '\n  ')},
};
`;
}

export async function runSweep(o: SweepRunOptions): Promise<SweepOutcome> {
  const { plan, logger } = o;
  const store = SweepStore.open(o.database);
  try {
    store.saveSweep(plan.id, plan.name, plan.strategy, o.request, plan.jobs);
    const done = store.finished(plan.jobs.map((j) => j.id));
    const todo = plan.jobs.filter((j) => !done.has(j.id));
    const where = o.mode.kind === 'local' ? `${o.mode.workers} local worker process(es)` : `the Redis queue`;
    logger.info(
      `sweep ${plan.id} (code ${shortCode(plan.code)}): ${plan.configurations.length} configuration(s) × ` +
        `${plan.markets.length} market(s) × ` +
        `${plan.markets[0].folds.length} fold(s) × ${plan.seeds.length} seed(s) = ${plan.jobs.length} jobs; ` +
        `${done.size} already stored, ${todo.length} to run on ${where}`,
    );
    const progress = new SweepProgress(todo.length, done.size, logger);
    const labelOf = (j: JobSpec) => {
      const config = plan.configurations.find((c) => c.key === j.configKey)?.label ?? j.configKey;
      return `${config} ${j.market.symbol} fold ${j.fold.index + 1} seed ${j.seed}`;
    };
    const events: JobEvents = {
      onResult: (job: JobSpec, result: JobResult) => {
        if (result.code !== plan.code) {
          const error =
            `result made by code ${shortCode(result.code)} (worker ${result.worker}), this sweep runs code ` +
            `${shortCode(plan.code)}: not stored; check out the same commit on both machines, then run the sweep again`;
          store.saveFailure(job.id, error, 1);
          progress.jobFailed(labelOf(job), error);
          return;
        }
        store.saveResult(job.configKey, result);
        progress.jobDone(labelOf(job));
      },
      onFailure: (job, error, attempts) => {
        store.saveFailure(job.id, error, attempts);
        progress.jobFailed(labelOf(job), error);
      },
      // stored as they happen: a sweep stopped and resumed still reports its earlier runs' retries (jobs.retried)
      onRetry: (job, error, attempt) => {
        store.addRetries(plan.id, job.id, 1);
        logger.warn(`try ${attempt} of ${labelOf(job)} failed (${error}); trying again`);
      },
      onRetried: (job, tries) => store.addRetries(plan.id, job.id, tries),
    };
    const markets = new Map<string, Candles>(plan.markets.map((m) => [m.ref.dataKey, m.candles]));
    const unwatch = o.stop?.onChange((level) => {
      if (o.mode.kind === 'queue') return; // the wait ends at once; the line below says the rest
      const signal = o.stop?.signal ?? 'signal';
      logger.warn(
        level === 'finish'
          ? `${signal}: finishing the jobs in hand, then stopping (${signal} again: stop now)`
          : `${signal} again: stopping now; the jobs in hand are not stored`,
      );
    });
    try {
      if (o.mode.kind === 'local') {
        await runInProcess(todo, {
          ...events,
          workers: o.mode.workers,
          backend: o.settings.ml.backend,
          attempts: o.settings.sweep.attempts,
          markets,
          stop: o.stop,
        });
      } else {
        await runOnQueue(todo, {
          ...events,
          url: o.mode.url,
          settings: o.settings.sweep,
          markets,
          stored: (id) => store.result(id),
          logger,
          stop: o.stop,
        });
      }
    } finally {
      unwatch?.();
      progress.stop();
    }
    if (o.stop && o.stop.level !== 'running') {
      const count = store.finished(plan.jobs.map((j) => j.id)).size;
      logger.warn(
        `${o.stop.signal}: sweep stopped; ${count} of ${plan.jobs.length} job results stored` +
          (o.mode.kind === 'queue' ? ' (the queued jobs stay in Redis for the workers)' : '') +
          '; run the same command again to resume',
      );
      return { stopped: true, stored: count, planned: plan.jobs.length };
    }
    const stored = new Map(store.jobs(plan.id).map((j) => [j.jobId, j]));
    const marketIndex = new Map(plan.markets.map((m, i) => [m.ref.dataKey, i]));
    const outcomes: JobOutcome[] = plan.jobs.map((j) => {
      const s = stored.get(j.id);
      return {
        jobId: j.id,
        configKey: j.configKey,
        params: j.params,
        label: plan.configurations.find((c) => c.key === j.configKey)?.label ?? j.configKey,
        market: marketIndex.get(j.market.dataKey) ?? 0,
        fold: j.fold.index,
        seed: j.seed,
        ...(s?.result ? { result: s.result } : {}),
        ...(s?.error !== undefined ? { error: s.error, attempts: s.attempts } : {}),
        ...(s?.retries ? { retries: s.retries } : {}),
      };
    });
    const dir = o.out ?? path.join(o.settings.sweep.outDir, `sweep-${plan.id}`);
    const built = buildSweepReport(
      plan,
      o.request,
      outcomes,
      o.settings,
      earlierOutcomes(store, plan),
      uncomparedEarlier(store, plan),
    );
    // the winner is saved before any picture is drawn, as report.json is (writeSweepReport): a picture cannot lose it
    if (o.saveStrategy && built.winner) {
      const name = path.basename(o.saveStrategy, '.ts');
      writeFileSync(o.saveStrategy, strategyFileText(name, plan.strategy, built.winner.label, built.winner.recipe));
      // strategies are looked up by name in the checkout's strategies/ only: a file saved elsewhere loads by its path;
      // and the sweep's seeds, folds and candles, without which bot backtest gave other figures (audit, session 39)
      const recipe = built.winner.recipe as AgentRecipe;
      const flags = replayFlags(plan, o.request, recipe, o.replay);
      logger.info(
        `winning configuration saved as ${o.saveStrategy}; run it as the sweep measured it ` +
          `${flags.length > 1 ? '(one market per run) ' : ''}with ` +
          replayText(strategyArgument(o.saveStrategy), flags),
      );
    }
    const report = await writeSweepReport(dir, built);
    for (const note of report.chartNotes ?? []) logger.warn(note);
    if (o.json) console.log(redactJsonText(sweepReportJson(report)));
    else printText(sweepSummaryText(report, dir));
    return { stopped: false, report, dir, ran: todo.length, skipped: done.size };
  } finally {
    store.close();
  }
}
