/** The config section that the market simulation owns (`account`) and the sizing bounds it receives. */
import { z } from 'zod';
import { spotSymbolField } from '../data/config.ts';
import { MAX_BALANCE } from '../core/limits.ts';

/** Cost fields with the bounds `account` checks; a market's entry may give any of them (issue 14). */
const costFields = {
  feeRate: z.number().min(0).max(0.1),
  sellTax: z.number().min(0).max(0.1),
  slippageBps: z.number().min(0).max(1000),
  minOrderValue: z.number().min(0),
  quantityPrecision: z.number().int().min(0).max(18),
};

/**
 * One market's costs in a portfolio run (`account.markets["ETH/KRW"]`): a preset and/or explicit fields. The fields
 * given override the preset, or the run's own costs (`account`, or a recipe's preset) when no preset is named.
 */
const marketCostsEntry = z
  .strictObject({
    preset: z.enum(['upbit-krw', 'krx-stock', 'zero']).optional(),
    feeRate: costFields.feeRate.optional(),
    sellTax: costFields.sellTax.optional(),
    slippageBps: costFields.slippageBps.optional(),
    minOrderValue: costFields.minOrderValue.optional(),
    quantityPrecision: costFields.quantityPrecision.optional(),
  })
  .refine((e) => Object.keys(e).length > 0, 'give a preset or at least one cost field');

export type MarketCostsEntry = z.infer<typeof marketCostsEntry>;

/**
 * Paper account and trading costs. Defaults are Upbit's KRW market. `preset` other than `custom` replaces the cost
 * fields with a named set from src/market/costs.ts (`upbit-krw`, `krx-stock` = RLTrader's stock costs, `zero`).
 */
export const accountSection = z.strictObject({
  preset: z.enum(['custom', 'upbit-krw', 'krx-stock', 'zero']),
  balance: z.number().positive().max(MAX_BALANCE, `at most ${MAX_BALANCE} (the largest balance)`),
  ...costFields,
  /**
   * Where a buy's fee is taken from (src/market/costs.ts FeeSide): `quote`, on top in the quote currency (Upbit), or
   * `get`, from the coins bought (Binance spot). Absent: a paper or live run takes its exchange's, as ccxt's market
   * says (src/trading/exchange-fee-side.ts); a backtest, or a run with no exchange client, `quote`.
   */
  feeSide: z.enum(['quote', 'get']).optional(),
  /**
   * Per-market costs of portfolio runs, keyed by market (issue 14). A single-market run uses the fields above; a
   * portfolio market not listed here does too. `--market-costs SYMBOL=PRESET` overrides a market's entry.
   */
  markets: z.record(spotSymbolField, marketCostsEntry).optional(),
});

export type AccountSection = z.infer<typeof accountSection>;

/** Bounds of confidence sizing, in quote currency (config `backtest.minTradeValue` / `maxTradeValue`). */
export interface TradeValueBounds {
  minTradeValue: number;
  maxTradeValue: number;
}
