/**
 * `bot retrain --symbols A,B --model models/<portfolio model>` (issue 14): one retrain of a learned portfolio model,
 * by the rules of the single-market retrain (src/trading/retrain.ts). It refreshes every traded and informative
 * series from the exchange (the stored candles if it is down), aligns the markets on one clock, trains a challenger
 * with the model's own recipe (from its meta.json) on the sliding window before the holdout, into a staged version,
 * scores challenger and champion over the same holdout through the portfolio engine beside equal weights rebalanced
 * every K, and promotes with one pointer switch only a challenger that beats both (the champion by
 * `trading.retrain.minImprovement`). A model of the bundled sample retrains offline on the store's `sample`
 * series. A paper or live run of the home serves the new version from its next tick.
 *
 * A rule portfolio strategy (equal-weight) has no learned parameters: asking to retrain it is refused with one line.
 */
import { marketOf, sayModelMarket } from '../agents/model-market.ts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { equalWeightPolicy, loadPortfolioStrategy } from '../agents/portfolio-strategy.ts';
import { agentPolicy, trainPortfolioAgent, type PortfolioTrainRequest } from '../agents/portfolio-agent.ts';
import { loadPortfolioAgent, savePortfolioAgent } from '../agents/portfolio-model.ts';
import { checkModelSymbols, readPortfolioModelInfo, readPortfolioRecipe } from '../agents/portfolio-model-meta.ts';
import { portfolioModelSymbols } from '../agents/portfolio-model-symbols.ts';
import {
  checkPointedModel,
  currentVersion,
  resolveModel,
  stageVersion,
  versionDir,
  type StagedVersion,
} from '../agents/model-pointer.ts';
import { shortError } from '../data/exchange.ts';
import { CandleStore } from '../data/store.ts';
import { alignSeries, candlesFrom } from '../data/timeline.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';
import { modelMarketCosts, presetCosts, type Costs } from '../market/costs.ts';
import { runPortfolioBacktest, type PortfolioPolicy, type PortfolioResult } from '../market/portfolio-engine.ts';
import { portfolioModelMetrics, resultFigures } from '../backtest/portfolio-backtest.ts';
import { initBackend } from '../nn/backend/backend.ts';
import type { TradingSettings } from './config.ts';
import { nothingStored, retrainMarket, type NamedMarket } from './retrain-market.ts';
import { fairHoldout } from './retrain-holdout.ts';
import { honestDecision, type TrialOptions } from './holdout-trials.ts';
import { ensureTradingSchema } from './db.ts';
import { portfolioCostsName } from './retrain-costs.ts';
import { closedBy } from './run-holder.ts';
import { refreshRetrainSeries } from './derived-refresh.ts';
import {
  challengerName,
  lockHome,
  promotionDecision,
  shortHoldoutWarning,
  removeStaleStaging,
  retrainRecord,
  settleChallenger,
  type HoldoutActivity,
  type RetrainResult,
} from './retrain.ts';

/** What a portfolio challenger is trained from (the learner's request); the trainer saves a model folder into `dir`. */
interface PortfolioChallengerRequest extends Omit<PortfolioTrainRequest, 'onEpoch'> {
  strategyName: string;
  modelName: string;
  epochs: number;
  dir: string;
  /** Open time of the holdout's first candle: the window the challenger is judged on. */
  holdoutFrom: number;
}

/** Trains a portfolio challenger into `req.dir` (default: trainPortfolioChallenger; tests inject others). */
type PortfolioChallengerTrainer = (req: PortfolioChallengerRequest) => Promise<void>;

/**
 * The real challenger: the portfolio learner on random episodes of the window, saved as `bot backtest` saves, with
 * its figures over the holdout (return, Sharpe, drawdown, trades) as meta.json `metrics.holdout`: it has no
 * validation set of its own to record, as a single market's challenger has (the verdict scores the saved folder).
 */
async function trainPortfolioChallenger(req: PortfolioChallengerRequest): Promise<void> {
  const agent = trainPortfolioAgent(req);
  try {
    const tl = alignSeries(req.traded);
    // open times, not days: a day would reach past the window's end into the holdout, and the next retrain would
    // take this model, once promoted, to be in sample there (retrain-holdout.ts)
    const at = (i: number) => isoTime(tl.ts[i]);
    const policy = agentPolicy(req.modelName, () => agent, agent.recipe.episodeLength);
    const holdout = resultFigures(holdoutRun(req.traded, req.holdoutFrom, req, policy));
    await savePortfolioAgent(req.dir, agent, {
      name: req.modelName,
      strategy: req.strategyName,
      seed: req.seed,
      trainingWindow: { from: at(req.range.from), to: at(req.range.to - 1) },
      market: { exchange: req.traded[0].exchange, timeframe: req.traded[0].timeframe },
      metrics: portfolioModelMetrics(req.traded, { holdout }),
    });
  } finally {
    agent.dispose();
  }
}

interface PortfolioRetrainJob extends TrialOptions {
  config: TradingSettings;
  logger: Logger;
  symbols: readonly string[];
  strategy?: string;
  model?: string;
  /** Equal weights' rebalance period (the baseline) and the rebalance band, as on `bot backtest --symbols`. */
  every: number;
  band: number;
  /**
   * `--market-costs`: a preset name per market, over the config's `account.markets` (as the paper or live run has
   * it); the names are what the row's `costs` records.
   */
  marketCosts?: Readonly<Record<string, string>>;
  epochs?: number;
  seed?: number;
  clock?: () => number;
  /** The market flags given on the command line: checked against the market the home serves (retrain-market.ts). */
  named?: NamedMarket;
  train?: PortfolioChallengerTrainer;
}

/**
 * The markets of the portfolio model `home` serves, or undefined when it serves none (no model yet, or one market):
 * `bot retrain --model` of a portfolio home needs no --symbols, as a home serves one list of markets.
 */
export function portfolioHomeSymbols(home: string): string[] | undefined {
  const version = existsSync(home) ? currentVersion(home) : undefined;
  if (!version) return undefined;
  // CURRENT naming a version with no saved model gets its own line: read as a one-market home, it was asked for a
  // --strategy (audit, session 38)
  const pointed = { dir: versionDir(home, version), version };
  checkPointedModel(home, pointed);
  return portfolioModelSymbols(pointed.dir);
}

/**
 * Checks a portfolio retrain before any network or disk work: the model home holds a portfolio model trading
 * `--symbols` in its order (a rule strategy, or a home that is not one, gets one line saying why).
 */
export async function checkPortfolioRetrain(
  job: Pick<PortfolioRetrainJob, 'config' | 'symbols' | 'strategy' | 'model' | 'named'> & {
    /** The markets are the home's (portfolioHomeSymbols), not a --symbols the user gave. */
    symbolsOfHome?: boolean;
  },
): Promise<{ home: string; dir: string; config: TradingSettings }> {
  if (job.strategy !== undefined) {
    // without --symbols, the portfolio home is what made this a portfolio retrain: say so, not to use --symbols
    const ofHome =
      job.symbolsOfHome && job.model !== undefined
        ? `model ${job.model} is a portfolio model trading ${job.symbols.join(',')}: leave out --strategy to ` +
          'retrain it with its own strategy'
        : undefined;
    const strategy = await loadPortfolioStrategy(job.strategy, ofHome);
    if (!strategy.recipe)
      throw new UserError(
        `strategy "${strategy.name}" is a rule portfolio strategy: nothing to retrain; trade it with ` +
          `bot paper --symbols ${job.symbols.join(',')} --strategy ${strategy.name}`,
      );
  }
  if (job.strategy === undefined && job.model === undefined)
    throw new UserError('--model is needed with --symbols (the portfolio model home a retrain promotes into)');
  const home = job.model ?? path.join(job.config.agent.modelsDir, job.strategy as string);
  const { dir } = resolveModel(home);
  checkModelSymbols(home, dir, job.symbols);
  const info = readPortfolioModelInfo(dir);
  if (job.strategy !== undefined && job.strategy !== info.strategy)
    throw new UserError(`--model ${home} was trained by ${info.strategy}, not ${job.strategy}: leave out --strategy`);
  return { home, dir, config: retrainMarket(home, job.config, job.named, true) };
}

/** `bot retrain --symbols … --model …` once: refresh every series, then one retrain of the home. */
export async function runPortfolioRetrainJob(job: PortfolioRetrainJob): Promise<RetrainResult> {
  const { logger, symbols } = job;
  const clock = job.clock ?? Date.now;
  const { home, dir, config } = await checkPortfolioRetrain(job);
  const info = readPortfolioModelInfo(dir);
  const names = [...symbols, ...info.informative];
  const { trainCandles, holdoutCandles } = config.trading.retrain;
  const need = info.warmup + trainCandles + holdoutCandles;
  const since = clock() - (need + 2) * timeframeMs(config.timeframe);
  const store = CandleStore.open(config.data.database);
  try {
    await refreshRetrainSeries(store, config, names, { since, now: clock, logger });
    // the candles closed by the clock, none after (a replaying trader's child: see retrain-job.ts)
    const closed = closedBy(clock(), config.timeframe) + 1;
    const all = names.map((s) => store.load(config.exchange.id, s, config.timeframe, -Infinity, closed));
    const empty = all.find((c) => c.ts.length === 0);
    if (empty) {
      const market = { exchange: config.exchange.id, symbol: empty.symbol, timeframe: config.timeframe };
      throw new UserError(nothingStored(market));
    }
    // the newest `need` clock times of the traded markets (the first `warmup` of them are the features' history)
    const tl = alignSeries(all.slice(0, symbols.length));
    const fromTs = tl.ts[Math.max(0, tl.ts.length - need)];
    const cut = all.map((c) => candlesFrom(c, fromTs));
    await initBackend(config.ml.backend, logger);
    return await retrainPortfolioOnce(
      { ...job, config, clock, home, dir, strategyName: info.strategy, warmup: info.warmup },
      {
        traded: cut.slice(0, symbols.length),
        informative: cut.slice(symbols.length),
        store,
      },
    );
  } finally {
    store.close();
  }
}

/** What a holdout run is charged and starts with (the markets' costs, the balance, the rebalance band). */
interface HoldoutMoney {
  costs: readonly Costs[];
  balance: number;
  band: number;
}

/** A policy over the traded series from `fromTs` on, through the portfolio engine. */
function holdoutRun(traded: readonly Candles[], fromTs: number, o: HoldoutMoney, policy: PortfolioPolicy) {
  const { costs, balance, band } = o;
  return runPortfolioBacktest({ series: traded.map((c) => candlesFrom(c, fromTs)), costs, balance, band, policy });
}

/** Total return of a policy over the holdout (holdoutRun). */
function holdoutReturn(traded: readonly Candles[], fromTs: number, o: HoldoutMoney, policy: PortfolioPolicy): number {
  return holdoutRun(traded, fromTs, o, policy).finalValue / o.balance - 1;
}

/**
 * How a portfolio traded on the holdout, as a single market's score says it: its fills (one per market rebalanced)
 * and the share of clock times it closed holding any market. Without it the retrain's no-trade bar (promotionDecision)
 * never applied to a portfolio: a challenger that kept its cash (a recipe with `cash`) won any falling holdout with
 * flat's 0.00%.
 */
function portfolioActivity(r: PortfolioResult): HoldoutActivity {
  const len = r.equity.length;
  let held = 0;
  for (let t = 0; t < len; t++) if (r.weights.some((w) => w[t] > 0)) held++;
  return { trades: r.fills.length, exposure: len > 0 ? held / len : 0 };
}

/** Holdout return and activity of a saved portfolio model folder (its own scalers; P/L from the holdout's start). */
async function scoreModel(
  dir: string,
  traded: readonly Candles[],
  informative: readonly Candles[],
  fromTs: number,
  o: HoldoutMoney,
): Promise<{ totalReturn: number; activity: HoldoutActivity }> {
  const agent = await loadPortfolioAgent(dir, traded, informative);
  try {
    const policy = agentPolicy(path.basename(dir), () => agent, agent.recipe.episodeLength);
    const run = holdoutRun(traded, fromTs, o, policy);
    return { totalReturn: run.finalValue / o.balance - 1, activity: portfolioActivity(run) };
  } finally {
    agent.dispose();
  }
}

async function retrainPortfolioOnce(
  o: PortfolioRetrainJob & { clock: () => number; home: string; dir: string; strategyName: string; warmup: number },
  data: { traded: Candles[]; informative: Candles[]; store: CandleStore },
): Promise<RetrainResult> {
  const { config, logger, home, clock, symbols } = o;
  const { traded, informative } = data;
  const db = data.store.db;
  ensureTradingSchema(db);
  const lock = lockHome(home, config);
  // read under the lock: the champion this retrain's verdict is about (settleChallenger promotes only over it)
  let champion: ReturnType<typeof resolveModel>;
  try {
    champion = resolveModel(home);
  } catch (e) {
    lock.release();
    throw e;
  }
  removeStaleStaging(home, db, clock, logger);
  const challengerVersion = challengerName(db, home, clock());
  const baseline = `equal weights rebalanced every ${o.every}`;
  // the series the row names and the holdout's earlier trials are counted on (holdout-trials.ts)
  const series = { exchange: config.exchange.id, symbol: symbols.join(','), timeframe: config.timeframe };
  const finish = retrainRecord(
    db,
    {
      ...series,
      strategy: o.strategyName,
      home,
      championVersion: champion.version,
      challengerVersion,
      scheduled: o.scheduled,
      retryHoldout: o.retryHoldout,
      baseline,
    },
    clock,
    logger,
  );
  let stage: StagedVersion | undefined;
  try {
    sayModelMarket(home, champion.dir, marketOf(traded), (line) => logger.warn(line));
    const recipe = readPortfolioRecipe(champion.dir);
    const { trainCandles, holdoutCandles, epochs, minImprovement, promoteWithoutTrades } = config.trading.retrain;
    const tl = alignSeries(traded);
    const n = tl.ts.length;
    if (n < o.warmup + trainCandles + holdoutCandles)
      throw new UserError(
        `${n} candle times are too few to retrain (warm-up ${o.warmup} + window ${trainCandles} + ` +
          `holdout ${holdoutCandles}): store more candles, or lower trading.retrain.trainCandles / ` +
          'trading.retrain.holdoutCandles',
      );
    // the champion judged out of its own sample (retrain-holdout.ts); the challenger trains right before the holdout
    const fair = fairHoldout(tl.ts, holdoutCandles, champion.dir, config.timeframe, logger);
    const { championTrainedTo } = fair;
    const said = {
      baseline,
      championVersion: champion.version,
      challengerVersion,
      ...(championTrainedTo ? { championTrainedTo } : {}),
    };
    const spanFrom = (from: number) => ({ from: isoTime(tl.ts[from]), to: isoTime(tl.ts[n - 1]) });
    if ('refused' in fair)
      return finish({ outcome: 'skipped', reason: fair.refused, ...said, holdout: spanFrom(n - holdoutCandles) });
    const holdoutFrom = fair.from;
    const range = { from: holdoutFrom - trainCandles, to: holdoutFrom };
    logger.info(
      `retrain ${o.strategyName}: window ${isoTime(tl.ts[range.from])} … ${isoTime(tl.ts[range.to - 1])}, ` +
        `holdout ${isoTime(tl.ts[holdoutFrom])} … ${isoTime(tl.ts[n - 1])}`,
    );
    // each market's costs as its paper and live runs use them: the recipe's, then account.markets, then --market-costs
    const flagged = o.marketCosts ?? {};
    const costs = modelMarketCosts(symbols, recipe.costs, config.account, presetCosts(flagged)).map((c) => c.costs);
    const judgedAt = portfolioCostsName(symbols, recipe.costs, config.account, flagged);
    const money = { costs, balance: config.account.balance, band: o.band };
    const fromTs = tl.ts[holdoutFrom];
    stage = stageVersion(home, challengerVersion);
    await (o.train ?? trainPortfolioChallenger)({
      recipe,
      strategyName: o.strategyName,
      modelName: path.basename(home),
      traded,
      informative,
      ...money,
      range,
      seed: o.seed ?? config.backtest.seed,
      epochs: o.epochs ?? epochs,
      dir: stage.dir,
      holdoutFrom: fromTs,
    });
    const challenger = await scoreModel(stage.dir, traded, informative, fromTs, money);
    const judgedChampion = await scoreModel(champion.dir, traded, informative, fromTs, money);
    const scores = {
      challenger: challenger.totalReturn,
      champion: judgedChampion.totalReturn,
      buyHold: holdoutReturn(traded, fromTs, money, equalWeightPolicy(traded.length, o.every)),
      activity: { challenger: challenger.activity, champion: judgedChampion.activity },
    };
    const span = { from: fromTs, to: tl.ts[n - 1] };
    const { trial, freeFrom, ...decision } = honestDecision(
      db,
      home,
      span,
      { holdoutCandles, series },
      promotionDecision(scores, minImprovement, baseline, promoteWithoutTrades),
      o,
    );
    finish.judged(scores, decision.reason, { ...span, trial, freeFrom });
    const versions = { champion: champion.version, challenger: challengerVersion };
    const verdict = settleChallenger(home, stage, versions, decision, spanFrom(holdoutFrom));
    stage = undefined;
    const free = freeFrom !== undefined ? { freeFrom: isoTime(freeFrom) } : {};
    const warning = shortHoldoutWarning(n - holdoutFrom);
    const warned = warning ? { warning } : {};
    return finish({
      ...verdict,
      ...said,
      scores,
      holdout: spanFrom(holdoutFrom),
      costs: judgedAt,
      holdoutTrial: trial,
      ...free,
      ...warned,
    });
  } catch (e) {
    stage?.discard();
    return finish({
      outcome: 'failed',
      reason: shortError(e),
      baseline,
      championVersion: champion.version,
      challengerVersion,
    });
  } finally {
    lock.release();
  }
}
