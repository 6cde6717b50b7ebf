/**
 * From a recipe to a running agent: prepared data, observation sources, costs and sizing, environments, heads,
 * learner.
 */
import type { Candles } from '../core/candles.ts';
import type { AccountSection, TradeValueBounds } from '../market/config.ts';
import type { AgentMarketSettings } from './config.ts';
import { UserError } from '../core/errors.ts';
import { computeFeatures, type FeatureMatrix } from '../features/index.ts';
import { applyScaler, fitScaler, type ScalerKind, type ScalerState } from '../features/scaler.ts';
import { createImageRenderer, parseImageSpec, type ImageRenderer, type ImageSpec } from '../chart/index.ts';
import { runCosts, type Costs } from '../market/costs.ts';
import type { EnvOptions, EpisodeOptions, SizingOptions } from '../market/trading-env.ts';
import type { ObservationSource } from '../market/observation.ts';
import { TradingEnv } from '../market/trading-env.ts';
import { buildNetwork, type NetworkSpec } from '../nn/index.ts';
import type { AgentRecipe } from './recipe.ts';
import { AgentNet } from '../nn/agent-net.ts';
import type { Learner, LearnerHeads } from './learners/learner.ts';
import { createLearnerOf } from './learners/factories.ts';
import { learnerOf } from './learners/registry.ts';
import { chainedEnv, learningEnv } from './market-learning-env.ts';
import type { LearningEnv } from './learning-env.ts';
import { STATE_SIZE } from '../market/observation.ts';
import { mirrorCandles } from './mirror.ts';
import type { IndexRange } from './splits.ts';
import { selectionOptions, type SelectionOptions } from './selection.ts';
import { candidateRecipes } from './candidate-recipes.ts';
import { recipeReach, recipeWarmup } from './recipe-reach.ts';
import type { ScheduleRule } from './decision-rule.ts';

/**
 * Everything an agent needs from its data, built once per training window: features for every candle (row t uses
 * candles ≤ t), the scaler fitted on the training rows only, scaled rows, the image renderer.
 */
export interface PreparedData {
  candles: Candles;
  matrix?: FeatureMatrix;
  scaler?: ScalerState;
  /** Scaled rows × cols. */
  data?: Float32Array;
  cols: number;
  window: number;
  image?: { spec: ImageSpec; text: string; frames: number; renderer: ImageRenderer };
  /** First candle an observation can be built for. */
  firstT: number;
}

/**
 * A recipe's selection options, its embargo at least as long as its observations reach back, fading traces of
 * recursive features included (selectionOptions, recipeReach).
 */
export function recipeSelection(recipe: AgentRecipe): SelectionOptions {
  return selectionOptions(recipe, recipeReach(recipe));
}

/**
 * Features, scaler (fitted on the training rows only: one range, or the segments of a purged split) and images for
 * `candles`.
 */
export function prepareData(
  recipe: AgentRecipe,
  candles: Candles,
  train: IndexRange | readonly IndexRange[],
  scaler?: ScalerState,
): PreparedData {
  const prepared: PreparedData = { candles, cols: 0, window: 0, firstT: recipeWarmup(recipe) };
  if (recipe.features && recipe.window > 0) {
    const matrix = computeFeatures(candles, recipe.features);
    const state = scaler ?? fitScalerOn(recipe.scaler, matrix, train);
    prepared.matrix = matrix;
    prepared.scaler = state;
    prepared.data = applyScaler(state, matrix);
    prepared.cols = matrix.cols;
    prepared.window = recipe.window;
  }
  if (recipe.image) {
    const spec = parseImageSpec(recipe.image.spec);
    prepared.image = {
      spec,
      text: recipe.image.spec,
      frames: recipe.image.frames,
      renderer: createImageRenderer(spec),
    };
  }
  return prepared;
}

/** The scaler fitted on one range, or on the rows of several (copied together, warm-up rows left out). */
function fitScalerOn(kind: ScalerKind, m: FeatureMatrix, train: IndexRange | readonly IndexRange[]): ScalerState {
  if (!Array.isArray(train)) return fitScaler(kind, m, (train as IndexRange).from, (train as IndexRange).to);
  const ranges = train as readonly IndexRange[];
  if (ranges.length === 1) return fitScaler(kind, m, ranges[0].from, ranges[0].to);
  const rows: number[] = [];
  for (const r of ranges) for (let i = Math.max(r.from, m.firstValidRow); i < Math.min(r.to, m.rows); i++) rows.push(i);
  const data = new Float32Array(rows.length * m.cols);
  rows.forEach((row, j) => data.set(m.data.subarray(row * m.cols, (row + 1) * m.cols), j * m.cols));
  const state = fitScaler(kind, { ...m, data, rows: rows.length, firstValidRow: 0 }, 0, rows.length);
  return { ...state, fittedRows: [ranges[0].from, ranges[ranges.length - 1].to] };
}

export function observationSource(p: PreparedData): ObservationSource {
  return {
    candles: p.candles,
    window: p.window,
    ...(p.data ? { features: { data: p.data, cols: p.cols } } : {}),
    ...(p.image ? { images: { renderer: p.image.renderer, frames: p.image.frames } } : {}),
  };
}

export function recipeCosts(recipe: AgentRecipe, account: AccountSection): Costs {
  return runCosts(recipe.costs, account).costs;
}

/** The cost preset `recipeCosts` took the costs from: the recipe's own, or with `'config'` the account's. */
export function recipeCostPreset(recipe: AgentRecipe, account: AccountSection): string {
  return recipe.costs === 'config' ? account.preset : recipe.costs;
}

export function recipeSizing(recipe: AgentRecipe, bounds: TradeValueBounds): SizingOptions {
  if (recipe.sizing === 'confidence')
    return { kind: 'confidence', minTradeValue: bounds.minTradeValue, maxTradeValue: bounds.maxTradeValue };
  return { kind: recipe.sizing };
}

/**
 * The schedule and holding period the recipe's agents trade by (its `decision`, issue 13), before any is trained. With
 * `learnerChoice` each candidate has its own and a trained agent trades the chosen one's (its `rule`, which the random
 * baseline follows); this is the loosest of them (the smallest `every` and `minHold`), what a sweep's random falls back
 * on for a job stored without its rule.
 */
export function recipeSchedule(recipe: AgentRecipe): ScheduleRule {
  const rules = candidateRecipes(recipe).map((r) => r.decision);
  return {
    every: Math.min(...rules.map((d) => d?.every ?? 1)),
    minHold: Math.min(...rules.map((d) => d?.minHold ?? 0)),
  };
}

/** What the environment and the engine share for one range (reward and episode are the env's alone). */
export function envOptions(
  recipe: AgentRecipe,
  market: AgentMarketSettings,
  p: PreparedData,
  range: IndexRange,
  episode?: EpisodeOptions,
): EnvOptions {
  return {
    ...observationSource(p),
    range,
    costs: recipeCosts(recipe, market.account),
    balance: market.account.balance,
    sizing: recipeSizing(recipe, market.backtest),
    reward: recipe.reward,
    ...(episode ? { episode } : {}),
    ...(recipe.stopLoss !== undefined ? { stopLoss: recipe.stopLoss } : {}),
  };
}

/** How many environments a learner steps together (its registry entry says; default 1). */
export function envCount(recipe: AgentRecipe): number {
  return learnerOf(recipe.learner).envs?.(recipe.learner) ?? 1;
}

/**
 * Training environments over `range`: one full-range env, or several on seeded random windows that cover it together.
 */
export function trainingEnvs(
  recipe: AgentRecipe,
  market: AgentMarketSettings,
  p: PreparedData,
  range: IndexRange,
  seed: number,
): LearningEnv[] {
  const n = envCount(recipe);
  const len = range.to - range.from;
  const episodeLength = recipe.episodeLength ?? (n > 1 ? Math.max(2, Math.floor(len / n)) : undefined);
  return Array.from({ length: n }, (_, i) => {
    const episode: EpisodeOptions | undefined =
      episodeLength !== undefined && episodeLength < len
        ? { kind: 'random', length: episodeLength, seed: seed * 1009 + i }
        : undefined;
    return learningEnv(new TradingEnv(envOptions(recipe, market, p, range, episode)));
  });
}

/** One stretch of training rows and the prepared data it is stepped over (the real market's, or its mirror's). */
export interface TrainingPiece {
  prepared: PreparedData;
  range: IndexRange;
}

/**
 * What the learner trains on: the training segments of the real market, and with `augment.mirror` each segment's
 * mirror right after it (src/agents/mirror.ts), its features scaled by the scaler fitted on the real training rows.
 * The mirror's pivot is the first training close, so the mirror of a fold depends on its training rows alone.
 */
export function trainingPieces(
  recipe: AgentRecipe,
  prepared: PreparedData,
  segments: readonly IndexRange[],
): TrainingPiece[] {
  const real = segments.map((range) => ({ prepared, range }));
  if (!recipe.augment?.mirror) return real;
  const pivot = prepared.candles.close[Math.max(segments[0].from, prepared.firstT)];
  const mirrored = prepareData(recipe, mirrorCandles(prepared.candles, pivot), segments, prepared.scaler);
  return real.flatMap((piece) => [piece, { prepared: mirrored, range: piece.range }]);
}

/**
 * Training environments over the segments of a purged split (with mirror augmentation, each segment twice: the real
 * market's and its mirror's). One piece: `trainingEnvs`. Several: a single-env learner (DQN, RLTrader) runs them back
 * to back as one episode each epoch (src/agents/market-learning-env.ts); batched learners spread their environments
 * over the pieces, each on random windows of its piece, and with fewer environments than pieces each environment runs
 * a run of neighbouring pieces back to back (`groupedEnvs`), so every piece is stepped every epoch.
 */
export function segmentEnvs(
  recipe: AgentRecipe,
  market: AgentMarketSettings,
  pieces: readonly TrainingPiece[],
  seed: number,
): LearningEnv[] {
  if (pieces.length === 1) return trainingEnvs(recipe, market, pieces[0].prepared, pieces[0].range, seed);
  const n = envCount(recipe);
  if (n === 1) return [chainedEnv(pieces.map((q) => new TradingEnv(envOptions(recipe, market, q.prepared, q.range))))];
  const total = pieces.reduce((a, q) => a + q.range.to - q.range.from, 0);
  const wanted = recipe.episodeLength ?? Math.max(2, Math.floor(total / n));
  if (n < pieces.length) return groupedEnvs(recipe, market, pieces, n, wanted, seed);
  return Array.from({ length: n }, (_, i) => {
    const { prepared, range } = pieces[i % pieces.length];
    const len = range.to - range.from;
    const episode: EpisodeOptions | undefined =
      wanted < len ? { kind: 'random', length: wanted, seed: seed * 1009 + i } : undefined;
    return learningEnv(new TradingEnv(envOptions(recipe, market, prepared, range, episode)));
  });
}

/**
 * `n` environments over more than `n` pieces: environment i runs pieces ⌊i·P/n⌋ … ⌊(i+1)·P/n⌋ − 1 back to back as one
 * episode, each on a seeded random window whose length is its share (by piece length) of the `wanted` episode. Giving
 * environment i piece i mod P, as before, never stepped the newest segments (the ones next to the last validation
 * window and the test) when `windows` × (mirror ? 2 : 1) exceeded the environments (walk-selection audit, 2026-11-28).
 */
function groupedEnvs(
  recipe: AgentRecipe,
  market: AgentMarketSettings,
  pieces: readonly TrainingPiece[],
  n: number,
  wanted: number,
  seed: number,
): LearningEnv[] {
  return Array.from({ length: n }, (_, i) => {
    const first = Math.floor((i * pieces.length) / n);
    const group = pieces.slice(first, Math.floor(((i + 1) * pieces.length) / n));
    const groupTotal = group.reduce((a, q) => a + q.range.to - q.range.from, 0);
    const envs = group.map(({ prepared, range }, k) => {
      const len = range.to - range.from;
      const length = Math.max(2, Math.round((wanted * len) / groupTotal));
      const episode: EpisodeOptions | undefined =
        length < len ? { kind: 'random', length, seed: seed * 1009 + first + k } : undefined;
      return new TradingEnv(envOptions(recipe, market, prepared, range, episode));
    });
    return envs.length === 1 ? learningEnv(envs[0]) : chainedEnv(envs);
  });
}

/** The output heads a learner needs (from its registry entry). */
export function headsFor(recipe: AgentRecipe): LearnerHeads {
  return learnerOf(recipe.learner).heads(recipe.learner);
}

export function networkSpec(recipe: AgentRecipe, p: PreparedData, seed: number): NetworkSpec {
  const { heads } = headsFor(recipe);
  const spec: NetworkSpec = {
    ...recipe.network,
    window: Math.max(1, p.window),
    features: Math.max(1, p.cols),
    stateSize: STATE_SIZE,
    heads,
    seed,
  };
  if (recipe.network.kind === 'cnnrnn') {
    if (!p.image) throw new UserError(`network cnnrnn needs chart images: the recipe has no image spec`);
    const s = p.image.spec;
    spec.image = { frames: p.image.frames, height: s.height, width: s.width, channels: s.channels };
  } else if (!p.data) {
    throw new UserError(`network ${recipe.network.kind} needs feature rows: the recipe has no features or window`);
  }
  return spec;
}

/** A model wrapped for learners and policies, on the engines plan(model) chooses (src/nn/plan.ts). */
export function wrapModel(model: ReturnType<typeof buildNetwork>, spec: NetworkSpec, continuous: boolean): AgentNet {
  return new AgentNet(model, { heads: spec.heads, continuous });
}

export function createNet(spec: NetworkSpec, continuous: boolean): AgentNet {
  return wrapModel(buildNetwork(spec), spec, continuous);
}

/**
 * The learner a recipe names, around a fresh network (DQN also builds its target network); `log` hears what the
 * learner says of how it was built. A learner refused here frees the network.
 */
export function createLearner(
  recipe: AgentRecipe,
  spec: NetworkSpec,
  seed: number,
  log?: (line: string) => void,
): Learner {
  const { continuous } = headsFor(recipe);
  const net = createNet(spec, continuous);
  try {
    return createLearnerOf(recipe.learner, { net, newNet: () => createNet(spec, false), seed, log });
  } catch (e) {
    net.dispose();
    throw e;
  }
}
