/**
 * The `bot backtest` flags that measure a sweep's configuration as the sweep measured it: its seeds, its folds and the
 * very candles its folds were laid out on. `--save-strategy` printed only `--strategy FILE`, which trained one seed on
 * one fold of other candles: other figures than the sweep's (audit, session 39).
 */
import { recipeWarmup } from '../agents/recipe-reach.ts';
import type { AgentRecipe } from '../agents/recipe.ts';
import { isoTime, timeframeMs } from '../data/timeframe.ts';
import type { SweepRequest } from './grid.ts';
import type { SweepPlan } from './plan.ts';

/** A flag's value as a shell reads it back: bare when plain, else in single quotes. */
function shellWord(value: string): string {
  return /^[\w./:@=+,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Per market of the sweep, the flags after `--strategy` that give `recipe`'s figures: `--seed`, `--seeds` and
 * `--folds` as the sweep ran them, the market's source (`--data`, `--sample` or `--symbol`), and `--from`/`--to`
 * pinning its candles. The sweep lays every fold out after the largest warm-up of its configurations and bot backtest
 * after its recipe's own: `--from` starts the difference earlier, so the folds are the same candles. `passed`: the
 * command-line flags the sweep's numbers also depend on (`--config FILE`, `--timeframe`, …), given again.
 */
export function replayFlags(
  plan: SweepPlan,
  request: SweepRequest,
  recipe: AgentRecipe,
  passed: readonly string[] = [],
): string[][] {
  const largest = Math.max(...plan.configurations.map((c) => recipeWarmup(c.recipe)));
  const earlier = largest - recipeWarmup(recipe);
  return plan.markets.map((m) => {
    const { ts, timeframe } = m.candles;
    const source = request.data ? ['--data', request.data] : request.sample ? ['--sample'] : ['--symbol', m.ref.symbol];
    return [
      ...['--seed', String(request.seed), '--seeds', String(request.seeds), '--folds', String(request.folds)],
      ...source,
      ...['--from', isoTime(ts[earlier]), '--to', isoTime(ts[ts.length - 1] + timeframeMs(timeframe))],
      ...passed,
    ];
  });
}

/**
 * The `bot backtest` command lines of replayFlags (`argument`: the `--strategy` value, shell-ready), one per market,
 * joined by ` ; `.
 */
export function replayText(argument: string, flags: readonly (readonly string[])[]): string {
  return flags.map((f) => `bot backtest --strategy ${argument} ${f.map(shellWord).join(' ')}`).join(' ; ');
}
