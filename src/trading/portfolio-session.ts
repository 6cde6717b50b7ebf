/**
 * A portfolio trading session (issue 14): `bot paper|live --symbols A,B[,…]` — the portfolio policy (a rule
 * portfolio strategy today; a learned portfolio model folder once the learner exists), the database, the run's lock,
 * one candle feed per market and the portfolio trader (paper or live).
 */
import { createExchange, retryOptionsFrom } from '../data/exchange.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { ruleCosts } from '../agents/strategy.ts';
import { loadPortfolioStrategy } from '../agents/portfolio-strategy.ts';
import { portfolioCosts, type Costs } from '../market/costs.ts';
import type { TradingSettings } from './config.ts';
import { exchangeFeed } from './feed.ts';
import { portfolioRuleSource, type PortfolioPolicySource } from './portfolio-policy-source.ts';
import { PortfolioTrader } from './portfolio-trader.ts';
import { PortfolioLiveTrader } from './portfolio-live.ts';
import { openSession, runKey, type TradingSession } from './session.ts';
import type { CandleFeed, TradingMode } from './types.ts';

interface PortfolioSessionOptions {
  config: TradingSettings;
  logger: Logger;
  mode: TradingMode;
  name: string;
  symbols: string[];
  strategy?: string;
  model?: string;
  seed?: number;
  /** Rebalance period of calendar rule strategies (equal-weight), in candles. */
  every: number;
  band: number;
  /** `--market-costs` presets per market; they override the config's `account.markets` entries. */
  marketCosts?: ReadonlyMap<string, Costs>;
  start?: number;
  clock: () => number;
  reset?: boolean;
  clearHalt?: boolean;
  /** One candle source per market; default: the configured ccxt exchange. */
  feeds?: CandleFeed[];
}

/** `--strategy <portfolio rule>` (default equal-weight) or `--model <portfolio model folder>` as a policy source. */
async function resolvePortfolioPolicy(o: PortfolioSessionOptions): Promise<PortfolioPolicySource> {
  if (o.strategy && o.model) throw new UserError('give either --strategy or --model, not both');
  if (o.model) {
    // the portfolio learner (PPO over weights) is another branch's work: until a portfolio recipe can be saved and
    // loaded, a model folder cannot serve a portfolio (see README "Portfolio paper and live trading")
    throw new UserError(
      `--model ${o.model} with --symbols: portfolio models are not built yet (issue 14); ` +
        'trade a rule portfolio strategy: --strategy equal-weight',
    );
  }
  const strategy = await loadPortfolioStrategy(o.strategy ?? 'equal-weight');
  return portfolioRuleSource(strategy, {
    symbols: o.symbols,
    seed: o.seed ?? o.config.backtest.seed,
    every: o.every,
  });
}

export async function openPortfolioSession(o: PortfolioSessionOptions): Promise<TradingSession> {
  const { config } = o;
  const key = runKey({ ...config, symbol: o.symbols.join(',') }, o.mode, o.name);
  const source = await resolvePortfolioPolicy(o);
  return openSession({ ...o, key }, source, (store, repo) => {
    const exchange = createExchange(config);
    const retry = retryOptionsFrom(config);
    const feeds = o.feeds ?? o.symbols.map((s) => exchangeFeed(exchange, s, config.timeframe, retry, o.clock));
    const options = {
      repo,
      store,
      feeds,
      policies: source,
      key,
      symbols: o.symbols,
      costs: portfolioCosts(o.symbols, ruleCosts(config.account), config.account.markets, o.marketCosts ?? new Map()),
      band: o.band,
      balance: config.account.balance,
      historyCandles: config.trading.historyCandles,
      start: o.start,
      clock: o.clock,
      logger: o.logger,
    };
    return o.mode === 'live'
      ? new PortfolioLiveTrader({ ...options, exchange, caps: config.trading.live, retry })
      : new PortfolioTrader(options);
  });
}
