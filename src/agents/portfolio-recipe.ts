/**
 * The recipe of a learning portfolio strategy (issue 14): features of every traded and informative series,
 * chart-image frames if asked (the single-market recipe's spec syntax, src/chart/spec.ts), the network, the portfolio
 * learner (a kind in learners/registry.ts's PORTFOLIO_LEARNERS), cash or fully invested, reward, episodes and
 * stop-loss. Checked at load with one-line errors naming the strategy file and the key.
 */
import { z } from 'zod';
import { parseImageSpec } from '../chart/spec.ts';
import { UserError } from '../core/errors.ts';
import { spotSymbolField } from '../data/config.ts';
import { SCALER_KINDS, type ScalerKind } from '../features/scaler.ts';
import { listCostPresets, type CostPresetName } from '../market/costs.ts';
import type { RewardOptions } from '../market/reward.ts';
import { whole } from './learners/param-schemas.ts';
import { RECIPE_LIMITS } from '../core/limits.ts';
import { findPortfolioLearner, PORTFOLIO_LEARNERS } from './learners/registry.ts';
import { didYouMean, firstIssue } from '../core/schema-keys.ts';
import { networkSchema, rewardSchema, type AgentRecipe } from './recipe.ts';

export interface PortfolioRecipe {
  /** Feature spec (src/features) computed on every series, e.g. 'rltrader-v1'. */
  features: string;
  /** Scaler per series, fitted on that series' training rows only. */
  scaler: ScalerKind;
  /** Feature rows per series in one observation, ending at the decision's close. */
  window: number;
  /** Markets traded when the command names none (`--symbols` overrides), and informative series (not traded). */
  symbols?: string[];
  informative?: string[];
  /**
   * Chart-image sequences (a `cnnrnn` network reads them): `spec` as parseImageSpec reads it (e.g. `ohlc:32x15:5`),
   * `frames` per series ending at the decision's close, of every traded series, and of the informative ones too
   * when `informative` is true (default false: an index's chart is usually in its features already).
   */
  image?: { spec: string; frames: number; informative?: boolean };
  network: AgentRecipe['network'];
  /** The portfolio learner and its parameters other than the defaults (`kind: 'ppo-weights'`). */
  learner: { kind: string } & Record<string, unknown>;
  /** true: a cash category beside the markets; false: the whole account stays invested (the ETF-pair seed). */
  cash: boolean;
  reward: RewardOptions;
  costs: 'config' | CostPresetName;
  epochs: number;
  /** Training episodes: seeded random windows of this many candles (the seed: 30). */
  episodeLength: number;
  /** A training episode ends when the value falls this fraction below its start (the seed: 0.05). */
  stopLoss?: number;
  /** Walk-forward folds over the test part (default 2) and the share of the range tested (default 0.3). */
  folds?: number;
  testShare?: number;
}

const recipeSchema = z.strictObject({
  features: z.string().min(1),
  scaler: z.enum(SCALER_KINDS),
  window: whole(1).max(RECIPE_LIMITS.window),
  symbols: z.array(spotSymbolField).min(2).optional(),
  informative: z.array(spotSymbolField).optional(),
  image: z
    .strictObject({
      spec: z.string().superRefine((text, ctx) => {
        const problem = imageSpecProblem(text);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
      frames: whole(1).max(RECIPE_LIMITS.window),
      informative: z.boolean().optional(),
    })
    .optional(),
  network: networkSchema,
  learner: z.looseObject({ kind: z.string() }),
  cash: z.boolean(),
  reward: rewardSchema,
  costs: z.enum(['config', ...listCostPresets()]),
  epochs: whole(1),
  episodeLength: whole(2).max(RECIPE_LIMITS.candles),
  stopLoss: z.number().gt(0).lt(1).optional(),
  folds: whole(1).optional(),
  testShare: z.number().gt(0).lt(1).optional(),
});

/** What is wrong with an image spec (parseImageSpec's one line), or undefined. */
function imageSpecProblem(text: string): string | undefined {
  try {
    parseImageSpec(text);
    return undefined;
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
}

/** Checks a portfolio recipe and its learner's parameters; the first problem is one line naming `where` and the key. */
export function checkPortfolioRecipe(where: string, r: unknown): PortfolioRecipe {
  const bad = (what: string) => new UserError(`${where}: ${what}`);
  const kinds = PORTFOLIO_LEARNERS.map((l) => l.kind).join(', ');
  const learner = (r as { learner?: { kind?: unknown } } | undefined)?.learner;
  const entry = findPortfolioLearner(learner?.kind);
  if (!entry) throw bad(`recipe.learner.kind must be one of ${kinds} (got ${JSON.stringify(learner?.kind)})`);
  const issue = (e: z.ZodError, prefix: string, schema: z.ZodType) => {
    const i = firstIssue(e);
    const key = ['recipe', prefix, ...i.path.map(String)].filter(Boolean).join('.');
    if (i.code !== 'unrecognized_keys') return bad(`${key}: ${i.message}`);
    const guess = didYouMean(i.keys, schema, i.path);
    return bad(`${key}: unknown key ${i.keys.join(', ')}${guess ? `, ${guess}` : ''}`);
  };
  const top = recipeSchema.safeParse(r);
  if (!top.success) throw issue(top.error, '', recipeSchema);
  const own = entry.schema.safeParse(learner);
  if (!own.success) throw issue(own.error, 'learner', entry.schema);
  const recipe = r as PortfolioRecipe;
  // only the cnnrnn trunk reads images (src/nn/build.ts); it reads nothing else as its trunk input
  if (recipe.network.kind === 'cnnrnn' && !recipe.image)
    throw bad('recipe.network.kind: cnnrnn reads chart images, and the recipe has no image (e.g. ohlc:32x15:5)');
  if (recipe.image && recipe.network.kind !== 'cnnrnn')
    throw bad(`recipe.image: chart images need network kind cnnrnn (got ${recipe.network.kind})`);
  return recipe;
}
