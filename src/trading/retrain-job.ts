/** `bot retrain` once: refresh history, then one retrain of a model home. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { downloadToStore } from '../data/download.ts';
import { createExchange, retryOptionsFrom, shortError } from '../data/exchange.ts';
import { CandleStore } from '../data/store.ts';
import { timeframeMs } from '../data/timeframe.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { recipeWarmup } from '../agents/setup.ts';
import { loadStrategy } from '../agents/strategy.ts';
import { initBackend } from '../nn/backend/backend.ts';
import { retrainOnce, type ChallengerTrainer, type RetrainResult } from './retrain.ts';
import { closedBy } from './run-holder.ts';
import { trainChallenger } from './train-challenger.ts';
import { currentVersion, versionDir } from '../agents/model-pointer.ts';
import type { TradingSettings } from './config.ts';
import { homeMarket, retrainMarket, type NamedMarket } from './retrain-market.ts';
import { describeMarket } from '../agents/model-market.ts';

interface RetrainJob {
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

/** The strategy recorded in the serving version's meta.json, if the home has one. */
function strategyOfHome(home: string): string | undefined {
  const version = existsSync(home) ? currentVersion(home) : undefined;
  if (!version) return undefined;
  const file = path.join(versionDir(home, version), 'meta.json');
  try {
    const meta = JSON.parse(readFileSync(file, 'utf8')) as { strategy?: unknown };
    return typeof meta.strategy === 'string' ? meta.strategy : undefined;
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

/** `bot retrain` once: refresh history from the exchange (stored candles if it is down), then retrainOnce. */
export async function runRetrainJob(job: RetrainJob): Promise<RetrainResult> {
  const { logger } = job;
  const clock = job.clock ?? Date.now;
  const name = job.strategy ?? (job.model ? strategyOfHome(job.model) : undefined);
  if (!name && !job.model) throw new UserError('give --model FOLDER (the model to retrain) or --strategy NAME');
  if (!name) throw new UserError('--strategy is needed (the model folder does not say which strategy trained it)');
  // a portfolio strategy's home, when it holds a model, is retrained as a portfolio (src/cli/commands/retrain.ts)
  const strategy = await loadStrategy(name, portfolioStrategyAdvice(job.model));
  if (strategy.kind !== 'agent')
    throw new UserError(`strategy "${name}" is a rule strategy: there is nothing to retrain`);
  // loadStrategy has checked the recipe against the recipe and learner schemas
  const recipe = strategy.recipe;
  const home = job.model ?? path.join(job.config.agent.modelsDir, name);
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
    try {
      await downloadToStore(
        store,
        createExchange(config),
        { exchange: config.exchange.id, symbol: config.symbol, timeframe: config.timeframe, since },
        { retry: retryOptionsFrom(config), now: clock },
      );
    } catch (e) {
      logger.warn(`retrain: could not refresh history (${shortError(e)}); using the stored candles`);
    }
    // the candles closed by the clock, none after: under `--now` (a replaying trader's child) the store may hold the
    // run's future, downloaded before the replay, and a retrain on it would promote with hindsight
    const closed = closedBy(clock(), config.timeframe) + 1;
    const all = store.load(config.exchange.id, config.symbol, config.timeframe, -Infinity, closed);
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
      strategyName: name,
      recipe,
      candles,
      train: job.train ?? trainChallenger,
      seed: job.seed,
      epochs: job.epochs,
      clock,
    });
  } finally {
    store.close();
  }
}
