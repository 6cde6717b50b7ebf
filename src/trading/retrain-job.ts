/** `bot retrain` once: refresh history, then one retrain of a model home. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CandleStore } from '../data/store.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { recipeWarmup } from '../agents/recipe-reach.ts';
import { loadStrategy, strategyArgument, strategyFileOf, strategyHome } from '../agents/strategy.ts';
import { initBackend } from '../nn/backend/backend.ts';
import { retrainOnce, type ChallengerTrainer, type RetrainResult } from './retrain.ts';
import type { TrialOptions } from './holdout-trials.ts';
import { closedBy } from './run-holder.ts';
import { refreshRetrainSeries } from './derived-refresh.ts';
import { storedOnly } from '../data/sample.ts';
import { trainChallenger } from './train-challenger.ts';
import { currentVersion, versionDir } from '../agents/model-pointer.ts';
import type { TradingSettings } from './config.ts';
import { homeMarket, retrainMarket, storeAdvice, type NamedMarket } from './retrain-market.ts';
import { describeMarket, marketOf } from '../agents/model-market.ts';
import type { Candles } from '../core/candles.ts';

interface RetrainJob extends TrialOptions {
  config: TradingSettings;
  logger: Logger;
  /** Agent strategy in strategies/; default: the strategy recorded in the model home's meta.json. */
  strategy?: string;
  /** Model home; default `<agent.modelsDir>/<strategy>`. */
  model?: string;
  epochs?: number;
  seed?: number;
  clock?: () => number;
  train?: ChallengerTrainer;
  /** The market flags given on the command line: checked against the market the home serves (retrain-market.ts). */
  named?: NamedMarket;
}

/** A strategy name in strategies/, the only kind of strategy a model's meta.json may name for a retrain to load. */
const STRATEGY_NAME = /^[A-Za-z0-9][\w-]*$/;

/**
 * The strategy a retrain of `home` loads when no --strategy is given: the one its meta.json names, only when that is
 * a name in strategies/. A path there (`/tmp/x.ts`) was imported, and so run, by `bot retrain --model` and by the
 * scheduled retrains of paper and live (audit, session 38): a model folder is data, a strategy file is code. A model
 * trained from a strategy file elsewhere records that file (`strategyFile`) beside its name, which may be a shipped
 * strategy's: the retrain loaded the shipped recipe for it (audit, session 39); it is refused, naming the file.
 */
function retrainStrategyOfHome(home: string): string | undefined {
  const meta = metaOfHome(home);
  const name = typeof meta?.strategy === 'string' ? meta.strategy : undefined;
  if (typeof meta?.strategyFile === 'string')
    throw new UserError(
      `model ${home} was trained from the strategy file ${strategyArgument(meta.strategyFile)}` +
        `${name === undefined ? '' : ` (named "${name}")`}, not from strategies/; a retrain does not run a file a ` +
        `model folder names: pass --strategy ${strategyArgument(meta.strategyFile)} explicitly if you trust that file`,
    );
  if (name === undefined || STRATEGY_NAME.test(name)) return name;
  throw new UserError(
    `model ${home}: its meta.json names strategy ${JSON.stringify(name)}, not a strategy in strategies/; a retrain ` +
      'does not run a file a model folder names: pass --strategy FILE explicitly if you trust that file',
  );
}

/** The strategy recorded in the serving version's meta.json, if the home has one. */
function strategyOfHome(home: string): string | undefined {
  const strategy = metaOfHome(home)?.strategy;
  return typeof strategy === 'string' ? strategy : undefined;
}

/** The serving version's meta.json, if the home has one that parses. */
function metaOfHome(home: string): { strategy?: unknown; strategyFile?: unknown } | undefined {
  const version = existsSync(home) ? currentVersion(home) : undefined;
  if (!version) return undefined;
  const file = path.join(versionDir(home, version), 'meta.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { strategy?: unknown; strategyFile?: unknown };
  } catch {
    return undefined;
  }
}

/**
 * What to do when `--strategy` names a portfolio strategy on a home that is not a portfolio one (bot retrain reads a
 * portfolio home's markets from it): `--model` was given, so asking for it again said nothing.
 */
function portfolioStrategyAdvice(model: string | undefined): string {
  if (model === undefined) return 'give --model FOLDER, the portfolio model home to retrain';
  const market = homeMarket(model);
  const own = strategyOfHome(model);
  if (market === undefined && own === undefined)
    return `model ${model} holds no model to retrain; give --model FOLDER, a portfolio model home`;
  const what = [market ? describeMarket(market) : undefined, own ? `strategy ${own}` : undefined].filter(Boolean);
  return (
    `model ${model} is a single-market model (${what.join(', ')}); leave out --strategy to retrain it with its own ` +
    'strategy, or give --model FOLDER, a portfolio model home'
  );
}

/**
 * Warns when the newest candle closed by the clock that the store holds is more than one candle older than the newest
 * the clock has closed (a `--now` far after the stored history, with the exchange down or serving nothing newer): the
 * retrain then trains and judges on stale data, which one "could not refresh" line did not say.
 */
function warnStale(candles: Candles, now: number, logger: Logger): void {
  const n = candles.ts.length;
  if (n === 0) return;
  const step = timeframeMs(candles.timeframe);
  const missing = Math.floor((closedBy(now, candles.timeframe) - candles.ts[n - 1]) / step);
  if (missing < 2) return;
  const hours = (missing * step) / 3_600_000;
  const age = hours >= 48 ? `${(hours / 24).toFixed(1)} days` : `${hours.toFixed(1)} hours`;
  const market = marketOf(candles);
  logger.warn(
    `retrain: the newest stored candle of ${describeMarket(market)} opens at ${isoTime(candles.ts[n - 1])}, ` +
      `${missing} candles (${age}) before the newest the clock (${isoTime(now)}) has closed: this retrain trains ` +
      `and judges on stale data; ${storeAdvice(market, 'the later ones')}`,
  );
}

/**
 * Refuses a `--model` that is a file, or that does not exist unless it is the strategy's default home
 * (`<agent.modelsDir>/<strategy>`, which a first retrain may start): a typo in --model made a new home, with a lock
 * file and a failed retrain, or a newly trained model that the runs serving the intended home never saw.
 */
function checkModelPath(model: string, defaultHome?: string): void {
  if (existsSync(model)) {
    if (!statSync(model).isDirectory())
      throw new UserError(`--model ${model} is a file, not a model folder (a model home: a folder with the model)`);
    return;
  }
  if (defaultHome !== undefined && path.resolve(model) === path.resolve(defaultHome)) return;
  throw new UserError(
    `--model ${model}: no such folder; a retrain promotes into an existing model home (to start a new one, ` +
      `create the folder${defaultHome ? `, or leave out --model for ${defaultHome}` : ''})`,
  );
}

/** `bot retrain` once: refresh history from the exchange (stored candles if it is down), then retrainOnce. */
export async function runRetrainJob(job: RetrainJob): Promise<RetrainResult> {
  const { logger } = job;
  const clock = job.clock ?? Date.now;
  if (job.model !== undefined && existsSync(job.model)) checkModelPath(job.model);
  const name = job.strategy ?? (job.model ? retrainStrategyOfHome(job.model) : undefined);
  if (!name && !job.model) throw new UserError('give --model FOLDER (the model to retrain) or --strategy NAME');
  if (!name && job.model !== undefined) checkModelPath(job.model);
  if (!name) throw new UserError('--strategy is needed (the model folder does not say which strategy trained it)');
  // a portfolio strategy's home, when it holds a model, is retrained as a portfolio (src/cli/commands/retrain.ts)
  const strategy = await loadStrategy(name, portfolioStrategyAdvice(job.model));
  if (strategy.kind !== 'agent')
    throw new UserError(`strategy "${name}" is a rule strategy: there is nothing to retrain`);
  // loadStrategy has checked the recipe against the recipe and learner schemas
  const recipe = strategy.recipe;
  // a --strategy FILE outside strategies/: the challenger records it, and its home is chosen as bot backtest's
  const strategyFile = strategyFileOf(name);
  const modelsDir = job.config.agent.modelsDir;
  const defaultHome =
    strategyFile === undefined
      ? path.join(modelsDir, name)
      : job.model === undefined
        ? strategyHome(strategyFile, strategy.name, modelsDir, '--model HOME')
        : path.join(modelsDir, strategy.name);
  if (job.model !== undefined) checkModelPath(job.model, defaultHome);
  const home = job.model ?? defaultHome;
  const config = retrainMarket(home, job.config, job.named);
  const market = (c: TradingSettings) =>
    describeMarket({ exchange: c.exchange.id, symbol: c.symbol, timeframe: c.timeframe });
  if (market(config) !== market(job.config))
    logger.info(`retrain: ${home} serves ${market(config)} (its meta.json), not the config's ${market(job.config)}`);
  const { trainCandles, holdoutCandles } = config.trading.retrain;
  const need = recipeWarmup(recipe) + trainCandles + holdoutCandles;
  const step = timeframeMs(config.timeframe);
  const store = CandleStore.open(config.data.database);
  try {
    const since = clock() - (need + 2) * step;
    await refreshRetrainSeries(store, config, [config.symbol], { since, now: clock, logger });
    // the candles closed by the clock, none after: under `--now` (a replaying trader's child) the store may hold the
    // run's future, downloaded before the replay, and a retrain on it would promote with hindsight
    const closed = closedBy(clock(), config.timeframe) + 1;
    const all = store.load(config.exchange.id, config.symbol, config.timeframe, -Infinity, closed);
    // a stored-only origin's series is never newer than its last stored candle: nothing stale to say
    if (!storedOnly(config.exchange.id)) warnStale(all, clock(), logger);
    const from = Math.max(0, all.ts.length - need);
    const candles = {
      ...all,
      ts: all.ts.subarray(from),
      open: all.open.subarray(from),
      high: all.high.subarray(from),
      low: all.low.subarray(from),
      close: all.close.subarray(from),
      volume: all.volume.subarray(from),
    };
    await initBackend(config.ml.backend, logger);
    return await retrainOnce({
      config,
      logger,
      store,
      home,
      strategyName: strategyFile === undefined ? name : strategy.name,
      ...(strategyFile ? { strategyFile } : {}),
      recipe,
      candles,
      train: job.train ?? trainChallenger,
      seed: job.seed,
      epochs: job.epochs,
      clock,
      scheduled: job.scheduled,
      retryHoldout: job.retryHoldout,
    });
  } finally {
    store.close();
  }
}
