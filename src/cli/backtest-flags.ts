/** The flags of `bot backtest`, shared by its single-market path (commands/backtest.ts) and its portfolio path. */
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { checkName } from '../core/names.ts';
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

/** The flags only an agent's training reads (`--ensemble` has its own messages). */
const TRAINING_FLAGS = [
  ['epochs', '--epochs'],
  ['seeds', '--seeds'],
  ['folds', '--folds'],
  ['name', '--name'],
] as const;

/** The first training flag given (`--epochs`, …), or undefined. */
export function trainingFlag(flags: BacktestFlags): string | undefined {
  return TRAINING_FLAGS.find(([key]) => flags[key] !== undefined)?.[1];
}

/**
 * A rule strategy (one market or a portfolio) trains nothing: a training flag with one is refused, not ignored
 * (`--seeds 3` used to run once, as if it had not been given).
 */
export function refuseTrainingFlag(flags: BacktestFlags, strategy: string): void {
  const training = trainingFlag(flags);
  if (training) throw new UserError(`${training} is for agent strategies, not ${strategy} (a rule strategy)`);
}

/**
 * `--name`, the trained model's folder, checked with the other flags (one market or a portfolio): a single-market
 * agent run used to check it after choosing the backend and loading the candles.
 */
export function checkModelNameFlag(flags: BacktestFlags): void {
  if (flags.name !== undefined) checkName(flags.name, " (it names the trained model's folder)");
}

/**
 * Refuses a model home (refuseModelHome) as the folder `name` under `modelsDir` that an agent run saves its model to,
 * with the flags' checks (one market or a portfolio): it used to come after the exchange's retries and the candles.
 */
export async function refuseHome(modelsDir: string, name: string): Promise<void> {
  const { refuseModelHome } = await import('../agents/model-pointer.ts');
  refuseModelHome(path.join(modelsDir, name));
}
