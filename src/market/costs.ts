/** Trading costs and exchange rules, their named presets and checks. */
import { UserError } from '../core/errors.ts';
import type { AccountSection, MarketCostsEntry } from './config.ts';

/** Trading costs and exchange rules applied to every fill. */
export interface Costs {
  /** Commission per side as a fraction of the traded value (Upbit KRW: 0.0005). */
  feeRate: number;
  /** Extra charge on sells only, as a fraction (Korean stock transaction tax: 0.0025). */
  sellTax: number;
  /** Price moves against the order by this many basis points at the fill. */
  slippageBps: number;
  /** Orders whose traded value is below this are refused (Upbit KRW: 5,000). */
  minOrderValue: number;
  /** Units are rounded down to this many decimals (8 for BTC, 0 for shares). */
  quantityPrecision: number;
  /** Where a buy's fee is taken from (FeeSide); absent: `'quote'`, Upbit's way. */
  feeSide?: FeeSide;
}

/**
 * Where a buy's fee is taken from, in ccxt's words (its market field `feeSide`): `'quote'` charges it on top of the
 * buy's value in the quote currency (Upbit: a buy of 1,000,000 KRW costs 1,000,500); `'get'` takes it from what the
 * order gets, the coins of a buy (Binance spot: 1,000 USDT buys 0.02 BTC of which 0.00002 are the fee). A sell's fee
 * comes out of the quote proceeds either way. ccxt's other values (`'give'`, `'base'`, `'other'`) are not modelled.
 */
export type FeeSide = 'quote' | 'get';
const FEE_SIDES: readonly FeeSide[] = ['quote', 'get'];

/** The fee rate a buy pays on top of its value in the quote currency: feeRate, or 0 when the coins bought pay it. */
export function buyFeeOnTop(costs: Pick<Costs, 'feeRate' | 'feeSide'>): number {
  return costs.feeSide === 'get' ? 0 : costs.feeRate;
}

/**
 * The quote cash a buy must commit to end up holding `value` of the coin: the fee on top (`'quote'`), or the value
 * grossed up by the fee the coins pay (`'get'`). Target sizing (src/market/execution.ts) sizes its buys by it.
 */
export function spendFor(value: number, costs: Pick<Costs, 'feeRate' | 'feeSide'>): number {
  return costs.feeSide === 'get' ? value / (1 - costs.feeRate) : value * (1 + costs.feeRate);
}

/**
 * The quote amount a market buy sends as its cost (ccxt's `cost`) for a paper fill of `gross` (units received ×
 * price) and `fee`: the value alone where the exchange charges the fee on top, the value and the fee (the coins it
 * took) where the coins bought pay it. A portfolio live buy sends its paper fill's (src/trading/portfolio-live.ts).
 */
export function sentBuyCost(fill: { gross: number; fee: number }, costs: Pick<Costs, 'feeSide'>): number {
  return costs.feeSide === 'get' ? fill.gross + fill.fee : fill.gross;
}

/** `costs` with the fee side `side` (undefined: as they are): the fee side is the exchange's, over any preset. */
function withFeeSide(costs: Costs, side: FeeSide | undefined): Costs {
  return side === undefined ? costs : { ...costs, feeSide: side };
}

/**
 * Whether a holding worth `value` could never be sold: below the minimum order (or nothing at all). A sell that would
 * leave such a remainder sells everything instead (one market's confidence and target sizing, portfolio rebalancing).
 */
export function unsellable(value: number, costs: Pick<Costs, 'minOrderValue'>): boolean {
  return value < Math.max(costs.minOrderValue, 1e-12);
}

export type CostPresetName = 'upbit-krw' | 'krx-stock' | 'zero';

/**
 * Named cost sets. `krx-stock` is RLTrader's stock setting (0.015% commission, 0.25% sell tax, whole shares).
 */
export const COST_PRESETS: Readonly<Record<CostPresetName, Readonly<Costs>>> = {
  'upbit-krw': { feeRate: 0.0005, sellTax: 0, slippageBps: 5, minOrderValue: 5000, quantityPrecision: 8 },
  'krx-stock': { feeRate: 0.00015, sellTax: 0.0025, slippageBps: 0, minOrderValue: 0, quantityPrecision: 0 },
  zero: { feeRate: 0, sellTax: 0, slippageBps: 0, minOrderValue: 0, quantityPrecision: 12 },
};

export function listCostPresets(): CostPresetName[] {
  return Object.keys(COST_PRESETS) as CostPresetName[];
}

export function costPreset(name: string): Costs {
  if (!(name in COST_PRESETS))
    throw new UserError(`unknown cost preset "${name}" (presets: ${listCostPresets().join(', ')})`);
  return { ...COST_PRESETS[name as CostPresetName] };
}

/** A cost preset name per market (`--market-costs`, or a run's stored ones) as each market's costs. */
export function presetCosts(names: Readonly<Record<string, string>>): Map<string, Costs> {
  return new Map(Object.entries(names).map(([symbol, preset]) => [symbol, costPreset(preset)]));
}

/** The account section of the config (`preset: custom` uses its own fields, any other preset replaces them). */
interface AccountSettings extends Costs {
  preset: 'custom' | CostPresetName;
  balance: number;
}

export function costsFromSettings(s: AccountSettings): Costs {
  if (s.preset !== 'custom') return withFeeSide(costPreset(s.preset), s.feeSide);
  return withFeeSide(
    {
      feeRate: s.feeRate,
      sellTax: s.sellTax,
      slippageBps: s.slippageBps,
      minOrderValue: s.minOrderValue,
      quantityPrecision: s.quantityPrecision,
    },
    s.feeSide,
  );
}

/** Costs and where their minimum order came from: the setting checkBalance names when a balance is below it. */
export interface CostsFrom {
  costs: Costs;
  minimumFrom: string;
  /** They are config/default.json's (defaultAccountCosts): checkBalance says how to choose a market's own. */
  defaults?: boolean;
}

const COST_FIELDS = ['feeRate', 'sellTax', 'slippageBps', 'minOrderValue', 'quantityPrecision'] as const;

/**
 * Whether the account trades under config/default.json's costs, Upbit KRW's: preset `custom` with upbit-krw's
 * fields (test/unit/config.test.ts holds the two equal). A USDT, USD or stock series used to get them without a word.
 */
export function defaultAccountCosts(account: AccountSettings): boolean {
  return account.preset === 'custom' && COST_FIELDS.every((k) => account[k] === COST_PRESETS['upbit-krw'][k]);
}

/** A run's own costs: a recipe's cost preset, or with `'config'` (rule strategies, recipes saying so) the account's. */
export function runCosts(recipeCosts: string, account: AccountSettings): CostsFrom {
  if (recipeCosts !== 'config')
    return {
      costs: withFeeSide(costPreset(recipeCosts), account.feeSide),
      minimumFrom: `the recipe's costs ${recipeCosts}`,
    };
  if (defaultAccountCosts(account))
    return {
      costs: costsFromSettings(account),
      minimumFrom: "account.minOrderValue, config/default.json's Upbit KRW minimum",
      defaults: true,
    };
  const minimumFrom = account.preset === 'custom' ? 'account.minOrderValue' : `account.preset ${account.preset}`;
  return { costs: costsFromSettings(account), minimumFrom };
}

/**
 * The largest order value (before a fee on top) that `cash` can buy, `feeOnTop` the rate charged on top of it
 * (buyFeeOnTop: 0 where the coins bought pay the fee): a buy of all the cash (src/market/account.ts, the live order's
 * room in src/trading/live-orders.ts) and the balance check use this one sum. Slippage moves the price, not the value
 * bought: fewer units for the same value.
 */
export function largestBuyValue(cash: number, feeOnTop: number): number {
  return cash / (1 + feeOnTop);
}

/**
 * The order value (the exchange's cost, before a fee on top) a buy of `spend`, cash to commit fee included
 * (Order.spend), buys from `cash`: the paper account's buy (src/market/account.ts) and the cost a single-market live
 * buy sends the exchange (src/trading/live.ts), so both spend the same for the same order. `feeOnTop` is buyFeeOnTop's:
 * Upbit charges its fee on top of the cost; Binance takes it from the coins, so the whole spend is the cost.
 */
export function buyValue(spend: number, cash: number, feeOnTop: number): number {
  return largestBuyValue(Math.min(spend, cash), feeOnTop);
}

/**
 * A starting balance whose largest buy (the balance less the fee, largestBuyValue) is below the minimum order value
 * could place no order: a run would report 0 trades and only rejections, so it is one line before any work instead,
 * naming where the minimum came from. A portfolio's markets each have theirs (the largest that refuses counts: below
 * it a market could never be traded); a live run's balance is its cap (`what`).
 */
export function checkBalance(
  account: { balance: number },
  costs: CostsFrom | readonly CostsFrom[],
  what = 'balance',
): void {
  const all: readonly CostsFrom[] = 'costs' in costs ? [costs] : costs;
  const top = all
    .filter((c) => largestBuyValue(account.balance, buyFeeOnTop(c.costs)) < c.costs.minOrderValue)
    .reduce<CostsFrom | undefined>(
      (a, c) => (a === undefined || c.costs.minOrderValue > a.costs.minOrderValue ? c : a),
      undefined,
    );
  if (top === undefined) return;
  const { minOrderValue } = top.costs;
  const feeRate = buyFeeOnTop(top.costs);
  const short =
    account.balance < minOrderValue
      ? `${what} ${account.balance} is below`
      : `${what} ${account.balance} less the ${+(feeRate * 100).toPrecision(6)}% fee buys at most ` +
        `${largestBuyValue(account.balance, feeRate).toFixed(2)}, below`;
  const presets = listCostPresets().filter((p) => p !== 'upbit-krw');
  const choose = top.defaults
    ? `, or choose your market's costs: account.preset (${presets.join(', ')}) or account.minOrderValue in a ` +
      '--config file'
    : '';
  throw new UserError(
    `${short} the minimum order value ${minOrderValue} (${top.minimumFrom}): ` +
      `no order could be placed; raise --balance or account.balance${choose}`,
  );
}

/** Throws a UserError naming the first cost that makes no sense. */
export function checkCosts(c: Costs): void {
  const bad = (what: string) => {
    throw new UserError(`costs: ${what}`);
  };
  if (!(c.feeRate >= 0 && c.feeRate < 0.5)) bad(`feeRate ${c.feeRate} must be in [0, 0.5)`);
  if (!(c.sellTax >= 0 && c.sellTax < 0.5)) bad(`sellTax ${c.sellTax} must be in [0, 0.5)`);
  if (!(c.slippageBps >= 0 && c.slippageBps < 5000)) bad(`slippageBps ${c.slippageBps} must be in [0, 5000)`);
  if (!(c.minOrderValue >= 0 && Number.isFinite(c.minOrderValue))) bad(`minOrderValue ${c.minOrderValue} must be ≥ 0`);
  if (!(Number.isInteger(c.quantityPrecision) && c.quantityPrecision >= 0 && c.quantityPrecision <= 18)) {
    bad(`quantityPrecision ${c.quantityPrecision} must be an integer in 0..18`);
  }
  if (c.feeSide !== undefined && !FEE_SIDES.includes(c.feeSide))
    bad(`feeSide ${JSON.stringify(c.feeSide)} must be one of ${FEE_SIDES.join(', ')}`);
}

/**
 * Each traded market's costs in a portfolio run (issue 14): a `--market-costs` preset for the market if the flag
 * names it (the flag overrides the file), else its `account.markets` entry (a preset and/or fields, over `base`),
 * else `base` (the run's costs).
 */
export function portfolioCosts(
  symbols: readonly string[],
  base: CostsFrom,
  entries: Readonly<Record<string, MarketCostsEntry>> | undefined,
  flagged: ReadonlyMap<string, Costs>,
): CostsFrom[] {
  return symbols.map((symbol) => {
    const fromFlag = flagged.get(symbol);
    // a preset names costs, not the exchange's fee side: the run's stays
    if (fromFlag)
      return { costs: withFeeSide({ ...fromFlag }, base.costs.feeSide), minimumFrom: `--market-costs ${symbol}` };
    const entry = entries?.[symbol];
    if (!entry) return { ...base, costs: { ...base.costs } };
    const { preset, ...fields } = entry;
    const key = `account.markets["${symbol}"]`;
    const minimumFrom =
      fields.minOrderValue !== undefined
        ? `${key}.minOrderValue`
        : preset
          ? `${key}.preset ${preset}`
          : base.minimumFrom;
    const costs = { ...(preset ? withFeeSide(costPreset(preset), base.costs.feeSide) : base.costs), ...fields };
    return { costs, minimumFrom };
  });
}

/**
 * Each market's costs in a portfolio paper, live or retrain run (issue 14): a saved model recipe's costs (`'config'`,
 * as for rule strategies: the account's), overridden per market by the config's `account.markets`, then
 * `--market-costs`.
 */
export function modelMarketCosts(
  symbols: readonly string[],
  recipeCosts: string,
  account: AccountSection,
  flagged: ReadonlyMap<string, Costs> = new Map(),
): CostsFrom[] {
  return portfolioCosts(symbols, runCosts(recipeCosts, account), account.markets, flagged);
}
