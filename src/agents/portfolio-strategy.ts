/**
 * Portfolio strategies (issue 14): strategies/<name>.ts or .ts files anywhere, of kind `portfolio`, that give target
 * weights over N markets, and the rule policies they and the portfolio baselines are made of.
 */
import { UserError } from '../core/errors.ts';
import { Rng } from '../core/random.ts';
import type { PortfolioPolicy } from '../market/portfolio-engine.ts';
import type { PortfolioRecipe } from './portfolio-recipe.ts';
import { checkRuleLookback, importStrategy } from './strategy.ts';

export interface PortfolioContext {
  symbols: readonly string[];
  seed: number;
  /** Rebalance every this many candles (rule strategies that rebalance on a calendar). */
  every: number;
}

/** A rule over N markets (createPolicy), or a learning agent (recipe) trained walk-forward by the backtest. */
export type PortfolioStrategy = {
  kind: 'portfolio';
  name: string;
  description: string;
  /** As a single-market rule's (RuleStrategy.lookback): candles a tick's view reaches back, over RULE_TICK_CANDLES. */
  lookback?: number;
} & ({ createPolicy(ctx: PortfolioContext): PortfolioPolicy; recipe?: undefined } | { recipe: PortfolioRecipe });

export function isPortfolioStrategy(v: unknown): v is PortfolioStrategy {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const body = typeof s.createPolicy === 'function' || (typeof s.recipe === 'object' && s.recipe !== null);
  return s.kind === 'portfolio' && typeof s.name === 'string' && body;
}

/**
 * Loads a portfolio strategy: strategies/<name>.ts or a .ts file anywhere, found as single-market ones are
 * (importStrategy); a one-line error for unknown names, missing files and other kinds (`oneMarket`: what to do about
 * a single-market strategy, when it is not to use a portfolio strategy with --symbols).
 */
export async function loadPortfolioStrategy(
  name: string,
  oneMarket = 'with --symbols use a portfolio strategy (equal-weight)',
): Promise<PortfolioStrategy> {
  const { exported, label } = await importStrategy(name);
  if (!isPortfolioStrategy(exported)) throw new UserError(`strategy "${name}" trades one market; ${oneMarket}`);
  // as for one market (loadStrategy): the recipe schema, and TensorFlow.js with it, loads for agents only
  if (exported.recipe) (await import('./portfolio-recipe.ts')).checkPortfolioRecipe(label, exported.recipe);
  else checkRuleLookback(label, exported.lookback);
  return exported;
}

/** Is `name` (in strategies/ or a .ts file) a portfolio strategy? (false when it does not load: the loader says why) */
export async function isPortfolioStrategyName(name: string): Promise<boolean> {
  try {
    return isPortfolioStrategy((await importStrategy(name)).exported);
  } catch (e) {
    if (e instanceof UserError) return false;
    throw e;
  }
}

/**
 * Fixed weights, set at clock time 0 and again every `every` candles (every = Infinity: bought once and held).
 * Stateless (a function of the clock index t): a paper run restarted after kill -9 decides as the uninterrupted run.
 */
export function fixedWeightsPolicy(name: string, weights: readonly number[], every: number): PortfolioPolicy {
  if (!(every >= 1)) throw new UserError(`rebalance period must be ≥ 1 candle, got ${every}`);
  return { name, decide: (view) => (view.t % every === 0 ? weights : null) };
}

/** Equal weights over all markets (fully invested), rebalanced every `every` candles. */
export function equalWeightPolicy(n: number, every: number): PortfolioPolicy {
  return fixedWeightsPolicy(`equal-weight/${every}`, new Array<number>(n).fill(1 / n), every);
}

/** Random weights drawn once from a seed (uniform on the simplex), bought and held: a baseline. */
export function randomWeightsPolicy(n: number, seed: number): PortfolioPolicy {
  const rng = new Rng(seed);
  const raw = Array.from({ length: n }, () => -Math.log(1 - rng.next()));
  const total = raw.reduce((a, b) => a + b, 0);
  return fixedWeightsPolicy(
    `random-weights/${seed}`,
    raw.map((x) => x / total),
    Infinity,
  );
}
