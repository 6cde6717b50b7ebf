/**
 * The `--strategy` help line `bot paper` and `bot live` share, naming the default strategy config/default.json
 * really sets (it named dqn-dnn literally, in two copies, and would go stale when the default changed).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../core/project-root.ts';

export function traderStrategyHelp(): string {
  // the file read as is, not through loadConfig: commands are registered on every start, and flag mistakes and rule
  // strategies must not load zod (test/cli/startup-modules.test.ts)
  const defaults = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'config', 'default.json'), 'utf8')) as {
    backtest?: { strategy?: string };
  };
  const fallback = defaults.backtest?.strategy ?? 'none';
  return (
    `rule strategy from strategies/ (default: backtest.strategy, ${fallback}: an agent, ` + 'so give --model or a rule)'
  );
}
