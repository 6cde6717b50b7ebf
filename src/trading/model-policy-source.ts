/** A saved model home as the trader's policy source, following its pointer from tick to tick. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Candles } from '../core/candles.ts';
import { log } from '../core/log.ts';
import { UserError } from '../core/errors.ts';
import { shortError } from '../data/exchange.ts';
import { loadAgent, type LoadedAgent } from '../agents/load-agent.ts';
import type { AgentRecipe } from '../agents/recipe.ts';
import { recipeSizing } from '../agents/setup.ts';
import { recipeHistory } from '../agents/recipe-reach.ts';
import { runCosts } from '../market/costs.ts';
import { ObservationBuilder } from '../market/observation.ts';
import { checkSizing } from '../market/execution.ts';
import { Account } from '../market/account.ts';
import type { Costs } from '../market/costs.ts';
import { initBackend } from '../nn/backend/backend.ts';
import {
  canonicalHome,
  currentVersion,
  pointedModel,
  pointerStamp,
  resolveModel,
  savedVersionDir,
} from '../agents/model-pointer.ts';
import { checkModelMarket, sayModelMarket, STORE_ONLY } from '../agents/model-market.ts';
import type { TradingSettings } from './config.ts';
import type { PolicyChoiceResult } from './rule-policy-source.ts';
import type { PolicyHandle, PolicySource, ServedRun, VersionRefusalRecord } from './types.ts';
import { askNetwork, loadStarted, startedCosts, unaskedVersion, versionGiveUps } from './version-refusal.ts';
import { runVersionHistory } from './run-version-history.ts';
import { ruleSizing } from '../agents/strategy.ts';
import { inSampleLine, sampleOf } from '../agents/version-sample.ts';
import { timeframeMs } from '../data/timeframe.ts';
import { takeoverFrom } from './version-takeover.ts';

/**
 * The observations over `candles` of `loaded`, its network asked once at the newest candle it decides (`costs`: its
 * run's, for an account of the state a decision reads): one that cannot run on them cannot serve (askNetwork).
 * `asked`: whether it was, or needs not be (`ask` false: it answered before); not when every candle is in its warm-up
 * (a later tick asks it). A version that `decided` the run's candles before cannot serve fewer candles than its
 * warm-up and window, as a portfolio's cannot (it held them as its warm-up in the middle of the run).
 */
function servable(
  loaded: LoadedAgent,
  candles: Candles,
  costs: Costs,
  o: { ask: boolean; decided: boolean },
): { builder: ObservationBuilder; asked: boolean } {
  const { ask, decided } = o;
  const builder = new ObservationBuilder(loaded.observationSource(candles));
  const t = candles.ts.length - 1;
  const firstT = Math.max(builder.firstT, loaded.warmup);
  if (decided && t < firstT)
    throw new UserError(`${t + 1} candles, fewer than its features' warm-up and window need: ${firstT + 1}`);
  // a validation gate's baseline trades without the network; one that answered before is not asked again
  if (loaded.policy.rule.fallback || !ask) return { builder, asked: true };
  if (t < firstT) return { builder, asked: false };
  askNetwork(() => loaded.policy.net.forwardOne(builder.build(t, new Account(1, costs))));
  return { builder, asked: true };
}

/** The history the version saved in `dir` reads (its meta.json's recipe), without loading its network. */
function savedHistory(dir: string): number {
  const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { learner: { recipe: AgentRecipe } };
  return recipeHistory(meta.learner.recipe);
}

/**
 * A saved model home (`models/<name>`) as a policy source. The pointer is re-read at every tick: a promoted
 * version is loaded and served from the next tick on, without a restart. A version that fails to load, was trained
 * on another timeframe than the run's, or cannot build observations over the run's candles (a scaler fitted on other
 * feature columns) is given up (one line) and the one already serving keeps trading, until the pointer is written
 * again or its retry wait, on `clock` (the trader's), is over (src/trading/version-refusal.ts). The version the
 * process starts with, when it cannot serve or even be loaded, falls back on the one the run last served (a run started
 * again by each tick, `--once`, keeps trading the same way); a new run's, or one with no other version to serve, is
 * refused in one line naming the folder. A version's network is asked at its first tick with a candle past its
 * warm-up, a later one when the exchange served too few before: its failure is handled there alike (unasked).
 * A version never decides a candle up to the end of what it saw (its meta.json's training, selection and holdout
 * windows, src/agents/version-sample.ts), nor one that closed before its promotion (src/trading/version-takeover.ts):
 * one promoted meanwhile waits, and the one serving before, or the run's last served one at a process's first tick (a
 * catch-up after downtime), decides those candles; it takes over at the first candle after them, in the same tick
 * (PolicyHandle.until). With no version before it, it decides them, with a warning
 * that they are not out of sample, as `bot backtest --model` gives.
 */
export async function modelPolicySource(
  home: string,
  settings: Pick<TradingSettings, 'ml' | 'account' | 'backtest' | 'trading' | 'exchange' | 'symbol' | 'timeframe'>,
  clock: () => number = Date.now,
): Promise<PolicyChoiceResult> {
  const firstStamp = pointerStamp(home); // read before the pointer, as followPointer does
  const first = pointedModel(home);
  const market = { exchange: settings.exchange.id, symbol: settings.symbol, timeframe: settings.timeframe };
  await initBackend(settings.ml.backend);
  // the version the process starts with: undefined until the run's last served one stands in when it cannot be loaded
  const { started, loaded: startedAgent } = await loadStarted(home, { ...first, stamp: firstStamp }, () => {
    sayModelMarket(home, first.dir, market, (line) => log().warn(line), STORE_ONLY);
    return loadAgent(first.dir);
  });
  let agent: LoadedAgent | undefined = startedAgent;
  let version = first.version;
  // the version the pointer moved to, its files loaded: it takes over at the first candles it builds observations
  // for, so a version broken that way never replaces the one serving (`stamp`: the pointer's write it was read at)
  let pending: { version: string; stamp: string; loaded: LoadedAgent } | undefined;
  const label = `model:${path.normalize(home)}`;
  const giveUps = versionGiveUps(home, clock);
  /** The first candle `v` (loaded as `loaded`) decides while a version before it can (version-takeover.ts). */
  const takesOver = (v: string, loaded: LoadedAgent) =>
    takeoverFrom(home, v, loaded.meta, timeframeMs(settings.timeframe), clock());
  /** The version saved in `dir`, its files loaded and checked against the run's market and sizing. */
  const loadChecked = async (dir: string): Promise<LoadedAgent> => {
    checkModelMarket(home, dir, market, STORE_ONLY);
    const loaded = await loadAgent(dir);
    try {
      checkSizing(recipeSizing(loaded.recipe, settings.backtest)); // the bounds its confidence sizing reads
    } catch (e) {
      loaded.dispose();
      throw e;
    }
    return loaded;
  };
  const dropPending = () => {
    pending?.loaded.dispose();
    pending = undefined;
  };
  // whether a version served a tick: until then the one serving is the one this process started with
  let servedOnce = false;
  // whether the version serving is the run's earlier one in the stead of the started one (standIn, fallBack, a
  // catch-up's serveRunVersionFirst): its fills are charged its own recipe's costs, not the market's (the started
  // one's, or another version's when the started one's meta.json cannot be read: startedCosts)
  let inStead = false;
  // the version serving whose network was not asked yet: its failure is handled as at its first (fallBack, or refused)
  const unasked = unaskedVersion();
  /**
   * The run's last served version in the stead of the started one that could not be loaded (before the tick loads
   * the history it reads); left undefined when it cannot be loaded either: the started one's failure refuses the run.
   */
  const standIn = async (run: ServedRun | undefined) => {
    const to = agent || servedOnce ? undefined : giveUps.standIn(started, run);
    if (!to || !started.failure) return;
    try {
      agent = await loadChecked(to.dir);
      version = to.version;
      inStead = true;
    } catch {
      // the started version's failure is the one the run is refused with
    }
  };
  /** Loads the version the pointer names when another one serves; one that fails to load is given up. */
  const followPointer = async (run: ServedRun | undefined) => {
    await standIn(run);
    const stamp = pointerStamp(home);
    const pointed = currentVersion(home);
    if (!pointed || pointed === pending?.version) return;
    // the started version, not loaded, the pointer still names: the give-up is said when the stand-in serves
    if (pointed === started.version && stamp === started.stamp && !servedOnce) return;
    if (pointed === version) return dropPending(); // switched back before the pending one served
    const next = await giveUps.load({ version: pointed, stamp }, version, async () => {
      const to = resolveModel(home);
      return { version: to.version, loaded: await loadChecked(to.dir) };
    });
    if (!next) return;
    dropPending();
    pending = { ...next, stamp };
  };
  // versions whose network answered once: its weights and the observation's shape do not change, so a tick's serving
  // asks it no second forward pass (a version is asked once, not at every tick)
  const answered = new WeakSet<LoadedAgent>();
  /**
   * The observations over `candles` of `loaded`, which must be able to decide them (servable); `runs`: it is the
   * version the run last served (it decided the run's candles, as one that answered in this process did).
   */
  const servableBy = (loaded: LoadedAgent, candles: Candles, runs: boolean) => {
    const costs = runCosts(loaded.recipe.costs, settings.account).costs;
    const ask = !answered.has(loaded);
    const served = servable(loaded, candles, costs, { ask, decided: runs || !ask });
    if (served.asked) answered.add(loaded);
    return served;
  };
  /**
   * The version the run last served (`runVersion`) over `candles`, given that the one this process started with
   * cannot serve them: `say` (naming it) tells why in one line; undefined when there is none.
   */
  const fallBack = async (candles: Candles, runVersion: string | undefined, say: (serving: string) => void) => {
    const dir = runVersion === undefined || runVersion === version ? undefined : savedVersionDir(home, runVersion);
    if (runVersion === undefined || !dir) return undefined;
    let loaded: LoadedAgent | undefined;
    try {
      loaded = await loadChecked(dir);
      const { builder } = servableBy(loaded, candles, true);
      say(runVersion);
      agent?.dispose();
      agent = loaded;
      version = runVersion;
      inStead = true;
      unasked.asked();
      return builder;
    } catch {
      loaded?.dispose();
      return undefined; // the started version's failure is the one the run is refused with
    }
  };
  /**
   * The version the run last served (`runVersion`) serves first when the one this process started with saw the
   * candles from `from` (a catch-up after a promotion, or a `--once` tick): the started one waits as the pending one.
   * A started version given up on, or not loaded, is not kept: the run's version stands in for it (fallBack, standIn).
   */
  const serveRunVersionFirst = async (candles: Candles, runVersion: string | undefined, from: number) => {
    if (servedOnce || !agent || runVersion === undefined || runVersion === version || giveUps.holds(started)) return;
    const takeover = takesOver(version, agent);
    if (takeover === undefined || takeover <= from) return;
    const dir = savedVersionDir(home, runVersion);
    if (!dir) return;
    let loaded: LoadedAgent | undefined;
    try {
      loaded = await loadChecked(dir);
      servableBy(loaded, candles, true); // it can serve these candles
    } catch {
      loaded?.dispose();
      return; // the started version serves, said to be in sample
    }
    if (pending) agent.dispose();
    else pending = { version, stamp: firstStamp, loaded: agent };
    agent = loaded;
    version = runVersion;
    inStead = true;
  };
  /**
   * The observations over `candles` of the version serving them from `from`: the pending one when it can build them
   * and saw no candle from `from` on; else the one serving, `until` the pending one's first candle out of its sample.
   */
  const builderFor = async (
    candles: Candles,
    runVersion: string | undefined,
    from: number,
  ): Promise<{ builder: ObservationBuilder; until?: number }> => {
    await serveRunVersionFirst(candles, runVersion, from);
    const waitsTo = pending ? takesOver(pending.version, pending.loaded) : undefined;
    const switching = waitsTo !== undefined && waitsTo > from ? undefined : pending;
    if (switching) {
      pending = undefined;
      try {
        const { builder, asked } = servableBy(switching.loaded, candles, switching.version === runVersion);
        agent?.dispose();
        agent = switching.loaded;
        unasked.serves(switching, asked, version);
        version = switching.version;
        inStead = false;
        log().info(`model ${home}: now serving version ${version}`);
        return { builder };
      } catch (e) {
        // the version serving decides this tick, over the candles loaded for the history the given-up one read
        switching.loaded.dispose();
        giveUps.giveUp(switching, `cannot be loaded over the run's candles (${shortError(e)})`, version);
      }
    }
    const until = pending ? waitsTo : undefined;
    // the started version, given up on by the process of an earlier tick (a cron'd --once): not tried again
    if (!servedOnce && giveUps.holds(started)) {
      const builder = await fallBack(candles, runVersion, (serving) => giveUps.skip(started, serving));
      if (builder) return { builder, until };
    }
    // the started version's files could not be loaded: the run's last served version, loaded in its stead, serves; a
    // run no version served yet (its decisions all warm-up holds) is a new run, refused as unserved (and removed)
    if (!agent) throw giveUps.refused(started, undefined, runVersion === undefined);
    try {
      const { builder, asked } = servableBy(agent, candles, version === runVersion);
      if (asked) unasked.asked();
      else if (!servedOnce && version === started.version) unasked.serves(started, false, runVersion);
      // a version standing in for the started one that could not be loaded (not the run's serving first, a catch-up)
      if (!servedOnce && started.failure && version !== started.version) giveUps.fellBack(started, version);
      return { builder, until };
    } catch (e) {
      const why = `cannot be loaded over the run's candles (${shortError(e)})`;
      // the stand-in for a started version that could not be loaded: the started one's failure refuses the run
      if (!servedOnce && started.failure) throw giveUps.refused(started);
      // the version serving, its network met first now (at this process's first tick, or after ticks all warm-up):
      // the one served before it serves, and it is given up, as at a first tick; a new run is refused
      const failing = !servedOnce ? { ...started, before: runVersion } : unasked.of(version);
      if (failing) {
        const builder = await fallBack(candles, failing.before, (serving) => giveUps.giveUp(failing, why, serving));
        if (builder) return { builder, until };
        if (failing.before === undefined) throw giveUps.refused({ ...failing, version }, why, true);
      }
      throw giveUps.refused({ ...started, version }, why);
    }
  };
  // versions said to decide candles in their own sample, said once each
  const saidInSample = new Set<string>();
  /** One warning line when the version serving decides candles from `from` that it saw (no earlier one could). */
  const sayInSample = (served: LoadedAgent, from: number) => {
    const sample = sampleOf(served.meta);
    if (!sample || sample.outFrom <= from || saidInSample.has(version)) return;
    saidInSample.add(version);
    log().warn(inSampleLine(home, version, sample, from));
  };
  let followed = false;
  // at a process's first tick, the history of the run's last served version: it may decide the candles the started
  // one saw (serveRunVersionFirst), over the candles the tick loads (runVersionHistory)
  let runHistory = 0;
  const source: PolicySource & { dispose(): void } = {
    label,
    home: canonicalHome(home),
    // trading.historyCandles, or more when the model's features need more to equal a backtest's over a longer file
    // (recursive ones such as ta's EMAs keep a trace of where the data started); the version the tick will serve's
    // the versions the tick may serve's: one promoted waits while the one serving decides the candles it saw
    get history() {
      const recipes = [pending?.loaded.recipe, agent?.recipe].flatMap((r) => (r ? [recipeHistory(r)] : []));
      return Math.max(settings.trading.historyCandles, ...recipes, runHistory);
    },
    async follow(run?: ServedRun) {
      await followPointer(run);
      followed = true;
      const first = !servedOnce && agent && takesOver(version, agent) !== undefined ? version : undefined;
      runHistory = first ? runVersionHistory(home, run, first, savedHistory) : 0;
    },
    checkNewRun() {
      if (started.failure) throw started.failure.error;
    },
    async forCandles(
      candles: Candles,
      runVersion?: string,
      refusal?: VersionRefusalRecord,
      from = candles.ts.at(-1) ?? 0,
    ): Promise<PolicyHandle> {
      if (!servedOnce) giveUps.adopt(refusal);
      // a tick that followed the pointer before loading its candles is served the version it loaded them for (a
      // promotion in between waits for the next tick); a caller that did not follows it here
      if (followed) followed = false;
      else await followPointer({ modelVersion: runVersion, modelRefusal: refusal });
      const { builder, until } = await builderFor(candles, runVersion, from);
      servedOnce = true;
      const served = agent as LoadedAgent;
      sayInSample(served, from);
      // the tick asks again from `until`, over the same candles: the pointer is not read again in between
      if (until !== undefined) followed = true;
      return {
        ...(until !== undefined ? { until } : {}),
        policy: served.policy,
        version,
        label,
        warmup: Math.max(builder.firstT, served.warmup),
        // the serving version's (the market's is the first version's)
        sizing: recipeSizing(served.recipe, settings.backtest),
        ...(inStead ? { costs: runCosts(served.recipe.costs, settings.account).costs } : {}),
        observe: (t, account) => builder.build(t, account),
        refusal: giveUps.record(),
      };
    },
    dispose: () => {
      dropPending();
      agent?.dispose();
    },
  };
  // a started version that could not be loaded: its costs when its meta.json reads, else another version's
  return {
    source,
    sizing: startedAgent ? recipeSizing(startedAgent.recipe, settings.backtest) : ruleSizing(settings.backtest),
    ...runCosts(startedAgent?.recipe.costs ?? startedCosts(home, started, first.dir), settings.account),
  };
}
