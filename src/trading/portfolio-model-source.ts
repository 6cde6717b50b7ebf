/**
 * A saved portfolio model home (`models/<name>` whose meta.json records a portfolio learner, issue 14) as a
 * portfolio run's policy source: the network, scalers and features of the saved model (never refitted on live
 * candles), its informative series, and the model home's pointer followed from tick to tick as single-market runs do
 * (src/trading/model-policy-source.ts): a promoted version serves from the next tick, on the history and informative
 * series it reads. A version that fails to load, was trained on another timeframe or other markets, or whose series
 * cannot be loaded or aimed at is given up (one line) while the one already serving keeps trading, until the pointer is
 * written again or its retry wait is over (src/trading/version-refusal.ts). The version the process starts with falls
 * back on the one the run last served, as on one market.
 */
import path from 'node:path';
import { log } from '../core/log.ts';
import { ModelRefusedError } from '../core/errors.ts';
import { agentPolicy, type PortfolioAgent } from '../agents/portfolio-agent.ts';
import {
  aimPortfolioAgent,
  checkModelSymbols,
  openPortfolioModel,
  readPortfolioModelInfo,
  type OpenedPortfolioModel,
  type PortfolioModelInfo,
} from '../agents/portfolio-model.ts';
import { currentVersion, pointerStamp, resolveModel, savedVersionDir, versionDir } from '../agents/model-pointer.ts';
import { inSampleLine, versionSample } from '../agents/version-sample.ts';
import type { Candles } from '../core/candles.ts';
import { checkModelMarket, sayModelMarket, STORE_ONLY } from '../agents/model-market.ts';
import { shortError } from '../data/exchange.ts';
import { initBackend } from '../nn/backend/backend.ts';
import type { TradingSettings } from './config.ts';
import type { PortfolioPolicySource } from './portfolio-policy-source.ts';
import { versionGiveUps } from './version-refusal.ts';

/**
 * The source, checked before any network or disk work: the home must hold a portfolio model trading `symbols` in
 * this order (one line saying what it trades otherwise). The network is aimed at the first tick, over the run's
 * candles (its observation builder needs them). `clock`: the trader's, which times the retries of a version given up.
 */
export async function portfolioModelSource(
  home: string,
  settings: Pick<TradingSettings, 'ml' | 'exchange' | 'timeframe'>,
  symbols: readonly string[],
  clock: () => number = Date.now,
): Promise<PortfolioPolicySource & { costs: string }> {
  const first = resolveModel(home);
  checkModelSymbols(home, first.dir, symbols);
  const market = { exchange: settings.exchange.id, symbol: symbols.join(','), timeframe: settings.timeframe };
  sayModelMarket(home, first.dir, market, (line) => log().warn(line), STORE_ONLY);
  let served: PortfolioModelInfo = readPortfolioModelInfo(first.dir);
  const costs = served.costs;
  await initBackend(settings.ml.backend);
  let agent: PortfolioAgent | undefined;
  let version = first.version;
  // the version the next forSeries serves, loaded but not aimed yet: the first one, or the one the pointer moved to
  // `stamp`: the write of the pointer it was read at (a version given up on is tried again after the next write)
  let next: { version: string; stamp: string; opened: OpenedPortfolioModel } | undefined = {
    version,
    stamp: pointerStamp(home),
    opened: await openPortfolioModel(first.dir),
  };
  // a version given up on (it could not be loaded, or its series could not be), with when it is tried again
  const giveUps = versionGiveUps(home, clock);
  const label = `model:${path.normalize(home)}`;
  /** What the tick loads its series for: the version it will serve. */
  const coming = () => next?.opened.info ?? served;
  /** The version the run last served, opened, when it is another one still saved in the home (else undefined). */
  const openRunVersion = async (runVersion: string | undefined, failed: string) => {
    const dir = runVersion === undefined || runVersion === failed ? undefined : savedVersionDir(home, runVersion);
    if (runVersion === undefined || !dir) return undefined;
    try {
      checkModelMarket(home, dir, market, STORE_ONLY);
      checkModelSymbols(home, dir, symbols);
      return { version: runVersion, opened: await openPortfolioModel(dir) };
    } catch {
      return undefined; // the started version's failure is the one the run is refused with
    }
  };
  /** Whether `info`'s version reads the informative series the serving version reads (so the tick loaded them). */
  const sameSeries = (info: PortfolioModelInfo | undefined) =>
    info !== undefined && info.informative.join(',') === served.informative.join(',');
  /**
   * The version the run last served (`runVersion`) serves first when the one this process started with saw the
   * candles from `from` and reads the same series (a catch-up after a promotion, a `--once` tick): the started one
   * waits as `next`.
   */
  const serveRunVersionFirst = async (
    traded: readonly Candles[],
    informative: readonly Candles[],
    runVersion: string | undefined,
    from: number,
  ) => {
    const started = next && versionSample(next.opened.dir);
    if (!started || started.outFrom <= from || runVersion === undefined || runVersion === version) return;
    const before = await openRunVersion(runVersion, version);
    if (!before) return;
    try {
      if (before.opened.info.informative.join(',') !== served.informative.join(',')) throw new Error('other series');
      agent = before.opened.over(traded, informative);
    } catch {
      before.opened.dispose();
      return; // the started version serves, said to be in sample
    }
    version = runVersion;
    served = before.opened.info;
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
  return {
    label,
    // every series' first decision reads full feature rows (moving averages of up to 120 candles, then the window)
    get history() {
      return coming().warmup;
    },
    get informative() {
      return coming().informative;
    },
    costs,
    /**
     * Loads the version the pointer names when another one serves, before the tick backfills and loads the series:
     * its warm-up and its informative series (one the run did not read yet is fetched from then on).
     */
    async follow() {
      const stamp = pointerStamp(home);
      const pointed = currentVersion(home);
      if (!pointed) return;
      if (pointed === version && agent) {
        next?.opened.dispose();
        next = undefined;
        return;
      }
      if (pointed === next?.version) return;
      const loaded = await giveUps.load({ version: pointed, stamp }, version, async () => {
        const to = resolveModel(home);
        checkModelMarket(home, to.dir, market, STORE_ONLY);
        checkModelSymbols(home, to.dir, symbols);
        return { version: to.version, stamp, opened: await openPortfolioModel(to.dir) };
      });
      if (!loaded) return;
      next?.opened.dispose();
      next = loaded;
    },
    switchFailed(error) {
      if (!next || !agent) return false;
      const reads = (info: PortfolioModelInfo) => [...info.informative].sort().join(',');
      // a failure over the series the serving version reads too is not the new version's doing
      if (reads(next.opened.info) === reads(served)) return false;
      const given = next;
      next = undefined;
      given.opened.dispose();
      giveUps.giveUp(given, `reads series this run cannot load (${shortError(error)})`, version);
      return true;
    },
    async forSeries(traded, informative, runVersion, from = traded[0]?.ts.at(-1) ?? 0) {
      if (!agent && next) await serveRunVersionFirst(traded, informative, runVersion, from);
      // a version that saw the candles from `from` waits while the one serving reads the same series (else it serves)
      const waitsTo = next ? versionSample(next.opened.dir)?.outFrom : undefined;
      const waits = agent !== undefined && waitsTo !== undefined && waitsTo > from && sameSeries(next?.opened.info);
      const switching = waits ? undefined : next;
      if (switching) next = undefined;
      let aimed = false;
      if (switching) {
        try {
          const loaded = switching.opened.over(traded, informative);
          if (agent) log().info(`model ${home}: now serving version ${switching.version}`);
          agent?.dispose();
          agent = loaded;
          version = switching.version;
          served = switching.opened.info;
          aimed = true;
        } catch (e) {
          switching.opened.dispose();
          const why = `cannot be loaded over the run's candles (${shortError(e)})`;
          // the version the process starts with falls back on the one the run last served, if any: the trader loads
          // that one's series and asks again; a new run's has none, and what is wrong is in its folder
          const fallback = agent ? undefined : await openRunVersion(runVersion, switching.version);
          if (!agent && !fallback) throw new ModelRefusedError(`model ${home}: version ${switching.version} ${why}`);
          giveUps.giveUp(switching, why, fallback?.version ?? version);
          if (fallback) next = { ...fallback, stamp: switching.stamp };
          // these are the history and series the given-up version reads: the trader loads the serving version's
          return undefined;
        }
      }
      const serving = agent as PortfolioAgent;
      if (!aimed) aimPortfolioAgent(serving, traded, informative);
      sayInSample(from);
      const policy = agentPolicy(served.strategy, () => serving, serving.recipe.episodeLength);
      return { policy, version, label, ...(waits ? { until: waitsTo } : {}) };
    },
    dispose: () => {
      next?.opened.dispose();
      agent?.dispose();
    },
  };
}
