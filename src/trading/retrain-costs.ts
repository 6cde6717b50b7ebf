/**
 * How a retrain names the costs its scores were judged at (the row's `costs`, `--json`'s `costs`, the console's `all
 * judged at …`, the dashboard's "judged at" column): one market's are its recipe's, a portfolio's each market's as
 * its paper and live runs pay them (src/market/costs.ts, modelMarketCosts).
 */
import type { AccountSection } from '../market/config.ts';

/**
 * The costs a recipe's `costs` stands for, named as the user sets them: a preset the recipe names, or the config's
 * `account` (its preset, or its own figures).
 */
export function costsName(recipeCosts: string, account: AccountSection): string {
  if (recipeCosts !== 'config') return `cost preset ${recipeCosts}`;
  return account.preset === 'custom' ? "the config's account costs" : `account.preset ${account.preset}`;
}

/**
 * A portfolio's costs, named by where each market's came from in modelMarketCosts' order (`--market-costs`, then its
 * `account.markets` entry, then the recipe's): one name when every market has the same source, else each market with
 * its own (`BTC/KRW --market-costs krx-stock · ETH/KRW account.preset upbit-krw`). A portfolio retrain recorded none
 * (audit, session 38), though its scores were judged at these.
 */
export function portfolioCostsName(
  symbols: readonly string[],
  recipeCosts: string,
  account: AccountSection,
  flagged: Readonly<Record<string, string>> = {},
): string {
  const base = costsName(recipeCosts, account);
  const each = symbols.map((symbol) => {
    const preset = flagged[symbol];
    if (preset !== undefined) return `--market-costs ${preset}`;
    const entry = account.markets?.[symbol];
    if (!entry) return base;
    const { preset: entryPreset, ...fields } = entry;
    if (Object.keys(fields).length > 0)
      return `account.markets entry${entryPreset ? ` over preset ${entryPreset}` : ''}`;
    return entryPreset ? `account.markets preset ${entryPreset}` : base;
  });
  if (each.every((name) => name === each[0])) return each[0];
  return symbols.map((symbol, i) => `${symbol} ${each[i]}`).join(' · ');
}
