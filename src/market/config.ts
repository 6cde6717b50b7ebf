/** The config section that the market simulation owns (`account`) and the sizing bounds it receives. */
import { z } from 'zod';

/**
 * Paper account and trading costs. Defaults are Upbit's KRW market. `preset` other than `custom` replaces the cost
 * fields with a named set from src/market/costs.ts (`upbit-krw`, `krx-stock` = RLTrader's stock costs, `zero`).
 */
export const accountSection = z.strictObject({
  preset: z.enum(['custom', 'upbit-krw', 'krx-stock', 'zero']),
  balance: z.number().positive(),
  feeRate: z.number().min(0).max(0.1),
  sellTax: z.number().min(0).max(0.1),
  slippageBps: z.number().min(0).max(1000),
  minOrderValue: z.number().min(0),
  quantityPrecision: z.number().int().min(0).max(18),
});

export type AccountSection = z.infer<typeof accountSection>;

/** Bounds of confidence sizing, in quote currency (config `backtest.minTradeValue` / `maxTradeValue`). */
export interface TradeValueBounds {
  minTradeValue: number;
  maxTradeValue: number;
}
