import { z } from 'zod';

/** `bot backtest` defaults. Rule strategies trade with `sizing`; the baselines trade all-in / all-out. */
export const backtestSection = z.strictObject({
  /** Strategy run when `--strategy` is not given (a file name in strategies/). */
  strategy: z.string().min(1),
  /** Where run folders go (`backtests/<run-id>/`), relative to the working directory. */
  outDir: z.string().min(1),
  sizing: z.enum(['all', 'confidence']),
  /** Confidence sizing bounds, in quote currency. */
  minTradeValue: z.number().positive(),
  maxTradeValue: z.number().positive(),
  /** Seeds of the random-actions baseline (mean ± sd over them). */
  randomSeeds: z.number().int().min(1).max(1000),
  seed: z.number().int(),
});
