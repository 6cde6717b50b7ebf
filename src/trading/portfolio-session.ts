/**
 * A portfolio trading session (issue 14): `bot paper|live --symbols A,B[,…]` — the portfolio policy (a rule
 * portfolio strategy, or a learned portfolio model home with `--model`), the database, the run's lock, one candle
 * feed per market and per informative series the model reads, and the portfolio trader (paper or live).
 */
import path from 'node:path';
import { modelMarketCosts, presetCosts, type CostsFrom } from '../market/costs.ts';
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
import type { CandleFeed, RunKey, RunSettings, RunState } from './types.ts';
import { storedRun } from './run-repository.ts';
import { runSettings } from './run-settings.ts';
import { runKey } from './run-key.ts';
import { runExchange } from './run-exchange.ts';
import { withExchangeFeeSide } from './exchange-fee-side.ts';

interface PortfolioSessionOptions extends RunStartOptions {
  symbols: string[];
  strategy?: string;
  model?: string;
  seed?: number;
  /** Rebalance period of calendar rule strategies (equal-weight), in candles. */
  every: number;
  /** `--band` or its default; a resumed run keeps its own unless `bandGiven` (run-settings.ts). */
  band: number;
  bandGiven?: boolean;
  /**
   * `--market-costs` preset names per market, over the config's `account.markets` entries; undefined: not given (a
   * resumed run keeps the ones it started with).
   */
  marketCosts?: Readonly<Record<string, string>>;
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
  settings: RunSettings,
): Promise<{ source: PortfolioPolicySource; costs: CostsFrom[] }> {
  const marketCosts = presetCosts(settings.marketCosts ?? {});
  if (o.model) {
    // loaded for model runs only, as on one market (session.ts)
    const { portfolioModelSource } = await import('./portfolio-model-source.ts');
    const source = await portfolioModelSource(o.model, o.config, o.symbols, o.clock, marketCosts);
    return { source, costs: modelMarketCosts(o.symbols, source.costs, o.config.account, marketCosts) };
  }
  const argument = o.strategy ?? 'equal-weight';
  const strategy = await loadPortfolioStrategy(argument);
  const source = portfolioRuleSource(strategy, {
    argument,
    symbols: o.symbols,
    seed: settings.seed ?? o.config.backtest.seed,
    every: o.every,
  });
  return { source, costs: modelMarketCosts(o.symbols, 'config', o.config.account, marketCosts) };
}

/**
 * The run's key, with the stored run's market order when it names the same markets in another order (one run, its
 * account's markets in that order), and the settings this start trades with (run-settings.ts), checked against the
 * stored run read without writing: one line before the policy loads or the exchange is asked.
 */
function portfolioRunStart(o: PortfolioSessionOptions): { key: RunKey; symbols: string[]; settings: RunSettings } {
  const asked = runKey({ ...o.config, symbol: o.symbols.join(',') }, o.mode, o.name);
  const stored = storedRun(path.resolve(o.config.data.database), asked);
  const symbols = stored?.portfolio?.symbols ?? o.symbols;
  const key = { ...asked, symbol: symbols.join(',') };
  return { key, symbols, settings: portfolioSettings(o, key, o.reset ? undefined : stored) };
}

/** The settings of a portfolio run under `key` started or resumed (`stored`) by these options (run-settings.ts). */
function portfolioSettings(o: PortfolioSessionOptions, key: RunKey, stored: RunState | undefined): RunSettings {
  const given = { band: o.bandGiven ? o.band : undefined, marketCosts: o.marketCosts, seed: o.seed };
  // a model's seed is its training's: only a rule strategy's
  const defaults = { band: o.band, marketCosts: {}, ...(o.model ? {} : { seed: o.config.backtest.seed }) };
  return runSettings(key, given, defaults, stored);
}

export async function openPortfolioSession(options: PortfolioSessionOptions): Promise<TradingSession> {
  const { key, symbols, settings } = portfolioRunStart(options);
  const o = { ...options, symbols };
  const { config } = o;
  // the run's own inputs first (a live order cap, a new run's balance): the exchange client loads ccxt, hundreds of
  // modules; an unknown exchange.id is still one line before the database is opened (made) and the policy loaded
  const flagged = presetCosts(settings.marketCosts ?? {});
  startInputChecks(o, modelMarketCosts(o.symbols, choiceCostsName(o), config.account, flagged));
  const exchange = runExchange(config, o.mode);
  // the costs' fee side: the exchange's markets', unless account.feeSide names one (exchange-fee-side.ts)
  const priced = { ...o, config: withExchangeFeeSide(config, exchange, o.symbols) };
  const { source, costs } = await resolvePortfolioPolicy(priced, settings);
  checkNewRunPolicy(o, key, source);
  o.inputChecked?.();
  await liveStartChecks(o, exchange, source);
  const names = [...o.symbols, ...(source.informative ?? [])];
  const replays = exchange || o.feeds ? undefined : names;
  return openSession({ ...priced, key, newRunCosts: costs, replays }, source, (store, repo) => {
    // the same check on the opened file (the read before could not read it: a run stored since is refused here)
    portfolioSettings(o, key, repo.find(key));
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
      band: settings.band ?? o.band,
      settings,
      ...traderSettings(o, exchange),
    };
    return o.mode === 'live' && exchange
      ? new PortfolioLiveTrader({ ...options, exchange, ...liveTraderSettings(o) })
      : new PortfolioTrader(options);
  });
}
