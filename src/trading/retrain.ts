/** One retrain: a challenger trained on a sliding window, scored against the champion on a holdout, promoted or not. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Candles } from '../core/candles.ts';
import { isoTime } from '../data/timeframe.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { loadAgent } from '../agents/load-agent.ts';
import { describeMarket, marketOf, sayModelMarket, type ModelMarket } from '../agents/model-market.ts';
import { nothingStored, storeAdvice } from './retrain-market.ts';
import type { AgentRecipe } from '../agents/recipe.ts';
import { recipeCosts, recipeSizing } from '../agents/setup.ts';
import { recipeWarmup } from '../agents/recipe-reach.ts';
import type { Fold, IndexRange } from '../agents/splits.ts';
import { runBacktest } from '../market/backtest-engine.ts';
import { computeMetrics } from '../market/metrics.ts';
import { buyAndHoldPolicy } from '../agents/rule-policies.ts';
import type { CandleStore } from '../data/store.ts';
import { shortError } from '../data/exchange.ts';
import { ensureTradingSchema } from './db.ts';
import { costsName } from './retrain-costs.ts';
import { closeKilledRetrains } from './killed-retrains.ts';
import { sweepUnpromoted } from './unpromoted-versions.ts';
import { processAlive } from '../core/process-alive.ts';
import { fairHoldout } from './retrain-holdout.ts';
import {
  HOME_LOCK_FILE,
  honestDecision,
  recordRejectedTrial,
  rejectedVersions,
  upgradeTrials,
  type HoldoutSpan,
  type TrialOptions,
} from './holdout-trials.ts';
import { acquireFileLock, type Lock } from './lock.ts';
import { watchedRetrain } from './parent-watch.ts';
import {
  canonicalHome,
  currentVersion,
  markPromoting,
  newVersionName,
  promoteVersion,
  removeStaging,
  stageVersion,
  versionDir,
  versionNames,
  type StagedVersion,
} from '../agents/model-pointer.ts';
import { checkEnsembleRecipe, type EnsembleKind, type EnsembleMeta } from '../agents/ensemble.ts';
import { isEnsembleKind } from '../agents/ensemble-kind.ts';
import { recordHoldout } from '../agents/version-sample.ts';
import type { TradingSettings } from './config.ts';
import type { Costs } from '../market/costs.ts';

/** How a model traded on the holdout: its fills (buys + sells) and the share of candles it closed in a position. */
export interface HoldoutActivity {
  trades: number;
  exposure: number;
}

/** What a challenger is judged on: total return over the holdout after costs, through the backtest engine. */
interface HoldoutScores {
  challenger: number;
  champion: number | null;
  buyHold: number;
  /**
   * How the challenger and the champion (null without one) traded on the holdout: a challenger that never trades
   * scores flat's 0.00%, which beats any falling champion and buy-and-hold without a sign of skill.
   */
  activity?: { challenger: HoldoutActivity; champion: HoldoutActivity | null };
}

/** A verdict reached on a holdout shorter than this many candles carries a warning (RetrainResult.warning). */
const SHORT_HOLDOUT = 30;

/** `skipped`: no verdict, the champion could not be judged out of its own sample (retrain-holdout.ts). */
type RetrainOutcome = 'promoted' | 'rejected' | 'failed' | 'skipped';

export interface RetrainResult {
  outcome: RetrainOutcome;
  /** What `scores.buyHold` measured when it is not buy-and-hold (a portfolio: equal weights rebalanced every K). */
  baseline?: string;
  reason: string;
  scores?: HoldoutScores;
  championVersion?: string;
  challengerVersion?: string;
  holdout?: { from: string; to: string };
  /** The end of the champion's training window as its meta.json records it ('not recorded' when it does not). */
  championTrainedTo?: string;
  /** The costs all three were judged at (the challenger's recipe's: what the home's runs pay once it is promoted). */
  costs?: string;
  /** This challenger's place among those judged on candles of its holdout (1: the first; holdout-trials.ts). */
  holdoutTrial?: number;
  /**
   * A winner not promoted because earlier challengers lost on its holdout: the first time a retrain is free of them
   * (holdout-trials.ts), as the reason names it.
   */
  freeFrom?: string;
  /** A verdict reached on fewer than SHORT_HOLDOUT candles: one line saying so, printed after the verdict. */
  warning?: string;
}

/** The warning a verdict on `candles` holdout candles carries, if any (RetrainResult.warning). */
export function shortHoldoutWarning(candles: number): string | undefined {
  if (candles >= SHORT_HOLDOUT) return undefined;
  return (
    `decided on ${candles} candles: a short holdout says little (one lucky move can decide it); ` +
    `trading.retrain.holdoutCandles of ${SHORT_HOLDOUT} or more`
  );
}

/**
 * A retrain's verdict carried out (one-market and portfolio alike). The challenger waits in its staging folder until
 * now: a loser's is deleted (its scores stay in trading_retrains), so a retrain that fails or is killed before its
 * verdict leaves only a `.staging-*` folder, which removeStaleStaging clears; one killed between the commit and the
 * switch of CURRENT leaves a `versions/<version>` that was not promoted (the dashboard lists those as the home's
 * versions), which closeKilledRetrains removes. A winner is committed to `versions/<version>` and
 * CURRENT switched to it, but only while CURRENT still names the champion it was judged against: a retrain on
 * another host sharing the folder, or one that took the home's lock over as stale, may have promoted meanwhile, and a
 * challenger is not put over a model it was not compared with. A winner's meta.json records the `holdout` it won on
 * and its promotion time (`promotedAt`).
 */
export function settleChallenger(
  home: string,
  stage: StagedVersion,
  versions: { champion: string | undefined; challenger: string },
  decision: { promote: boolean; reason: string },
  holdout: { from: string; to: string },
): { outcome: 'promoted' | 'rejected'; reason: string } {
  if (!decision.promote) {
    stage.discard();
    return { outcome: 'rejected', reason: decision.reason };
  }
  const serving = currentVersion(home);
  if (serving !== versions.champion) {
    stage.discard();
    return {
      outcome: 'rejected',
      reason:
        `${decision.reason}, but CURRENT changed from ${versions.champion ?? 'none'} to ${serving ?? 'none'} ` +
        `during this retrain (another retrain of the home?): not promoted over a model it was not compared with`,
    };
  }
  // chosen on the holdout: a paper run lets it decide no candle up to the holdout's end (version-sample.ts), nor one
  // that closed before now, on the wall clock (a `--now` retrain's is a replay's): a clocked run decided those already
  recordHoldout(stage.dir, holdout, Date.now());
  // marked until CURRENT names it: a kill before that leaves a folder any later retrain can tell from a promoted one
  markPromoting(stage.dir);
  stage.commit();
  promoteVersion(home, versions.challenger);
  return { outcome: 'promoted', reason: decision.reason };
}

/** The file in a model home that holds its retrain lock (a SQLite file of its own, see lockHome). */
export { HOME_LOCK_FILE };

/**
 * Takes the retrain lock of a model home, `retrain:<home>`. It lives in the home itself (HOME_LOCK_FILE), not in the
 * `--db` database: held there, two retrains of one folder through two databases each took a lock of their own and
 * both trained. It is named by the home's real path (canonicalHome), so a home reached through a symlink is the same
 * home: named by the path as given, two retrains of one folder took two locks and trained and promoted side by side.
 * Releasing it closes the lock file's connection; the file stays for the next retrain. Taking it brings the file's
 * rejected challengers' table up to date (holdout-trials.ts).
 */
export function lockHome(home: string, config: TradingSettings): Lock {
  const canonical = canonicalHome(home);
  try {
    mkdirSync(canonical, { recursive: true });
  } catch (e) {
    throw new UserError(`cannot take the retrain lock of ${home}: ${shortError(e)}`);
  }
  return acquireFileLock(
    path.join(canonical, HOME_LOCK_FILE),
    `retrain:${canonical}`,
    config.trading.lockStaleSeconds * 1000,
    `the retrain lock of ${home}`,
    // the file's rejected challengers (holdout-trials.ts): one of a newer bot's schema is refused before the lock
    { prepare: upgradeTrials },
  );
}

/**
 * Removes the staging folders a killed retrain of `home` left behind (its child SIGKILLed after the grace period, a
 * crash, a power cut), logging one line naming them, and closes the `trading_retrains` rows such a retrain left
 * `running` in `db` (outcome `failed`, the reason saying it was killed), which the dashboard read as running for good.
 * Called with the home's retrain lock held, so no other retrain of the home runs (the lock's heartbeat and pid say
 * so); a staging folder or row whose writer (the pid its version name ends in) still runs on this host is kept all
 * the same: this process's own, or one whose lock was taken over as stale. A writer on another host that took the
 * lock over as stale is not seen: its staging folder could be removed, and that retrain then fails at its scoring or
 * commit, leaving CURRENT untouched.
 */
export function removeStaleStaging(home: string, db: CandleStore['db'], clock: () => number, logger: Logger): void {
  try {
    const removed = removeStaging(home, (pid) => !processAlive(pid));
    if (removed.length)
      logger.warn(`retrain: removed ${removed.length} leftover(s) of a killed retrain: ${removed.join(', ')}`);
  } catch (e) {
    logger.warn(`retrain: could not remove a killed retrain's leftovers (${shortError(e)})`);
  }
  closeKilledRetrains(home, db, clock, logger, (pid) => !processAlive(pid));
  // whatever database recorded them: a killed retrain's unpromoted versions/<version>, by its promotion mark
  sweepUnpromoted(home, db, logger);
}

/**
 * Promote only a challenger that beats the serving champion by `minImprovement` and beats the baseline (buy-and-hold
 * for one market; a portfolio's equal weights rebalanced every K, held in `buyHold`), and that traded on the holdout
 * unless `promoteWithoutTrades` (trading.retrain.promoteWithoutTrades): a challenger that never trades keeps its cash,
 * and that beats every champion and baseline that lost on a falling holdout.
 */
export function promotionDecision(
  s: HoldoutScores,
  minImprovement: number,
  baseline = 'buy-and-hold',
  promoteWithoutTrades = false,
): { promote: boolean; reason: string } {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  if (!(s.challenger > s.buyHold))
    return { promote: false, reason: `challenger ${pct(s.challenger)} does not beat ${baseline} ${pct(s.buyHold)}` };
  if (s.champion !== null && !(s.challenger > s.champion + minImprovement)) {
    return {
      promote: false,
      reason:
        `challenger ${pct(s.challenger)} does not beat ` +
        `champion ${pct(s.champion)}${minImprovement ? ` by ${pct(minImprovement)}` : ''}`,
    };
  }
  const beats =
    `challenger ${pct(s.challenger)} beats` +
    ` ${s.champion !== null ? `champion ${pct(s.champion)} and ` : ''}${baseline} ${pct(s.buyHold)}`;
  if (s.activity?.challenger.trades === 0 && !promoteWithoutTrades)
    return {
      promote: false,
      reason:
        `${beats}, but made no trade on the holdout: its ${pct(s.challenger)} is flat's, no evidence of skill; ` +
        'not promoted (trading.retrain.promoteWithoutTrades promotes it all the same)',
    };
  return { promote: true, reason: beats };
}

export interface ChallengerRequest {
  config: TradingSettings;
  recipe: AgentRecipe;
  strategyName: string;
  /** The strategy's file when it is not in strategies/: the challenger's meta.json records it (src/agents/save.ts). */
  strategyFile?: string;
  modelName: string;
  candles: Candles;
  fold: Fold;
  seed: number;
  epochs: number;
  /** Empty folder the trained model must be saved into. */
  dir: string;
  logger: Logger;
  /** The champion is an ensemble of seeds: train as many, combined the same way (issue 13). */
  ensemble?: { kind: EnsembleKind; members: number };
}

/** The serving version's ensemble (kind and number of members) when it is one, read from its meta.json. */
function championEnsemble(home: string, version: string): { kind: EnsembleKind; members: number } | undefined {
  const dir = versionDir(home, version);
  const file = path.join(dir, 'meta.json');
  const meta = JSON.parse(readFileSync(file, 'utf8')) as { learner?: { ensemble?: Partial<EnsembleMeta> } };
  const e = meta.learner?.ensemble;
  if (!e || !Array.isArray(e.margins) || e.margins.length < 1) return undefined;
  // the saved key, not --ensemble, which a retrain never takes
  if (!isEnsembleKind(e.kind))
    throw new UserError(`model ${dir}: meta.json learner.ensemble.kind must be vote or mean`);
  return { kind: e.kind, members: e.margins.length };
}

/** Trains a challenger and saves it into `req.dir` (default: src/trading/train-challenger.ts; tests inject others). */
export type ChallengerTrainer = (req: ChallengerRequest) => Promise<void>;

interface RetrainOptions extends TrialOptions {
  config: TradingSettings;
  logger: Logger;
  store: CandleStore;
  /** Model home: `models/<name>` (its pointer is what a paper run with --model follows). */
  home: string;
  strategyName: string;
  /** The strategy's file when it is not in strategies/ (ChallengerRequest). */
  strategyFile?: string;
  recipe: AgentRecipe;
  /** Candles of the market, oldest first, newest closed last (already refreshed from the exchange). */
  candles: Candles;
  train: ChallengerTrainer;
  seed?: number;
  epochs?: number;
  clock?: () => number;
}

/**
 * Total return of a saved agent over `range` of `candles`, with the backtest engine, the agent's own scaler and
 * sizing, and the `costs` every score of one retrain is judged at (not the agent's own recipe's: a champion trained by
 * another strategy was charged other costs than the challenger and buy-and-hold, see retrainOnce).
 */
async function scoreModel(
  dir: string,
  candles: Candles,
  range: IndexRange,
  config: TradingSettings,
  costs: Costs,
): Promise<{ totalReturn: number; activity: HoldoutActivity; ownCosts: string }> {
  const agent = await loadAgent(dir);
  try {
    const result = runBacktest({
      ...agent.observationSource(candles),
      range,
      costs,
      balance: config.account.balance,
      sizing: recipeSizing(agent.recipe, config.backtest),
      policy: agent.policy,
    });
    const { totalReturn, trades, exposure } = computeMetrics(result, candles.timeframe);
    return { totalReturn, activity: { trades, exposure }, ownCosts: agent.recipe.costs };
  } finally {
    agent.dispose();
  }
}

/**
 * A name for this retrain's challenger that sorts after every version the home holds, every challenger this
 * database recorded for it and every rejected one the home keeps (rejected ones leave no folder), so successive
 * retrains on one fixed clock (`--now`) get distinct, ordered names, through one database or several. Called under
 * the home's retrain lock.
 */
export function challengerName(db: CandleStore['db'], home: string, now: number): string {
  const recorded = db
    .prepare(
      'SELECT challenger_version FROM trading_retrains WHERE model_dir IN (?, ?) AND challenger_version IS NOT NULL',
    )
    .pluck()
    .all(canonicalHome(home), path.resolve(home)) as string[];
  return newVersionName(now, [...versionNames(home), ...recorded, ...rejectedVersions(home)]);
}

/** Records a retrain's outcome (RetrainRecord). */
interface RetrainFinish {
  (r: RetrainResult): RetrainResult;
  /**
   * Writes the scores and the verdict's reason into the row, still `running`, before the verdict is carried out: a
   * retrain killed right after switching CURRENT is then closed as promoted with them (closeKilledRetrains); and the
   * holdout's span with this challenger's place among those judged on it (holdout-trials.ts).
   */
  judged(scores: HoldoutScores, reason: string, holdout: HoldoutSpan & { trial: number; freeFrom?: number }): void;
}

/**
 * The `trading_retrains` row of one retrain, inserted as running; the returned `finish` records the outcome and the
 * scores, logs one line, and hands the result back (single-market and portfolio retrains alike).
 */
export function retrainRecord(
  db: CandleStore['db'],
  row: {
    exchange: string;
    symbol: string;
    timeframe: string;
    strategy: string;
    home: string;
    championVersion: string | undefined;
    challengerVersion: string;
    /** A schedule runs it (`--schedule`, or a trader's `--retrain` child): see holdout-trials.ts. */
    scheduled?: boolean;
    /** The user gave `--retry-holdout` (holdout-trials.ts). */
    retryHoldout?: boolean;
    /**
     * What `buy_hold_score` measures (RetrainResult.baseline; buy-and-hold when not given): the dashboard labelled a
     * portfolio's equal weights buy-and-hold (audit, session 38).
     */
    baseline?: string;
  },
  clock: () => number,
  logger: Logger,
): RetrainFinish {
  const rowId = Number(
    db
      .prepare(
        `INSERT INTO trading_retrains (started_at, exchange, symbol, timeframe, strategy, model_dir,
          champion_version, challenger_version, scheduled, retry_holdout, baseline, outcome)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running')`,
      )
      .run(
        clock(),
        row.exchange,
        row.symbol,
        row.timeframe,
        row.strategy,
        canonicalHome(row.home),
        row.championVersion ?? null,
        row.challengerVersion,
        row.scheduled ? 1 : 0,
        row.retryHoldout ? 1 : 0,
        row.baseline ?? 'buy-and-hold',
      ).lastInsertRowid,
  );
  // a trader's child: if the trader dies, its watch closes this row and removes the staging folder (parent-watch.ts)
  watchedRetrain({ db: db.name, rowId, home: canonicalHome(row.home), version: row.challengerVersion });
  let judgedOn: HoldoutSpan | undefined;
  const finish = (r: RetrainResult): RetrainResult => {
    // a row another process closed stays as it said (a child whose trader is gone closed its own, parent-watch.ts)
    db.prepare(
      `UPDATE trading_retrains SET finished_at = ?, champion_score = ?,
        challenger_score = ?, buy_hold_score = ?, outcome = ?, reason = ?, costs = ?
        WHERE id = ? AND outcome = 'running'`,
    ).run(
      clock(),
      r.scores?.champion ?? null,
      r.scores?.challenger ?? null,
      r.scores?.buyHold ?? null,
      r.outcome,
      r.reason,
      r.costs ?? null,
      rowId,
    );
    if (r.outcome === 'rejected' && judgedOn) {
      try {
        const series = { exchange: row.exchange, symbol: row.symbol, timeframe: row.timeframe };
        recordRejectedTrial(row.home, row.challengerVersion, { span: judgedOn, series }, row.scheduled === true);
      } catch (e) {
        logger.warn(`retrain: could not record the rejected challenger in ${row.home} (${shortError(e)})`);
      }
    }
    const line = `retrain ${row.strategy} → ${row.home}: ${r.outcome} (${r.reason})`;
    const { championVersion, challengerVersion } = row;
    const { holdout, championTrainedTo } = r;
    if (r.outcome === 'failed') logger.error(line, { ...r.scores });
    else if (r.outcome === 'skipped') logger.warn(line, { holdout, championTrainedTo });
    else logger.info(line, { scores: r.scores, championVersion, challengerVersion, holdout, championTrainedTo });
    if (r.warning) logger.warn(`retrain ${row.strategy} → ${row.home}: ${r.warning}`);
    return r;
  };
  const judged = (s: HoldoutScores, reason: string, h: HoldoutSpan & { trial: number; freeFrom?: number }): void => {
    judgedOn = { from: h.from, to: h.to };
    const a = s.activity;
    db.prepare(
      `UPDATE trading_retrains SET champion_score = ?, challenger_score = ?, buy_hold_score = ?, reason = ?,
        holdout_from = ?, holdout_to = ?, holdout_trial = ?, free_from = ?, challenger_trades = ?,
        challenger_exposure = ?, champion_trades = ?, champion_exposure = ? WHERE id = ? AND outcome = 'running'`,
    ).run(
      ...[s.champion, s.challenger, s.buyHold, reason, h.from, h.to, h.trial, h.freeFrom ?? null],
      ...[a?.challenger.trades ?? null, a?.challenger.exposure ?? null],
      ...[a?.champion?.trades ?? null, a?.champion?.exposure ?? null, rowId],
    );
  };
  return Object.assign(finish, { judged });
}

/**
 * Why a retrain has no candles: none stored for the market, or (a `--now` before them) all stored ones open after
 * the clock's newest closed candle, which "none are stored" misstated.
 */
function noneClosed(store: CandleStore, market: ModelMarket, now: number): string {
  const first = store.firstTs(market.exchange, market.symbol, market.timeframe);
  if (first === undefined) return nothingStored(market);
  return (
    `candles of ${describeMarket(market)} are stored, but none closed by ${isoTime(now)} (the clock, --now): the ` +
    `first opens at ${isoTime(first)}; ${storeAdvice(market, 'older ones')}, or give a later --now`
  );
}

/**
 * One retrain: sliding window of the newest candles → train a challenger on it → score challenger and champion on
 * the most recent holdout → promote (new version folder, then one pointer switch) only if the challenger wins and
 * beats buy-and-hold. Overlapping retrains of one model are refused by a lock. Every outcome, a failure included,
 * is logged and written to trading_retrains; a failure leaves the champion and the pointer untouched.
 */
export async function retrainOnce(o: RetrainOptions): Promise<RetrainResult> {
  const { config, logger, store, home, candles } = o;
  const clock = o.clock ?? Date.now;
  const db = store.db;
  ensureTradingSchema(db);
  const made = !existsSync(home);
  const lock = lockHome(home, config);
  removeStaleStaging(home, db, clock, logger);
  const championVersion = existsSync(home) ? currentVersion(home) : undefined;
  const challengerVersion = challengerName(db, home, clock());
  const finish = retrainRecord(
    db,
    {
      // the series the holdout's earlier trials are counted on (holdout-trials.ts)
      ...marketOf(candles),
      strategy: o.strategyName,
      home,
      championVersion,
      challengerVersion,
      scheduled: o.scheduled,
      retryHoldout: o.retryHoldout,
    },
    clock,
    logger,
  );
  let stage: StagedVersion | undefined;
  try {
    // a champion of another timeframe would be judged, and replaced, on candles it does not read
    if (championVersion)
      sayModelMarket(home, versionDir(home, championVersion), marketOf(candles), (line) => logger.warn(line));
    const { trainCandles, holdoutCandles, epochs, minImprovement, promoteWithoutTrades } = config.trading.retrain;
    const n = candles.ts.length;
    const warmup = recipeWarmup(o.recipe);
    const validation = Math.max(20, Math.floor(trainCandles * 0.2));
    const need = warmup + trainCandles + holdoutCandles;
    const market = marketOf(candles);
    if (n === 0) throw new UserError(noneClosed(store, market, clock()));
    if (n < need)
      throw new UserError(
        `${n} candles of ${describeMarket(market)} are too few to retrain (warm-up ${warmup} + window ` +
          `${trainCandles} + holdout ${holdoutCandles}): ${storeAdvice(market, 'older ones')}, or lower ` +
          'trading.retrain.trainCandles / trading.retrain.holdoutCandles',
      );
    // the champion judged out of its own sample: the holdout starts after it, or there is no verdict
    const champion = championVersion ? versionDir(home, championVersion) : undefined;
    const fair = fairHoldout(candles.ts, holdoutCandles, champion, candles.timeframe, logger);
    const { championTrainedTo } = fair;
    const said = { championVersion, challengerVersion, ...(championTrainedTo ? { championTrainedTo } : {}) };
    const spanFrom = (from: number) => ({ from: isoTime(candles.ts[from]), to: isoTime(candles.ts[n - 1]) });
    if ('refused' in fair)
      return finish({ outcome: 'skipped', reason: fair.refused, ...said, holdout: spanFrom(n - holdoutCandles) });
    // the challenger trains and selects on the window right before the holdout, never in it
    const holdout: IndexRange = { from: fair.from, to: n };
    const trainFrom = holdout.from - trainCandles;
    const fold: Fold = {
      index: 0,
      train: { from: trainFrom, to: holdout.from - validation },
      validation: { from: holdout.from - validation, to: holdout.from },
      test: holdout,
    };
    logger.info(
      `retrain ${o.strategyName}: window ${isoTime(candles.ts[trainFrom])} ` +
        `… ${isoTime(candles.ts[holdout.from - 1])}, ` +
        `holdout ${isoTime(candles.ts[holdout.from])} … ${isoTime(candles.ts[n - 1])}`,
    );
    const ensemble = championVersion ? championEnsemble(home, championVersion) : undefined;
    if (ensemble) {
      // the backtest's refusals, before any seed trains: a learnerChoice recipe trained every seed, then failed on
      // the network's outputs; a continuous head, then named --ensemble vote, a flag never given (audit, session 38)
      checkEnsembleRecipe(ensemble.kind, o.recipe, 'champion');
      logger.info(`retrain: the champion is a ${ensemble.kind} ensemble of ${ensemble.members} seeds`);
    }
    stage = stageVersion(home, challengerVersion);
    await o.train({
      config,
      recipe: o.recipe,
      strategyName: o.strategyName,
      ...(o.strategyFile ? { strategyFile: o.strategyFile } : {}),
      modelName: path.basename(home),
      candles,
      fold,
      seed: o.seed ?? config.backtest.seed,
      epochs: o.epochs ?? epochs,
      dir: stage.dir,
      logger,
      ...(ensemble ? { ensemble } : {}),
    });
    // one set of costs for all three: the challenger's recipe's, which the home's runs pay once it is promoted
    const costs = recipeCosts(o.recipe, config.account);
    const judgedAt = costsName(o.recipe.costs, config.account);
    // the champion scored is the version read under the lock, the one the verdict is about (settleChallenger)
    const judgedChampion = championVersion
      ? await scoreModel(versionDir(home, championVersion), candles, holdout, config, costs)
      : undefined;
    const championCosts = judgedChampion && costsName(judgedChampion.ownCosts, config.account);
    if (championCosts !== undefined && championCosts !== judgedAt)
      logger.info(
        `retrain: the champion trades at ${championCosts}; champion, challenger and buy-and-hold are all judged ` +
          `at the challenger's ${judgedAt}, which the home's runs pay once it is promoted`,
      );
    const judgedChallenger = await scoreModel(stage.dir, candles, holdout, config, costs);
    const scores: HoldoutScores = {
      challenger: judgedChallenger.totalReturn,
      champion: judgedChampion ? judgedChampion.totalReturn : null,
      activity: { challenger: judgedChallenger.activity, champion: judgedChampion?.activity ?? null },
      buyHold: computeMetrics(
        runBacktest({
          candles,
          window: 0,
          range: holdout,
          costs,
          balance: config.account.balance,
          sizing: { kind: 'all' },
          policy: buyAndHoldPolicy(),
        }),
        candles.timeframe,
      ).totalReturn,
    };
    const span = { from: candles.ts[holdout.from], to: candles.ts[n - 1] };
    const { trial, freeFrom, ...decision } = honestDecision(
      db,
      home,
      span,
      // the series the row names (retrainRecord): trials on other candles do not count
      { holdoutCandles, series: marketOf(candles) },
      promotionDecision(scores, minImprovement, undefined, promoteWithoutTrades),
      o,
    );
    finish.judged(scores, decision.reason, { ...span, trial, freeFrom });
    const verdict = settleChallenger(
      home,
      stage,
      { champion: championVersion, challenger: challengerVersion },
      decision,
      spanFrom(holdout.from),
    );
    stage = undefined;
    const warning = shortHoldoutWarning(n - holdout.from);
    return finish({
      ...verdict,
      scores,
      ...said,
      holdout: spanFrom(holdout.from),
      costs: judgedAt,
      holdoutTrial: trial,
      ...(freeFrom !== undefined ? { freeFrom: isoTime(freeFrom) } : {}),
      ...(warning ? { warning } : {}),
    });
  } catch (e) {
    stage?.discard();
    return finish({ outcome: 'failed', reason: shortError(e), championVersion, challengerVersion });
  } finally {
    lock.release();
    if (made) removeIdleHome(home, logger);
  }
}

/**
 * Removes a model home that this retrain made (lockHome) and that holds nothing but its lock file and an empty
 * `versions/`: a first retrain of a new home that failed before its verdict leaves no folder behind. A rejected one
 * keeps the home, with one line saying why: its HOME_LOCK_FILE records the rejected challenger (holdout-trials.ts),
 * which the retries bar of the home's next retrains counts through any `--db` (the folder used to be removed with it,
 * and a retry through another database saw no earlier loser). Best effort: a folder left there is no harm.
 */
function removeIdleHome(home: string, logger: Logger): void {
  try {
    const idle = (name: string) =>
      name.startsWith(HOME_LOCK_FILE) || (name === 'versions' && readdirSync(path.join(home, name)).length === 0);
    if (!readdirSync(home).every(idle)) return;
    const trials = rejectedVersions(home).length;
    if (trials === 0) rmSync(home, { recursive: true, force: true });
    else
      logger.info(
        `retrain: kept ${home} (no model yet): its ${HOME_LOCK_FILE} records ${trials} rejected challenger(s), ` +
          "which the home's next retrains count on their holdout",
      );
  } catch {
    // kept
  }
}

interface RetrainRow {
  id: number;
  startedAt: number;
  finishedAt: number | null;
  strategy: string;
  modelDir: string;
  championVersion: string | null;
  challengerVersion: string | null;
  championScore: number | null;
  challengerScore: number | null;
  buyHoldScore: number | null;
  outcome: string;
  reason: string | null;
}

export function retrainHistory(store: CandleStore, limit = 20): RetrainRow[] {
  ensureTradingSchema(store.db);
  return store.db
    .prepare(
      `SELECT id, started_at AS startedAt, finished_at AS finishedAt,
              strategy, model_dir AS modelDir, champion_version AS championVersion,
              challenger_version AS challengerVersion,
              champion_score AS championScore, challenger_score AS challengerScore,
              buy_hold_score AS buyHoldScore, outcome, reason FROM trading_retrains ORDER BY id DESC LIMIT ?`,
    )
    .all(limit) as RetrainRow[];
}
