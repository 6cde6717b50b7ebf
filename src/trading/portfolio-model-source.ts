/**
 * A saved portfolio model home (`models/<name>` whose meta.json records a portfolio learner, issue 14) as a
 * portfolio run's policy source: the network, scalers and features of the saved model (never refitted on live
 * candles), its informative series, and the model home's pointer followed from tick to tick as single-market runs do
 * (src/trading/model-policy-source.ts): a promoted version serves from the next tick, on the history and informative
 * series it reads. A version that fails to load, was trained on another timeframe or other markets, or whose series
 * cannot be loaded or aimed at is given up (one line) while the one already serving keeps trading, until the pointer is
 * written again or its retry wait is over (src/trading/version-refusal.ts), and stored with the run. The version the
 * process starts with, when it cannot serve or even be loaded, falls back on the one the run last served, and a version
 * about to serve has its network asked once, as on one market.
 */
import path from 'node:path';
import { log } from '../core/log.ts';
import { agentPolicy, type PortfolioAgent } from '../agents/portfolio-agent.ts';
import { aimPortfolioAgent, openPortfolioModel, type OpenedPortfolioModel } from '../agents/portfolio-model.ts';
import { checkModelSymbols, readPortfolioModelInfo, type PortfolioModelInfo } from '../agents/portfolio-model-meta.ts';
import {
  canonicalHome,
  currentVersion,
  pointedModel,
  pointerStamp,
  resolveModel,
  savedVersionDir,
  versionDir,
} from '../agents/model-pointer.ts';
import { inSampleLine, versionSample } from '../agents/version-sample.ts';
import { timeframeMs } from '../data/timeframe.ts';
import { savedTakeoverFrom } from './version-takeover.ts';
import type { Candles } from '../core/candles.ts';
import { checkModelMarket, sayModelMarket, STORE_ONLY } from '../agents/model-market.ts';
import { modelMarketCosts, type Costs } from '../market/costs.ts';
import { shortError } from '../data/exchange.ts';
import { initBackend } from '../nn/backend/backend.ts';
import type { TradingSettings } from './config.ts';
import type { PortfolioPolicySource } from './portfolio-policy-source.ts';
import type { ServedRun } from './types.ts';
import { askNetwork, loadStarted, startedCosts, unaskedVersion, versionGiveUps } from './version-refusal.ts';
import { runVersionHistory } from './run-version-history.ts';

/**
 * `agent`, aimed over `traded`, its network asked once at their newest candle time (askNetwork); says whether it was:
 * not when every candle is in its warm-up (a later tick asks it).
 */
function checkNetwork(agent: PortfolioAgent, traded: readonly Candles[]): boolean {
  const newest = Math.max(...traded.map((c) => c.ts.at(-1) ?? -Infinity));
  if (!(newest >= agent.builder.firstTs)) return false;
  askNetwork(() =>
    agent.weights(
      agent.builder.build(
        newest,
        traded.map(() => 0),
        0,
      ),
    ),
  );
  return true;
}

/**
 * The source, checked before any network or disk work: the home must hold a portfolio model trading `symbols` in
 * this order (one line saying what it trades otherwise). The network is aimed at the first tick, over the run's
 * candles (its observation builder needs them). `clock`: the trader's, which times the retries of a version given up.
 * `flagged`: the run's `--market-costs` presets, over the config's `account.markets`, for the costs of a version
 * serving in the stead of the started one (PortfolioPolicyHandle.costs), as the session's for the run's own.
 */
export async function portfolioModelSource(
  home: string,
  settings: Pick<TradingSettings, 'ml' | 'exchange' | 'timeframe' | 'account'>,
  symbols: readonly string[],
  clock: () => number = Date.now,
  flagged: ReadonlyMap<string, Costs> = new Map(),
): Promise<PortfolioPolicySource & { costs: string }> {
  const first = pointedModel(home);
  const firstStamp = pointerStamp(home);
  const market = { exchange: settings.exchange.id, symbol: symbols.join(','), timeframe: settings.timeframe };
  await initBackend(settings.ml.backend);
  // a version that cannot be loaded is kept as such: the run's last served one may stand in (follow)
  const { started, loaded: opened } = await loadStarted(home, { ...first, stamp: firstStamp }, () => {
    checkModelSymbols(home, first.dir, symbols);
    sayModelMarket(home, first.dir, market, (line) => log().warn(line), STORE_ONLY);
    return openPortfolioModel(first.dir);
  });
  let served: PortfolioModelInfo | undefined = opened?.info;
  // a started version that could not be loaded: its costs when its meta.json reads, else another version's
  const costs = opened?.info.costs ?? startedCosts(home, started, first.dir);
  let agent: PortfolioAgent | undefined;
  let version = first.version;
  // the version the next forSeries serves, loaded but not aimed yet: the first one, or the one the pointer moved to
  // `stamp`: the write of the pointer it was read at (a version given up on is tried again after the next write)
  // `inStead`: the run's earlier version, to serve in the stead of the started one (standIn, a fallback)
  type Next = { version: string; stamp: string; opened: OpenedPortfolioModel; inStead?: boolean };
  let next: Next | undefined = opened && {
    version,
    stamp: firstStamp,
    opened,
  };
  // a version given up on (it could not be loaded, or its series could not be), with when it is tried again
  const giveUps = versionGiveUps(home, clock);
  const label = `model:${path.normalize(home)}`;
  /** The first candle time `v` (opened from `dir`) decides while a version before it can (version-takeover.ts). */
  const takesOver = (v: string, dir: string) =>
    savedTakeoverFrom(home, v, dir, timeframeMs(settings.timeframe), clock());
  /** What the tick loads its series for: the version it will serve. */
  const coming = () => next?.opened.info ?? served;
  /** A saved version checked against the run's markets and opened. */
  const openChecked = async (dir: string) => {
    checkModelMarket(home, dir, market, STORE_ONLY);
    checkModelSymbols(home, dir, symbols);
    return openPortfolioModel(dir);
  };
  // the version serving whose network was not asked yet: its failure is handled as at its first (lateFailure)
  const unasked = unaskedVersion();
  // whether `next` is the run's last served version standing in for the started one (its line said when it serves)
  let standsIn = false;
  // whether the version serving is the run's earlier one in the stead of the started one (standIn, a fallback,
  // serveRunVersionFirst): its fills are charged its own recipe's costs, not the run's (the started one's, or another
  // version's when the started one's meta.json cannot be read: startedCosts), as on one market (model-policy-source.ts)
  let inStead = false;
  /**
   * Before any version served: the run's last served version, opened to serve instead of the started one when that
   * one could not be loaded or is given up on still (giveUps.standIn); says whether it stands in.
   */
  const standIn = async (run: ServedRun | undefined) => {
    const to = agent ? undefined : giveUps.standIn(started, run);
    if (!to) return false;
    if (next?.version === to.version) {
      next.inStead = true;
      return (standsIn = true);
    }
    try {
      const loaded = await openChecked(to.dir);
      next?.opened.dispose();
      next = { version: to.version, stamp: started.stamp, opened: loaded, inStead: true };
      return (standsIn = true);
    } catch {
      return false; // the started version's failure is the one the run is refused with
    }
  };
  /** The version the run last served, opened, when it is another one still saved in the home (else undefined). */
  const openRunVersion = async (runVersion: string | undefined, failed: string) => {
    const dir = runVersion === undefined || runVersion === failed ? undefined : savedVersionDir(home, runVersion);
    if (runVersion === undefined || !dir) return undefined;
    try {
      return { version: runVersion, opened: await openChecked(dir) };
    } catch {
      return undefined; // the started version's failure is the one the run is refused with
    }
  };
  /** Whether `info`'s version reads the informative series the serving version reads (so the tick loaded them). */
  const sameSeries = (info: PortfolioModelInfo | undefined) =>
    info !== undefined && info.informative.join(',') === served?.informative.join(',');
  /**
   * The version the run last served (`runVersion`) serves first when the one this process started with saw the
   * candles from `from` and reads the same series (a catch-up after a promotion, a `--once` tick): the started one
   * waits as `next`. Not when `next` stands in for the started one (standIn): it is the run's version already.
   */
  const serveRunVersionFirst = async (
    traded: readonly Candles[],
    informative: readonly Candles[],
    runVersion: string | undefined,
    from: number,
  ) => {
    const takeover = next && !standsIn ? takesOver(next.version, next.opened.dir) : undefined;
    if (takeover === undefined || takeover <= from || runVersion === undefined || runVersion === version) return;
    const before = await openRunVersion(runVersion, version);
    if (!before) return;
    try {
      if (!sameSeries(before.opened.info)) throw new Error('other series');
      const loaded = before.opened.over(traded, informative);
      checkNetwork(loaded, traded); // a failure disposes its network with the opened files below
      agent = loaded;
    } catch {
      before.opened.dispose();
      return; // the started version serves, said to be in sample
    }
    version = runVersion;
    served = before.opened.info;
    inStead = true;
  };
  /**
   * Aims `serving`, the version serving already, over the tick's series, and asks its network when it was not asked
   * yet (its ticks before all in its warm-up: unasked). When it cannot serve them (fewer candles than its warm-up and
   * window, a network that cannot decide them), it is handled as a version switched in is, and as one market's whose
   * observations cannot be built: one not asked yet is given up as at its first tick and the version served before it
   * is opened to serve (the trader loads its series and asks again: says so), or the run is refused (a new run's:
   * ModelRefusedError.unserved); one asked before refuses the tick in one line (ModelRefusedError). Too few candles
   * used to fail as a plain error.
   */
  const servingFailure = async (
    serving: PortfolioAgent,
    traded: readonly Candles[],
    informative: readonly Candles[],
  ) => {
    const late = unasked.of(version);
    try {
      aimPortfolioAgent(serving, traded, informative);
      if (late && checkNetwork(serving, traded)) unasked.asked();
      return false;
    } catch (e) {
      const why = `cannot be loaded over the run's candles (${shortError(e)})`;
      if (!late) throw giveUps.refused({ ...started, version }, why);
      const fallback = await openRunVersion(late.before, late.version);
      if (!fallback) throw giveUps.refused(late, why, late.before === undefined);
      giveUps.giveUp(late, why, fallback.version);
      unasked.asked();
      serving.dispose();
      agent = undefined;
      next?.opened.dispose();
      next = { ...fallback, stamp: late.stamp, inStead: true };
      return true;
    }
  };
  // versions said to decide candles in their own sample, said once each
  const saidInSample = new Set<string>();
  /** One warning line when the version serving decides candles from `from` that it saw (no earlier one could). */
  const sayInSample = (from: number) => {
    const sample = versionSample(versionDir(home, version));
    if (!sample || sample.outFrom <= from || saidInSample.has(version)) return;
    saidInSample.add(version);
    log().warn(inSampleLine(home, version, sample, from));
  };
  // at a process's first tick, the history of the run's last served version: it may decide the candles the started
  // one saw (serveRunVersionFirst), over the series the tick loads (runVersionHistory)
  let runHistory = 0;
  /** Loads the version the pointer names when another one serves (follow). */
  const followPointer = async (run: ServedRun | undefined) => {
    const stamp = pointerStamp(home);
    const pointed = currentVersion(home);
    // the started version the pointer still names cannot serve: the run's last served version stands in for it
    if ((await standIn(run)) && pointed === started.version && stamp === started.stamp) return;
    if (!pointed) return;
    if (pointed === version && agent) {
      next?.opened.dispose();
      next = undefined;
      return;
    }
    if (pointed === next?.version) return;
    const loaded = await giveUps.load({ version: pointed, stamp }, version, async () => {
      const to = resolveModel(home);
      return { version: to.version, stamp, opened: await openChecked(to.dir) };
    });
    if (!loaded) return;
    next?.opened.dispose();
    next = loaded;
  };
  return {
    label,
    home: canonicalHome(home),
    // every series' first decision reads full feature rows (moving averages of up to 120 candles, then the window):
    // those of each version the tick may serve (one promoted waits while the one serving decides what it saw)
    get history() {
      return Math.max(coming()?.warmup ?? 0, served?.warmup ?? 0, runHistory);
    },
    get informative() {
      return coming()?.informative ?? [];
    },
    costs,
    /**
     * Loads the version the pointer names when another one serves, before the tick backfills and loads the series:
     * its warm-up and its informative series (one the run did not read yet is fetched from then on).
     */
    async follow(run?: ServedRun) {
      await followPointer(run);
      const first = !agent && next && takesOver(next.version, next.opened.dir) !== undefined ? next.version : undefined;
      runHistory = first ? runVersionHistory(home, run, first, (dir) => readPortfolioModelInfo(dir).warmup) : 0;
    },
    switchFailed(error) {
      if (!next || !agent) return false;
      const reads = (info: PortfolioModelInfo) => [...info.informative].sort().join(',');
      // a failure over the series the serving version reads too is not the new version's doing
      if (served && reads(next.opened.info) === reads(served)) return false;
      const given = next;
      next = undefined;
      given.opened.dispose();
      giveUps.giveUp(given, `reads series this run cannot load (${shortError(error)})`, version);
      return true;
    },
    async forSeries(traded, informative, runVersion, refusal, from = traded[0]?.ts.at(-1) ?? 0) {
      if (!agent) giveUps.adopt(refusal);
      if (!agent && next) await serveRunVersionFirst(traded, informative, runVersion, from);
      // a version that saw the candles from `from` waits while the one serving reads the same series (else it serves)
      const waitsTo = next ? takesOver(next.version, next.opened.dir) : undefined;
      const waits = agent !== undefined && waitsTo !== undefined && waitsTo > from && sameSeries(next?.opened.info);
      const switching = waits ? undefined : next;
      if (switching) next = undefined;
      let aimed = false;
      // before any version served, one standing in for the started one (the run's last served) or nothing to serve
      const standing = !agent && standsIn && switching?.version !== started.version;
      standsIn = false;
      // a run no version served yet (its decisions all keeps of the warm-up) is a new run: refused as unserved
      if (!switching && !agent) throw giveUps.refused(started, undefined, runVersion === undefined);
      if (switching) {
        try {
          const loaded = switching.opened.over(traded, informative);
          const asked = checkNetwork(loaded, traded); // a failure disposes its network with the opened files below
          unasked.serves(switching, asked, agent ? version : runVersion);
          if (agent) log().info(`model ${home}: now serving version ${switching.version}`);
          else if (standing) giveUps.fellBack(started, switching.version);
          agent?.dispose();
          agent = loaded;
          version = switching.version;
          served = switching.opened.info;
          inStead = switching.inStead === true;
          aimed = true;
        } catch (e) {
          switching.opened.dispose();
          if (standing) throw giveUps.refused(started);
          const why = `cannot be loaded over the run's candles (${shortError(e)})`;
          // the version the process starts with falls back on the one the run last served, if any: the trader loads
          // that one's series and asks again; a new run's has none, and what is wrong is in its folder (a run no
          // version served yet, its decisions all keeps of the warm-up, is a new run: refused as unserved, as at its
          // first tick past the warm-up in an earlier process, and removed)
          const fallback = agent ? undefined : await openRunVersion(runVersion, switching.version);
          if (!agent && !fallback) throw giveUps.refused(switching, why, runVersion === undefined);
          giveUps.giveUp(switching, why, fallback?.version ?? version);
          if (fallback) next = { ...fallback, stamp: switching.stamp, inStead: true };
          // these are the history and series the given-up version reads: the trader loads the serving version's
          return undefined;
        }
      }
      const serving = agent as PortfolioAgent;
      if (!aimed && (await servingFailure(serving, traded, informative))) return undefined;
      sayInSample(from);
      const info = served as PortfolioModelInfo;
      const policy = agentPolicy(info.strategy, () => serving, serving.recipe.episodeLength);
      const warmupUntil = serving.builder.firstTs;
      // the run's per-market overrides apply over its own recipe's costs, as over the started one's (the session's)
      const own = () => modelMarketCosts(symbols, info.costs, settings.account, flagged).map((c) => c.costs);
      return {
        policy,
        version,
        label,
        refusal: giveUps.record(),
        warmupUntil,
        ...(waits ? { until: waitsTo } : {}),
        ...(inStead ? { costs: own() } : {}),
      };
    },
    checkNewRun() {
      if (started.failure) throw started.failure.error;
    },
    dispose: () => {
      next?.opened.dispose();
      agent?.dispose();
    },
  };
}
