/**
 * A portfolio trading session (issue 14): `bot paper|live --symbols A,B[,…]` — the portfolio policy (a rule
 * portfolio strategy, or a learned portfolio model home with `--model`), the database, the run's lock, one candle
 * feed per market and per informative series the model reads, and the portfolio trader (paper or live).
 */
import { modelMarketCosts, type Costs, type CostsFrom } from '../market/costs.ts';
import { loadPortfolioStrategy } from '../agents/portfolio-strategy.ts';
import { portfolioRuleSource, type PortfolioPolicySource } from './portfolio-policy-source.ts';
import { PortfolioTrader } from './portfolio-trader.ts';
import { PortfolioLiveTrader } from './portfolio-live.ts';
import {
  choiceCostsName,
  configFeed,
  liveStartChecks,
  checkNewRunPolicy,
  liveTraderSettings,
  openSession,
  startInputChecks,
  traderSettings,
  type RunStartOptions,
  type TradingSession,
} from './session.ts';
import type { CandleFeed } from './types.ts';
import { runKey } from './run-key.ts';
import { runExchange } from './run-exchange.ts';

interface PortfolioSessionOptions extends RunStartOptions {
  symbols: string[];
  strategy?: string;
  model?: string;
  seed?: number;
  /** Rebalance period of calendar rule strategies (equal-weight), in candles. */
  every: number;
  band: number;
  /** `--market-costs` presets per market; they override the config's `account.markets` entries. */
  marketCosts?: ReadonlyMap<string, Costs>;
  /** One candle source per market, then per informative series; default: the configured ccxt exchange. */
  feeds?: CandleFeed[];
}

/**
 * `--strategy <portfolio rule>` (default equal-weight) or `--model <portfolio model home>` as a policy source, with
 * each market's costs: the model recipe's ('config' or a cost preset) or the account's, overridden per market by the
 * config's `account.markets` and `--market-costs`.
 */
async function resolvePortfolioPolicy(
  o: PortfolioSessionOptions,
): Promise<{ source: PortfolioPolicySource; costs: CostsFrom[] }> {
  if (o.model) {
    // loaded for model runs only, as on one market (session.ts)
    const { portfolioModelSource } = await import('./portfolio-model-source.ts');
    const source = await portfolioModelSource(o.model, o.config, o.symbols, o.clock);
    return { source, costs: modelMarketCosts(o.symbols, source.costs, o.config.account, o.marketCosts) };
  }
  const strategy = await loadPortfolioStrategy(o.strategy ?? 'equal-weight');
  const source = portfolioRuleSource(strategy, {
    symbols: o.symbols,
    seed: o.seed ?? o.config.backtest.seed,
    every: o.every,
  });
  return { source, costs: modelMarketCosts(o.symbols, 'config', o.config.account, o.marketCosts) };
}

export async function openPortfolioSession(o: PortfolioSessionOptions): Promise<TradingSession> {
  const { config } = o;
  const key = runKey({ ...config, symbol: o.symbols.join(',') }, o.mode, o.name);
  // the run's own inputs first (a live order cap, a new run's balance): the exchange client loads ccxt, hundreds of
  // modules; an unknown exchange.id is still one line before the database is opened (made) and the policy loaded
  startInputChecks(o, modelMarketCosts(o.symbols, choiceCostsName(o), config.account, o.marketCosts));
  const exchange = runExchange(config, o.mode);
  const { source, costs } = await resolvePortfolioPolicy(o);
  checkNewRunPolicy(o, key, source);
  o.inputChecked?.();
  await liveStartChecks(o, exchange, source);
  const names = [...o.symbols, ...(source.informative ?? [])];
  const replays = exchange || o.feeds ? undefined : names;
  return openSession({ ...o, key, newRunCosts: costs, replays }, source, (store, repo) => {
    const feedFor = (s: string) => configFeed(exchange, config, s, o.clock);
    const options = {
      repo,
      store,
      feeds: o.feeds ?? names.map(feedFor),
      feedFor,
      policies: source,
      key,
      symbols: o.symbols,
      costs: costs.map((c) => c.costs),
      band: o.band,
      ...traderSettings(o, exchange),
    };
    return o.mode === 'live' && exchange
      ? new PortfolioLiveTrader({ ...options, exchange, ...liveTraderSettings(o) })
      : new PortfolioTrader(options);
  });
}
