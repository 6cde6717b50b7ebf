/** The config section that the backtest owns (`backtest`) and the settings its runs receive. */
import { z } from 'zod';
import type { AgentSettings } from '../agents/config.ts';
import type { AccountSection } from '../market/config.ts';
import type { MlSection } from '../nn/config.ts';

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

type BacktestSection = z.infer<typeof backtestSection>;

/** What a rule or saved-model backtest reads from config. */
export interface BacktestSettings {
  account: AccountSection;
  backtest: BacktestSection;
  ml: MlSection;
}

/** What an agent backtest reads from config: the backtest's settings and the agents' own. */
export interface AgentBacktestSettings extends BacktestSettings, AgentSettings {
  backtest: BacktestSection;
}
