/**
 * A saved agent's folder checked without TensorFlow.js before `bot backtest --model` and `bot predict --model` touch
 * any candles: meta.json, every network's weight file against its manifest, the scaler state, and the recipe's
 * observation size against the saved network's input. A truncated weight file used to be found only after candles
 * were fetched and stored, and a recipe edited after saving (window 3 → 5) crashed at the first decision with
 * `observation has 75 inputs, the network expects 45` (audit, session 38).
 */
import { parseImageSpec } from '../chart/spec.ts';
import { UserError } from '../core/errors.ts';
import { featureNames } from '../features/index.ts';
import { scalerFromJSON } from '../features/scaler.ts';
import { modelFiles, readModelFiles, readModelMeta } from '../nn/model-folder.ts';
import type { AgentRecipe } from './recipe.ts';
import { resolveModel } from './model-pointer.ts';

/** checkModelFolder of the version `--model <home>` serves. */
export function checkModelHome(home: string): void {
  checkModelFolder(resolveModel(home).dir);
}

/** Throws a one-line UserError naming `dir` when its saved agent cannot be loaded or cannot read its observations. */
export function checkModelFolder(dir: string): void {
  const what = `model ${dir}`;
  const { keys, meta } = readModelMeta(dir, what);
  const tops = keys.map((key) => readModelFiles(dir, modelFiles(key), what).json);
  const recipe = (meta.learner as { recipe?: AgentRecipe } | undefined)?.recipe;
  if (!recipe || typeof recipe !== 'object') return; // loadAgent says what it is
  const problem = (text: string | undefined) => {
    if (text) throw new UserError(`${what}: ${text}`);
  };
  if (recipe.features && recipe.window > 0 && !meta.scaler)
    problem(`meta.json has no scaler state (recipe.scaler ${recipe.scaler})`);
  if (meta.scaler) {
    try {
      scalerFromJSON(meta.scaler);
    } catch (e) {
      problem(`meta.json ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const main = keys.indexOf('model');
  if (main >= 0) problem(inputSizeProblem(recipe, inputShapeOf(tops[main].modelTopology)));
}

/** The saved network's input shape without the batch axis (its first input layer's), or undefined when not found. */
function inputShapeOf(topology: unknown): number[] | undefined {
  const t = topology as { model_config?: unknown; config?: unknown } | undefined;
  const model = (t?.model_config ?? t) as
    { config?: { layers?: { class_name?: string; name?: string; config?: Record<string, unknown> }[] } } | undefined;
  // the observation is the first input ('features'; the position state is the second)
  const first = (model?.config as { input_layers?: unknown[][] } | undefined)?.input_layers?.[0]?.[0];
  const input = model?.config?.layers?.find(
    (l) => l.class_name === 'InputLayer' && (first === undefined || l.name === first),
  );
  const shape = (input?.config?.batch_input_shape ?? input?.config?.batchInputShape) as unknown;
  if (!Array.isArray(shape) || !shape.slice(1).every((d) => typeof d === 'number')) return undefined;
  return shape.slice(1) as number[];
}

/**
 * Why a network of input `shape` cannot read the observations `recipe` builds, or undefined: image networks read
 * frames × height × width × channels numbers, feature networks window × feature columns.
 */
function inputSizeProblem(recipe: AgentRecipe, shape: number[] | undefined): string | undefined {
  if (!shape) return undefined;
  const expects = shape.reduce((a, b) => a * b, 1);
  let gives: number;
  let how: string;
  try {
    if (recipe.image) {
      const spec = parseImageSpec(recipe.image.spec);
      gives = recipe.image.frames * spec.height * spec.width * spec.channels;
      how = `recipe.image ${recipe.image.spec} × ${recipe.image.frames} frames`;
    } else if (recipe.features && recipe.window > 0) {
      const cols = featureNames(recipe.features).length;
      gives = recipe.window * cols;
      how = `recipe.window ${recipe.window} × ${cols} features`;
    } else return undefined;
  } catch (e) {
    return `meta.json learner.recipe: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (gives === expects) return undefined;
  return (
    `meta.json's recipe does not fit the saved network: ${how} gives ${gives} inputs, ` +
    `model.json's network expects ${expects} (${shape.join('×')})`
  );
}
