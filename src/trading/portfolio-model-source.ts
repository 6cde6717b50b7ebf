/**
 * A saved portfolio model home (`models/<name>` whose meta.json records a portfolio learner, issue 14) as a
 * portfolio run's policy source: the network, scalers and features of the saved model (never refitted on live
 * candles), its informative series, and the model home's pointer followed from tick to tick as single-market runs do
 * (src/trading/model-policy-source.ts): a promoted version serves from the next tick; a version that fails to load, or
 * was trained on another timeframe, is logged and the one already serving keeps trading.
 */
import path from 'node:path';
import type { Candles } from '../core/candles.ts';
import { log } from '../core/log.ts';
import { agentPolicy, type PortfolioAgent } from '../agents/portfolio-agent.ts';
import {
  aimPortfolioAgent,
  checkModelSymbols,
  loadPortfolioAgent,
  readPortfolioModelInfo,
} from '../agents/portfolio-model.ts';
import { currentVersion, resolveModel } from '../agents/model-pointer.ts';
import { checkModelMarket, sayModelMarket } from '../agents/model-market.ts';
import { shortError } from '../data/exchange.ts';
import { initBackend } from '../nn/backend/backend.ts';
import type { TradingSettings } from './config.ts';
import type { PortfolioPolicySource } from './portfolio-policy-source.ts';

/**
 * The source, checked before any network or disk work: the home must hold a portfolio model trading `symbols` in
 * this order (one line saying what it trades otherwise). The network loads at the first tick, over the run's
 * candles (its observation builder needs them).
 */
export async function portfolioModelSource(
  home: string,
  settings: Pick<TradingSettings, 'ml' | 'exchange' | 'timeframe'>,
  symbols: readonly string[],
): Promise<PortfolioPolicySource & { costs: string }> {
  const first = resolveModel(home);
  checkModelSymbols(home, first.dir, symbols);
  const market = { exchange: settings.exchange.id, symbol: symbols.join(','), timeframe: settings.timeframe };
  sayModelMarket(home, first.dir, market, (line) => log().warn(line));
  const info = readPortfolioModelInfo(first.dir);
  await initBackend(settings.ml.backend);
  let agent: PortfolioAgent | undefined;
  let version = first.version;
  const label = `model:${path.normalize(home)}`;
  const load = async (traded: readonly Candles[], informative: readonly Candles[]) => {
    const next = resolveModel(home);
    checkModelMarket(home, next.dir, market);
    const loaded = await loadPortfolioAgent(next.dir, traded, informative);
    agent?.dispose();
    agent = loaded;
    version = next.version;
  };
  return {
    label,
    // every series' first decision reads full feature rows (moving averages of up to 120 candles, then the window)
    history: info.warmup,
    informative: info.informative,
    costs: info.costs,
    async forSeries(traded, informative) {
      const pointed = currentVersion(home);
      let aimed = false;
      if (!agent) {
        await load(traded, informative);
        aimed = true;
      } else if (pointed && pointed !== version) {
        try {
          await load(traded, informative);
          aimed = true;
          log().info(`model ${home}: now serving version ${version}`);
        } catch (e) {
          log().error(`model ${home}: version ${pointed} cannot be loaded, still serving ${version}: ${shortError(e)}`);
        }
      }
      const served = agent as PortfolioAgent;
      if (!aimed) aimPortfolioAgent(served, traded, informative);
      return { policy: agentPolicy(info.strategy, () => served, served.recipe.episodeLength), version, label };
    },
    dispose: () => agent?.dispose(),
  };
}
