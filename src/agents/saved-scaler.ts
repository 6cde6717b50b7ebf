/**
 * The scaler state a saved model's meta.json holds, read back: a one-market agent's (one state) and a portfolio
 * model's (one per series). Loading the model (load-agent.ts) and checking its folder before tfjs
 * (model-folder-check.ts) both read it here, so the two refuse the same folders in the same line (session 39).
 */
import { UserError } from '../core/errors.ts';
import { scalerFromJSON, type ScalerState } from '../features/scaler.ts';
import type { AgentRecipe } from './recipe.ts';

/** scalerFromJSON of `state`, its one line naming the model `dir`'s meta.json it was read from. */
function parsed(dir: string, state: unknown, which = ''): ScalerState {
  try {
    return scalerFromJSON(state);
  } catch (e) {
    throw new UserError(`model ${dir}: meta.json ${which}${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * The scaler a one-market agent saved in `dir` scales its features with (meta.json `scaler`), undefined when its
 * recipe reads no feature window. Without saved stats the features were refitted on the candles served, and failed
 * with `scaler needs at least 2 training rows` (audit, session 38, item 6): that is one line naming the folder.
 */
export function savedAgentScaler(
  dir: string,
  recipe: Pick<AgentRecipe, 'features' | 'window' | 'scaler'>,
  state: unknown,
): ScalerState | undefined {
  if (recipe.features && recipe.window > 0 && !state)
    throw new UserError(`model ${dir}: meta.json has no scaler state (recipe.scaler ${recipe.scaler})`);
  return state ? parsed(dir, state) : undefined;
}

/** The scalers of a portfolio model saved in `dir`, one per series it reads (`series`: traded, then informative). */
export function savedPortfolioScalers(dir: string, series: readonly string[], state: unknown): ScalerState[] {
  if (!Array.isArray(state) || state.length !== series.length)
    throw new UserError(
      `model ${dir}: meta.json scaler must list one scaler state per series it reads (${series.join(',')})`,
    );
  return state.map((s, i) => parsed(dir, s, `scaler of ${series[i]}: `));
}
