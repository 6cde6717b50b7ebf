/**
 * The line a run prints when config/default.json's costs (Upbit KRW's) apply to markets not quoted in KRW: a USDT,
 * USD or stock series used to be charged them without a word.
 */
import { COST_PRESETS, defaultAccountCosts } from './costs.ts';
import type { AccountSection } from './config.ts';

/**
 * Whether a market is quoted in KRW: `BTC/KRW` by its quote, a file's series (named after the file) by a `krw` word
 * in its name (`upbit_btc_krw_1d.csv`). A name that does not say (`005930.csv`) is not.
 */
export function quotedInKrw(symbol: string): boolean {
  const slash = symbol.lastIndexOf('/');
  if (slash >= 0) return symbol.slice(slash + 1).toUpperCase() === 'KRW';
  return symbol
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .includes('krw');
}

/**
 * One line naming the costs applied and how to choose others when `account` is the default's (defaultAccountCosts) and
 * some of `symbols` (the markets trading under the account's costs) are not quoted in KRW; else undefined.
 */
export function defaultCostsNote(account: AccountSection, symbols: readonly string[]): string | undefined {
  const others = symbols.filter((s) => !quotedInKrw(s));
  if (others.length === 0 || !defaultAccountCosts(account)) return undefined;
  const c = COST_PRESETS['upbit-krw'];
  const tax = c.sellTax > 0 ? `sell tax ${c.sellTax * 100}%` : 'no sell tax';
  return (
    `costs: ${others.join(', ')} ${others.length > 1 ? 'trade' : 'trades'} under config/default.json's costs, ` +
    `Upbit KRW's (fee ${c.feeRate * 100}%, ${tax}, slippage ${c.slippageBps} bps, minimum order ` +
    `${c.minOrderValue}, quantities to ${c.quantityPrecision} decimals); choose others with account.preset in a ` +
    '--config file (krx-stock for KRX stocks, zero for none) or the account.* cost fields'
  );
}
