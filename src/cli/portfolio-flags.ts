/**
 * `--symbols A,B[,…]` on the trading commands (issue 14: paper, live, retrain): one run, one account over several
 * markets. Checked before any network or disk work; `--symbol` and `--symbols` do not go together.
 */
import type { Command } from 'commander';
import { decimalFlag } from '../core/decimal.ts';
import { UserError } from '../core/errors.ts';
import { parseSpotSymbol } from '../core/market-symbol.ts';
import { parsePortfolioSymbols } from '../data/portfolio-source.ts';
import { wholeNumber } from './context.ts';
import { costPreset, presetCosts, type Costs } from '../market/costs.ts';
import type { RunState } from '../trading/types.ts';
import { eitherNotBoth } from '../core/flag-conflicts.ts';

export interface PortfolioFlags {
  symbol?: string;
  symbols?: string;
  rebalanceEvery?: string;
  band?: string;
  marketCosts?: string;
}

interface PortfolioChoice {
  symbols: string[];
  every: number;
  /** `--band`, or its default. */
  band: number;
  /** `--band` was given: a resumed run keeps the band it started with otherwise (src/trading/run-settings.ts). */
  bandGiven: boolean;
  /** `--market-costs`: a preset name per market, over the config file's `account.markets`; undefined: not given. */
  marketCosts: Record<string, string> | undefined;
}

export function addPortfolioOptions(cmd: Command): Command {
  return cmd
    .option('--symbols <list>', 'portfolio: markets A,B[,…] on one account (with a portfolio strategy: equal-weight)')
    .option('--rebalance-every <n>', 'portfolio: equal-weight rebalances every n candles (default 20)')
    .option('--band <fraction>', 'portfolio: skip moves under this fraction of the value (default 0.01)')
    .option('--market-costs <list>', 'portfolio: a cost preset per market, SYMBOL=PRESET[,…] (over account.markets)');
}

/** `--market-costs A/KRW=upbit-krw,B/KRW=krx-stock`: a cost preset name per market, each checked. */
function marketCostNames(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined) return out;
  for (const part of value.split(',')) {
    const eq = part.lastIndexOf('=');
    const symbol = part.slice(0, eq).trim();
    if (eq <= 0 || symbol === '') throw new UserError(`--market-costs wants SYMBOL=PRESET pairs, got "${part}"`);
    parseSpotSymbol(symbol, '--market-costs');
    if (symbol in out) throw new UserError(`--market-costs names ${symbol} twice`);
    const preset = part.slice(eq + 1).trim();
    costPreset(preset);
    out[symbol] = preset;
  }
  return out;
}

/** `--market-costs A/KRW=upbit-krw,B/KRW=krx-stock`: a cost preset per market (the others keep the run's costs). */
export function parseMarketCosts(value: string | undefined): Map<string, Costs> {
  return presetCosts(marketCostNames(value));
}

/** A `--market-costs` market that the run does not trade is a mistake worth one line. */
export function checkMarketCostsTraded(marketCosts: ReadonlyMap<string, Costs>, symbols: readonly string[]): void {
  const unknown = [...marketCosts.keys()].find((s) => symbols.length > 0 && !symbols.includes(s));
  if (unknown) throw new UserError(`--market-costs names ${unknown}, which is not traded (${symbols.join(', ')})`);
}

/** A single-market run given a flag that only portfolios read: one line, not a run that ignores it. */
export function refusePortfolioOnlyFlags(flags: PortfolioFlags): void {
  for (const [flag, v] of [
    ['--rebalance-every', flags.rebalanceEvery],
    ['--band', flags.band],
    ['--market-costs', flags.marketCosts],
  ] as const) {
    if (v !== undefined) throw new UserError(`${flag} is for portfolios: give --symbols BTC/KRW,ETH/KRW`);
  }
}

/**
 * `--symbol` given to a portfolio command, which reads nothing of it (its markets are --symbols' or its model's): one
 * line, not a run over other markets than the one named (bot backtest and a portfolio model's predict ignored it).
 * `markets`: where the command's markets come from, for the line without --symbols.
 */
export function refuseSymbolFlag(flags: Pick<PortfolioFlags, 'symbol' | 'symbols'>, markets: string): void {
  eitherNotBoth(['--symbol (one market)', flags.symbol], ['--symbols (a portfolio)', flags.symbols]);
  if (flags.symbol !== undefined) throw new UserError(`--symbol is for one market; ${markets}: drop --symbol`);
}

/** --rebalance-every K (default 20) and --band F (default 0.01) of a portfolio run or backtest. */
export function rebalanceFlags(flags: { rebalanceEvery?: string; band?: string }): { every: number; band: number } {
  const every = wholeNumber(flags.rebalanceEvery, '--rebalance-every', 1) ?? 20;
  const band = flags.band !== undefined ? decimalFlag(flags.band, '--band') : 0.01;
  if (!(band >= 0 && band < 1)) throw new UserError(`--band must be a fraction in [0, 1), got "${flags.band}"`);
  return { every, band };
}

/** The portfolio flags, or undefined for a single-market command; one-line errors for bad values. */
export function parsePortfolioFlags(flags: PortfolioFlags): PortfolioChoice | undefined {
  if (flags.symbols === undefined) {
    refusePortfolioOnlyFlags(flags);
    return undefined;
  }
  refuseSymbolFlag(flags, 'give --symbols');
  const symbols = parsePortfolioSymbols(flags.symbols);
  const { every, band } = rebalanceFlags(flags);
  // the preset names, not their costs: a resume compares them with the ones its run started with
  const marketCosts = flags.marketCosts !== undefined ? marketCostNames(flags.marketCosts) : undefined;
  checkMarketCostsTraded(presetCosts(marketCosts ?? {}), symbols);
  return { symbols, every, band, bandGiven: flags.band !== undefined, marketCosts };
}

/** One line of a portfolio run's holdings: value, cash and each market's weight. */
export function describeHoldings(run: RunState, value: number | undefined, weights: readonly number[]): string {
  const pf = run.portfolio;
  if (!pf) return '';
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const cash = pf.account.cash;
  const parts = pf.symbols.map((s, m) => `${s} ${pct(weights[m] ?? 0)}`);
  return `value ${(value ?? cash).toFixed(0)}: cash ${cash.toFixed(0)}, ${parts.join(', ')}`;
}
