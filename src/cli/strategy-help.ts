/**
 * The `--strategy` help line `bot paper` and `bot live` share, naming the default strategy config/default.json
 * really sets (it named dqn-dnn literally, in two copies, and would go stale when the default changed).
 */
import { loadConfig } from '../config/load.ts';

export function traderStrategyHelp(): string {
  const fallback = loadConfig().backtest.strategy;
  return (
    `rule strategy from strategies/ (default: backtest.strategy, ${fallback}: an agent, ` + 'so give --model or a rule)'
  );
}
