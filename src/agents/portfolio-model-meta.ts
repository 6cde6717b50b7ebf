/**
 * What a portfolio model folder's meta.json says, read without the network: its markets, strategy, recipe, costs
 * and warm-up, and whether `--symbols` names what it trades. Apart from the model's network (portfolio-model.ts) so
 * that picking the series to load, or a run's flag mistake, loads no TensorFlow.js nor the PNG writer (sharp).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelMismatchError, UserError } from '../core/errors.ts';
import { parseImageSpec } from '../chart/spec.ts';
import { createImageRenderer } from '../chart/renderer.ts';
import { featureHistory } from '../features/index.ts';
import { checkPortfolioRecipe, type PortfolioRecipe } from './portfolio-recipe.ts';
import { runMisfits } from './model-market.ts';

/** What meta.json's `learner` holds for a portfolio model. */
export interface PortfolioLearnerMeta {
  portfolio: true;
  kind: string;
  recipe: PortfolioRecipe;
  symbols: string[];
  informative: string[];
  extraState: Record<string, number[]>;
}

/** What a portfolio model folder's meta.json says without the network (readPortfolioModelInfo). */
export interface PortfolioModelInfo {
  strategy: string;
  symbols: string[];
  informative: string[];
  trainingWindow: string;
  /** The training window's open times as meta.json records them (absent in folders that lack it). */
  trained?: { from: string; to: string };
  /** The recipe's `costs` ('config' or a preset name). */
  costs: string;
  /** Candles before a decision that give its whole observation window full feature rows. */
  warmup: number;
}

/** The refusal of a one-market model folder `dir` where a portfolio model is wanted. */
function notPortfolio(dir: string, as: typeof UserError): UserError {
  return new as(`model ${dir} is not a portfolio model (it trades one market: leave out --symbols)`);
}

/** Reads a model folder's symbols and strategy without loading the network (to pick the series to load). */
export function readPortfolioModelInfo(dir: string): PortfolioModelInfo {
  let meta: {
    strategy?: string;
    learner?: Partial<PortfolioLearnerMeta>;
    trainingWindow?: { from: string; to: string };
  };
  try {
    meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as typeof meta;
  } catch {
    throw new UserError(`model ${dir}: no readable meta.json`);
  }
  const l = meta.learner;
  if (!l?.portfolio || !Array.isArray(l.symbols) || !Array.isArray(l.informative)) throw notPortfolio(dir, UserError);
  const w = meta.trainingWindow;
  return {
    strategy: meta.strategy ?? '?',
    symbols: l.symbols,
    informative: l.informative,
    trainingWindow: w ? `${w.from} … ${w.to}` : 'unknown',
    ...(w ? { trained: w } : {}),
    costs: l.recipe?.costs ?? 'config',
    warmup: l.recipe ? portfolioWarmup(l.recipe) : 0,
  };
}

/**
 * Candles of history before a first decision: the feature window's (with what recursive features need to forget the
 * data's start, so a paper run's rows equal a backtest's over a longer file) and, with images, the frames' warm-up.
 */
function portfolioWarmup(recipe: PortfolioRecipe): number {
  const features = featureHistory(recipe.features) + recipe.window;
  const im = recipe.image;
  return im ? Math.max(features, createImageRenderer(parseImageSpec(im.spec)).warmup + im.frames) : features;
}

/** The recipe a portfolio model folder was trained with (a retrain trains its challenger with the same). */
export function readPortfolioRecipe(dir: string): PortfolioRecipe {
  readPortfolioModelInfo(dir);
  const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { learner: PortfolioLearnerMeta };
  return checkPortfolioRecipe(`model ${dir}`, meta.learner.recipe);
}

/**
 * `--symbols` against what a portfolio model trades: the same markets in the same order (the network's inputs and
 * outputs are per market), else one line saying what the model trades and reads.
 */
export function checkModelSymbols(home: string, dir: string, symbols: readonly string[]): void {
  // the rule bot status says CURRENT's version by (runMisfits), so that the two cannot drift: a one-market model can
  // never serve a portfolio run (no wait changes that: a version promoted so is given up for good)
  const misfit = runMisfits(dir, { symbol: symbols.join(',') }).find((m) => m.kind === 'markets');
  if (misfit?.kind === 'markets' && !misfit.trades) throw notPortfolio(dir, ModelMismatchError);
  const info = readPortfolioModelInfo(dir); // a folder whose meta.json cannot be read says so
  if (!misfit) return;
  const reads = info.informative.length ? ` and reads ${info.informative.join(',')}` : '';
  throw new ModelMismatchError(
    `--model ${home} trades ${info.symbols.join(',')} in that order${reads}; --symbols names ${symbols.join(',')}`,
  );
}
