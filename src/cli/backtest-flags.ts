/** The flags of `bot backtest`, shared by its single-market path (commands/backtest.ts) and its portfolio path. */
import type { CommonFlags } from './context.ts';

export interface BacktestFlags extends CommonFlags {
  strategy?: string;
  data?: string;
  columns?: string;
  sample?: boolean;
  from?: string;
  to?: string;
  out?: string;
  seed?: string;
  balance?: string;
  epochs?: string;
  seeds?: string;
  ensemble?: string;
  folds?: string;
  name?: string;
  model?: string;
  json?: boolean;
  symbols?: string;
  informative?: string;
  marketCosts?: string;
  rebalanceEvery?: string;
  band?: string;
}
