/**
 * How many candles before its own an agent's observation reads (its features over its window, its chart images): the
 * first candle it can be built for, how far back a purge must reach, the history a paper run loads. Apart from the
 * training setup (setup.ts) so that planning a sweep loads no TensorFlow.js, nor the PNG writer (sharp).
 */
import { featureHistory, featureReach, featureWarmup } from '../features/index.ts';
import { parseImageSpec } from '../chart/spec.ts';
import { createImageRenderer } from '../chart/renderer.ts';
import { firstObservation } from '../market/observation.ts';
import type { AgentRecipe } from './recipe.ts';

/** First candle index with full feature and image history for a recipe. */
export function recipeWarmup(recipe: AgentRecipe): number {
  return observationReach(recipe, featureWarmup);
}

/**
 * Candles an observation draws on by more than a trace: recipeWarmup, with recursive features' fading reach
 * (FeatureSet.reach) in place of their warm-up.
 */
export function recipeReach(recipe: AgentRecipe): number {
  return observationReach(recipe, featureReach);
}

/** The candles before its own an observation reads: its features' (`featureCandles`) over its window, its images'. */
function observationReach(recipe: AgentRecipe, featureCandles: (spec: string) => number): number {
  const { features, window, image } = recipe;
  return firstObservation({
    ...(features ? { features: { warmup: featureCandles(features), window } } : {}),
    ...(image
      ? { images: { warmup: createImageRenderer(parseImageSpec(image.spec)).warmup, frames: image.frames } }
      : {}),
  });
}

/**
 * Candles of history before a decision for its observation to equal the one a backtest over any longer file builds
 * (recipeWarmup plus the candles recursive features need to forget the data's start): what a paper run loads.
 */
export function recipeHistory(recipe: AgentRecipe): number {
  let first = recipeWarmup(recipe);
  if (recipe.features) first = Math.max(first, featureHistory(recipe.features) + Math.max(0, recipe.window - 1));
  return first;
}
