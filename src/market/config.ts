import { z } from 'zod';

/** Paper account and trading costs. Defaults are Upbit's KRW market. */
export const accountSection = z.strictObject({
  balance: z.number().positive(),
  feeRate: z.number().min(0).max(0.1),
  sellTax: z.number().min(0).max(0.1),
  slippageBps: z.number().min(0).max(1000),
  minOrderValue: z.number().min(0),
  quantityPrecision: z.number().int().min(0).max(18),
});
