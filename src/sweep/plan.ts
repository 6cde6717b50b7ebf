/**
 * From a checked request, the base recipe and the loaded markets to the list of jobs: configurations × markets ×
 * folds × seeds. Every configuration of a market shares one set of walk-forward windows (laid out after the largest
 * warm-up any configuration needs), so their validation and test windows are the very same candles and can be
 * compared and stacked for the overfitting statistics.
 */
import { sliceCandles, type Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { AgentRecipe } from '../agents/recipe.ts';
import { recipeWarmup } from '../agents/recipe-reach.ts';
import { walkForward, type Fold, type IndexRange } from '../agents/splits.ts';
import { timeframeMs } from '../data/timeframe.ts';
import { expandGrid, paramsLabel, type Params, type SweepRequest } from './grid.ts';
import { configKey, jobId, sweepId, type JobSpec, type MarketRef, type ValidationSpan } from './jobs.ts';
import { applyParams } from './params.ts';
import { candlesKey } from './candles-key.ts';
import type { SweepSettings } from './config.ts';

interface Configuration {
  key: string;
  params: Params;
  label: string;
  recipe: AgentRecipe;
}

/** A configuration as its jobs train it: with the epochs they ran (a saved winner must train what was ranked). */
interface PlannedConfiguration extends Configuration {
  epochs: number;
}

interface MarketData {
  ref: MarketRef;
  /** The candles the jobs index into (the chosen range only). */
  candles: Candles;
  folds: Fold[];
}

export interface SweepPlan {
  id: string;
  name: string;
  strategy: string;
  configurations: PlannedConfiguration[];
  markets: MarketData[];
  seeds: number[];
  /** The first configuration's epochs (the same for all unless the grid sweeps `epochs`). */
  epochs: number;
  jobs: JobSpec[];
  /** The coordinator's code fingerprint (in every job and its id). */
  code: string;
}

/** The configurations of a request, each checked against the recipe (a bad key or value is one line). */
export function configurations(req: SweepRequest, recipe: AgentRecipe): Configuration[] {
  return expandGrid(req.grid, req.random, req.seed).map((params) => {
    const r = applyParams(recipe, params, req.strategy);
    return { key: configKey(req.strategy, r), params, label: paramsLabel(params), recipe: r };
  });
}

export interface LoadedSeries {
  candles: Candles;
  label: string;
  /** The user gave a start (--from): keep it, do not trim to agent.maxCandles. */
  fromGiven: boolean;
}

/** A window of candles in time (the open of its first, the close of its last) and its candles' hash. */
function spanOf(candles: Candles, range: IndexRange): ValidationSpan {
  return {
    from: candles.ts[range.from],
    to: candles.ts[range.to - 1] + timeframeMs(candles.timeframe),
    dataKey: candlesKey(sliceCandles(candles, range.from, range.to)),
  };
}

/** Lays the jobs out (`code`: the coordinator's code fingerprint). Pure apart from hashing: no I/O. */
export function planSweep(
  req: SweepRequest,
  configs: Configuration[],
  series: readonly LoadedSeries[],
  settings: SweepSettings,
  code: string,
): SweepPlan {
  const warmup = Math.max(...configs.map((c) => recipeWarmup(c.recipe)));
  // per configuration: a grid over `epochs` sets the recipe's (before, every job ran the first configuration's)
  const planned = configs.map((c) => ({ ...c, epochs: req.epochs ?? c.recipe.epochs ?? settings.agent.epochs }));
  const markets: MarketData[] = series.map((s) => {
    let candles = s.candles;
    const max = settings.agent.maxCandles;
    if (max > 0 && !s.fromGiven && candles.ts.length > max)
      candles = sliceCandles(candles, candles.ts.length - max, candles.ts.length);
    if (warmup >= candles.ts.length)
      throw new UserError(
        `${s.label}: ${candles.ts.length} candles are fewer than the ${warmup} the recipe needs for warm-up`,
      );
    let folds: Fold[];
    try {
      folds = walkForward(warmup, candles.ts.length, settings.agent.split, req.folds, settings.agent.walkForward);
    } catch (e) {
      throw new UserError(`${s.label}: ${(e as Error).message}`);
    }
    const ref: MarketRef = {
      dataKey: candlesKey(candles),
      label: s.label,
      exchange: candles.exchange,
      symbol: candles.symbol,
      timeframe: candles.timeframe,
      candles: candles.ts.length,
    };
    return { ref, candles, folds };
  });
  const seeds = Array.from({ length: req.seeds }, (_, i) => req.seed + i);
  // only what changes a job's numbers goes into it (and into its id): not report folders or summary settings
  const agentSettings = (epochs: number) => ({
    agent: { ...settings.agent, epochs, summaryEvery: 0, modelsDir: '-', maxCandles: 0 },
    account: settings.account,
    backtest: { minTradeValue: settings.backtest.minTradeValue, maxTradeValue: settings.backtest.maxTradeValue },
  });
  const jobs: JobSpec[] = [];
  for (const c of planned) {
    for (const m of markets) {
      for (const fold of m.folds) {
        for (const seed of seeds) {
          const base = {
            strategy: req.strategy,
            recipe: c.recipe,
            seed,
            market: m.ref,
            fold,
            epochs: c.epochs,
            settings: agentSettings(c.epochs),
            code,
          };
          const validationSpan = spanOf(m.candles, fold.validation);
          const ids = { id: jobId(base), configKey: c.key, params: c.params };
          jobs.push({ ...base, ...ids, validationSpan, gpu: req.gpu === true });
        }
      }
    }
  }
  const id = sweepId(jobs.map((j) => j.id));
  return {
    id,
    name: req.name ?? `${req.strategy}-${id}`,
    strategy: req.strategy,
    configurations: planned,
    markets,
    seeds,
    epochs: planned[0].epochs,
    jobs,
    code,
  };
}
