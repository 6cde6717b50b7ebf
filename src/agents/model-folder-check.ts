/**
 * A saved model's folder checked without TensorFlow.js before `bot backtest --model`, `bot predict --model`, `bot paper
 * --model` and `bot live --model` touch any candles: meta.json, every network's weight file against its manifest, the
 * scaler state, and the recipe's observation size against the input of every network that reads it (each member of an
 * ensemble), for one-market and portfolio models. A truncated weight file used to be found only after candles were
 * fetched and stored, and a recipe edited after saving (window 3 → 5) crashed at the first decision with `observation
 * has 75 inputs, the network expects 45` (audit, session 38); portfolio models, ensemble members and paper and live
 * starts were not checked (session 39).
 */
import { parseImageSpec } from '../chart/spec.ts';
import { UserError } from '../core/errors.ts';
import { featureNames } from '../features/index.ts';
import { modelFiles, readModelFiles, readModelMeta } from '../nn/model-folder.ts';
import type { AgentRecipe } from './recipe.ts';
import { otherVersionDirs, pointedModel, resolveModel } from './model-pointer.ts';
import { ensembleLacks, ensembleMemberKeys } from './ensemble-kind.ts';
import { savedAgentScaler, savedPortfolioScalers } from './saved-scaler.ts';
import { readPortfolioModelInfo } from './portfolio-model-meta.ts';
import { checkPortfolioRecipe, type PortfolioRecipe } from './portfolio-recipe.ts';

/** checkModelFolder of the version `--model <home>` serves. */
export function checkModelHome(home: string): void {
  checkModelFolder(resolveModel(home).dir);
}

/**
 * checkModelFolder of the version a paper or live run on `--model <home>` starts with, when no other saved version of
 * the home could stand in for it: a run that served another one falls back on it, its give-up stored (the late path of
 * src/trading/version-refusal.ts and model-policy-source.ts); with none, a broken folder is one line before the
 * config, the database or the exchange (it used to be found at the first decision, after candles were fetched and
 * stored and the run made).
 */
export function checkModelStart(home: string): void {
  const pointed = pointedModel(home);
  if (otherVersionDirs(home, pointed.version).length === 0) checkModelFolder(resolveModel(home).dir);
}

type NetworkTops = Map<string, Record<string, unknown>>;

/** Throws a one-line UserError naming `dir` when its saved model cannot be loaded or cannot read its observations. */
export function checkModelFolder(dir: string): void {
  const what = `model ${dir}`;
  const { keys, meta } = readModelMeta(dir, what);
  const tops: NetworkTops = new Map(keys.map((key) => [key, readModelFiles(dir, modelFiles(key), what).json]));
  const learner = meta.learner as { recipe?: unknown; portfolio?: unknown; ensemble?: { margins: unknown } };
  if (learner?.portfolio === true) return checkPortfolioFolder(dir, meta, tops);
  const recipe = learner?.recipe as AgentRecipe | undefined;
  if (!recipe || typeof recipe !== 'object') return; // loadAgent says what it is
  savedAgentScaler(dir, recipe, meta.scaler);
  // every member of an ensemble reads the observation the recipe builds (the loaded ensemble asks each)
  const ens = learner.ensemble;
  if (ens) {
    const lacks = ensembleLacks(ens, (k) => tops.has(k));
    if (lacks) throw new UserError(`${what}: ${lacks}`);
  }
  const readers = ens ? ensembleMemberKeys((ens.margins as unknown[]).length) : ['model'];
  inputsFit(what, readers, tops, () => agentInput(recipe));
}

/** A portfolio model's folder: its markets, recipe, scalers (one per series) and its network's input. */
function checkPortfolioFolder(dir: string, meta: Record<string, unknown>, tops: NetworkTops): void {
  const what = `model ${dir}`;
  const info = readPortfolioModelInfo(dir);
  const recipe = checkPortfolioRecipe(what, (meta.learner as { recipe?: unknown }).recipe);
  const series = [...info.symbols, ...info.informative];
  savedPortfolioScalers(dir, series, meta.scaler);
  inputsFit(what, ['model'], tops, () => portfolioInput(recipe, info.symbols.length, series.length));
}

/** What a network must read: `size` numbers, as `how` builds them. */
interface ObservationSize {
  size: number;
  how: string;
}

/**
 * Throws when a network of `readers` (keys of `tops` present) cannot read the observations `input` says; an input
 * that cannot be sized (a broken image spec) is the recipe's one line.
 */
function inputsFit(
  what: string,
  readers: readonly string[],
  tops: NetworkTops,
  input: () => ObservationSize | undefined,
) {
  const present = readers.filter((k) => tops.has(k));
  if (!present.length) return;
  let gives: ObservationSize | undefined;
  try {
    gives = input();
  } catch (e) {
    throw new UserError(`${what}: meta.json learner.recipe: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!gives) return;
  for (const key of present) {
    const shape = inputShapeOf(tops.get(key)?.modelTopology);
    if (!shape) continue;
    const expects = shape.reduce((a, b) => a * b, 1);
    if (expects !== gives.size)
      throw new UserError(
        `${what}: meta.json's recipe does not fit the saved network: ${gives.how} gives ${gives.size} inputs, ` +
          `${modelFiles(key).topology}'s network expects ${expects} (${shape.join('×')})`,
      );
  }
}

/**
 * The observation a one-market recipe builds for its network's first input: image networks read frames × height ×
 * width × channels numbers, feature networks window × feature columns.
 */
function agentInput(recipe: AgentRecipe): ObservationSize | undefined {
  if (recipe.image) {
    const spec = parseImageSpec(recipe.image.spec);
    const size = recipe.image.frames * spec.height * spec.width * spec.channels;
    return { size, how: `recipe.image ${recipe.image.spec} × ${recipe.image.frames} frames` };
  }
  if (!recipe.features || !(recipe.window > 0)) return undefined;
  const cols = featureNames(recipe.features).length;
  return { size: recipe.window * cols, how: `recipe.window ${recipe.window} × ${cols} features` };
}

/**
 * The observation a portfolio recipe builds for its network's first input (src/agents/portfolio-agent.ts): with images
 * the frames of each traded series (every series' with image.informative), else the feature windows of every series
 * side by side.
 */
function portfolioInput(recipe: PortfolioRecipe, traded: number, series: number): ObservationSize {
  if (recipe.image) {
    const spec = parseImageSpec(recipe.image.spec);
    const drawn = recipe.image.informative ? series : traded;
    const size = drawn * recipe.image.frames * spec.height * spec.width * spec.channels;
    return { size, how: `recipe.image ${recipe.image.spec} × ${recipe.image.frames} frames × ${drawn} series` };
  }
  const cols = featureNames(recipe.features).length;
  const how = `recipe.window ${recipe.window} × ${cols} features × ${series} series`;
  return { size: recipe.window * cols * series, how };
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
