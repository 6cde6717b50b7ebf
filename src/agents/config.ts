/** The config section that the agents own (`agent`) and the settings that training receives. */
import { z } from 'zod';
import type { AccountSection, TradeValueBounds } from '../market/config.ts';
import { WALK_SCHEMES } from './splits.ts';
import { TRAINING_LIMITS } from '../core/limits.ts';

/** Training and evaluation of agent strategies (`bot backtest --strategy <agent>`, `bot retrain`). */
export const agentSection = z.strictObject({
  /** Epochs when neither the recipe nor --epochs says (a recipe's own `epochs` wins over this). */
  epochs: z.number().int().min(1).max(TRAINING_LIMITS.epochs),
  /** Chronological split of the chosen range, as fractions that sum to 1. */
  split: z
    .strictObject({ train: z.number().gt(0).lt(1), validation: z.number().gt(0).lt(1), test: z.number().gt(0).lt(1) })
    .refine((s) => Math.abs(s.train + s.validation + s.test - 1) < 1e-6, 'split fractions must sum to 1'),
  /**
   * With `--folds K`: `rolling` training windows of one length, or `anchored` ones that all start at the range's first
   * usable candle (src/agents/splits.ts). Test windows are the same either way.
   */
  walkForward: z.enum(WALK_SCHEMES),
  /** Early stopping: stop after this many epochs without a better validation Sharpe (0: never stop early). */
  patience: z.number().int().min(0),
  /** Validate every this many epochs. */
  validateEvery: z.number().int().min(1),
  /** Epoch summary PNGs every this many epochs (0: none; the last epoch always gets one when > 0). */
  summaryEvery: z.number().int().min(0),
  /** Where trained models are saved (`<modelsDir>/<name>/`). */
  modelsDir: z.string().min(1),
  /** Candles to use at most, newest kept (0: all); keeps the default run to a few minutes. */
  maxCandles: z.number().int().min(0),
});

type AgentSection = z.infer<typeof agentSection>;

/** The market an agent trains and trades in: the account (balance, costs) and the confidence-sizing bounds. */
export interface AgentMarketSettings {
  account: AccountSection;
  backtest: TradeValueBounds;
}

/** What training an agent reads from config: its own section and the market it trades in. */
export interface AgentSettings extends AgentMarketSettings {
  agent: AgentSection;
}
