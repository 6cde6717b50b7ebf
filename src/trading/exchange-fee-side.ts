/**
 * The fee side a paper or live run trades with (account.feeSide, src/market/costs.ts FeeSide): the config's when it
 * names one, else its exchange's as ccxt's market structure says (`feeSide`), so that paper books a buy's fee where
 * the live exchange takes it (README "Account and costs": the Binance fee-side gap).
 */
import type { Exchange } from 'ccxt';
import { UserError } from '../core/errors.ts';
import type { FeeSide } from '../market/costs.ts';
import type { AccountSection } from '../market/config.ts';

/**
 * ccxt's `feeSide` of `symbol` on `ex`: its loaded market's, else the exchange's trading fees' (ccxt extends every
 * market it loads with those, so a spot market says the same before the markets are loaded); undefined when ccxt
 * says none (Upbit).
 */
function ccxtFeeSide(ex: Exchange, symbol: string): unknown {
  const markets = ex.markets as Record<string, { feeSide?: unknown } | undefined> | undefined;
  const own = markets?.[symbol]?.feeSide;
  return own ?? (ex.fees.trading as { feeSide?: unknown }).feeSide;
}

/**
 * The fee side of `symbol` on `ex` as the account models it: ccxt's `get` (Binance spot: a buy's fee from the coins
 * bought) is `get`; `quote`, or none (ccxt's own default in calculateFee; Upbit charges its fee on top in KRW), is
 * `quote`; any other (`give`, `base`, `other`) is one line asking for account.feeSide.
 */
export function exchangeFeeSide(ex: Exchange, symbol: string): FeeSide {
  const side = ccxtFeeSide(ex, symbol);
  if (side === undefined || side === null || side === 'quote') return 'quote';
  if (side === 'get') return 'get';
  throw new UserError(
    `${ex.id} ${symbol}: ccxt says its fee side is ${JSON.stringify(side)}, which the account does not model; ` +
      'set account.feeSide ("quote": on top in the quote currency, "get": from the coins bought) in a --config file',
  );
}

/**
 * `config` with its account's fee side settled for a run of `symbols` on `exchange`: the config's own when it names
 * one, else the exchange's (exchangeFeeSide; a portfolio's markets must agree); without an exchange client (a
 * stored-only replay) as it is, whose costs then charge the fee on top (`quote`).
 */
export function withExchangeFeeSide<T extends { account: AccountSection }>(
  config: T,
  exchange: Exchange | undefined,
  symbols: readonly string[],
): T {
  if (config.account.feeSide !== undefined || !exchange) return config;
  const sides = [...new Set(symbols.map((s) => exchangeFeeSide(exchange, s)))];
  if (sides.length > 1)
    throw new UserError(
      `${exchange.id}: ccxt gives ${symbols.join(', ')} different fee sides (${sides.join(', ')}); ` +
        'set account.feeSide in a --config file',
    );
  return { ...config, account: { ...config.account, feeSide: sides[0] } };
}
