/**
 * A sweep job and its result, as they travel to a child process or through Redis and into SQLite: one (strategy,
 * parameters, seed, market, fold). Job ids are a hash of everything that decides the result, so a re-run of the same
 * sweep finds its finished jobs, and two sweeps that share a job share its result. The code fingerprint
 * (src/sweep/fingerprint.ts) is part of the id: results made by other code are never taken as this code's.
 */
import { createHash } from 'node:crypto';
import type { AgentSettings } from '../agents/config.ts';
import type { AgentRecipe } from '../agents/recipe.ts';
import type { Fold } from '../agents/splits.ts';
import type { ScheduleRule } from '../agents/decision-rule.ts';
import type { Params } from './grid.ts';

/** A market's candles, identified by the hash of their numbers (workers fetch them once by this key). */
export interface MarketRef {
  /** sha256 of the candle arrays (ts, open, high, low, close, volume). */
  dataKey: string;
  label: string;
  exchange: string;
  symbol: string;
  timeframe: string;
  candles: number;
}

/** A window of candles in time (ms: the open of its first candle, the close of its last) and their hash. */
export interface ValidationSpan {
  from: number;
  to: number;
  /** candlesKey of the window's candles: whether another series holds the same candles over this span. */
  dataKey: string;
}

export interface JobSpec {
  id: string;
  /** Hash of strategy + recipe: the configuration this job is one run of. */
  configKey: string;
  strategy: string;
  params: Params;
  /** The recipe with the parameters applied (workers need no strategy file). */
  recipe: AgentRecipe;
  seed: number;
  market: MarketRef;
  fold: Fold;
  /**
   * The fold's validation window in time and its candles' hash: earlier sweeps' jobs on the same market whose
   * validation windows overlap this one count as trials of this sweep's selection (src/sweep/earlier.ts).
   */
  validationSpan: ValidationSpan;
  epochs: number;
  /** Training settings (agent section, account, sizing bounds) from the coordinator's config. */
  settings: AgentSettings;
  gpu: boolean;
  /** The coordinator's code fingerprint: a worker whose own differs refuses the job. */
  code: string;
}

/** One epoch of the training record. */
interface EpochLine {
  epoch: number;
  loss: number;
  validationSharpe: number | null;
  seconds: number;
}

/** Metrics as JSON (non-finite numbers as strings, as report.json writes them). */
export type MetricsJson = Record<string, unknown>;

export interface JobResult {
  jobId: string;
  /**
   * The selected epoch's greedy runs over the fold's epoch windows (the purged split's validation windows, which no
   * training segment touches; with one window the fold's validation window): one window's metrics, or each metric's
   * mean over the windows (selection uses only this).
   */
  validation: MetricsJson;
  /** The same model once over the fold's test window (reported, never used to select). */
  test: MetricsJson;
  /** Per-candle returns of the validation runs, window after window (for the deflated Sharpe ratio and PBO). */
  validationReturns: number[];
  /**
   * `epochWindows`: validation and validationReturns are over the epoch windows. Absent from results stored before
   * sweep schema 5, which ran over the fold's whole validation window, training segments inside it included: they are
   * neither ranked with newer results nor counted as their trials (src/sweep/store.ts).
   */
  validationOn?: 'epochWindows';
  /**
   * Per-candle Sharpe ratio of every epoch × margin (× candidate learner) the job's training chose among on its
   * validation windows: the selection inside each job, which the deflated Sharpe ratio counts as trials too. Absent
   * from results stored by earlier versions (a sweep resumed on its database reuses them): counted as one trial.
   */
  trialSharpes?: number[];
  /** Portfolio value per candle of the test run (the winner's equity chart). */
  testEquity: number[];
  /**
   * The schedule the job's agent traded by (with `learnerChoice`: the learner chosen on validation), which the random
   * baseline follows on its windows. Absent from results stored by earlier versions: the recipe's (recipeSchedule).
   */
  rule?: ScheduleRule;
  training: { bestEpoch: number; bestSharpe: number; stoppedEarly: boolean; seconds: number; epochs: EpochLine[] };
  /** sha256 of the selected model's weights. */
  modelHash: string;
  backend: string;
  /** host:pid that ran it. */
  worker: string;
  /** The code fingerprint of the process that ran it (the coordinator stores only results of its own code). */
  code: string;
  seconds: number;
}

/** Canonical JSON: object keys sorted, so equal values hash equally whatever order they were written in. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The configuration's key: strategy name and the full recipe it trains. */
export function configKey(strategy: string, recipe: AgentRecipe): string {
  return sha256(canonicalJson({ strategy, recipe })).slice(0, 16);
}

/**
 * The job's id: a hash of strategy, recipe (parameters applied), seed, market data, fold, epochs, settings and the
 * code fingerprint.
 */
export function jobId(j: Omit<JobSpec, 'id' | 'configKey' | 'params' | 'gpu' | 'validationSpan'>): string {
  const fold = { train: j.fold.train, validation: j.fold.validation, test: j.fold.test };
  return sha256(
    canonicalJson({
      v: 2,
      strategy: j.strategy,
      recipe: j.recipe,
      seed: j.seed,
      data: j.market.dataKey,
      fold,
      epochs: j.epochs,
      settings: j.settings,
      code: j.code,
    }),
  ).slice(0, 32);
}

/**
 * The windows a job is judged on: market data, fold ranges and seed. Jobs of any sweep with the same window key were
 * validated on the very same candles. The exact match of earlier sweeps' jobs stored before their market and
 * validation span were (sweep schema 4); later ones are matched by overlap too (src/sweep/earlier.ts).
 */
export function windowKey(j: Pick<JobSpec, 'market' | 'fold' | 'seed'>): string {
  const fold = { train: j.fold.train, validation: j.fold.validation, test: j.fold.test };
  return sha256(canonicalJson({ data: j.market.dataKey, fold, seed: j.seed })).slice(0, 32);
}

/**
 * The market's identity, not its candles' hash: exchange, symbol and timeframe (a file's are `file`, its base name and
 * its timeframe). A store refresh adds candles and `--from` moves the range, but the candles a window covers are the
 * same market's, so an earlier sweep's jobs on it can be matched by the time their validation windows overlap.
 */
export function marketId(m: Pick<MarketRef, 'exchange' | 'symbol' | 'timeframe'>): string {
  return JSON.stringify([m.exchange, m.symbol, m.timeframe]);
}

/**
 * What was tried, apart from the windows: strategy, recipe, epochs and training settings. Not the code fingerprint:
 * the same configuration re-run by newer code is the same trial, not another one the user chose among.
 */
export function trialKey(j: Pick<JobSpec, 'strategy' | 'recipe' | 'epochs' | 'settings'>): string {
  return sha256(
    canonicalJson({ strategy: j.strategy, recipe: j.recipe, epochs: j.epochs, settings: j.settings }),
  ).slice(0, 32);
}

/** A sweep's id: a hash of its job ids, so the same sweep always has the same id and report folder. */
export function sweepId(jobIds: readonly string[]): string {
  return sha256([...jobIds].sort().join('\n')).slice(0, 12);
}
