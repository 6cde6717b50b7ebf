/**
 * Portfolio strategies (issue 14): strategies/<name>.ts files of kind `portfolio` that give target weights over N
 * markets, and the rule policies they and the portfolio baselines are made of.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../core/errors.ts';
import { Rng } from '../core/random.ts';
import type { PortfolioPolicy } from '../market/portfolio-engine.ts';
import { checkPortfolioRecipe, type PortfolioRecipe } from './portfolio-recipe.ts';
import { checkRuleLookback, listStrategies, STRATEGIES_DIR } from './strategy.ts';

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

/** Loads strategies/<name>.ts as a portfolio strategy; a one-line error for unknown names or other kinds. */
export async function loadPortfolioStrategy(name: string): Promise<PortfolioStrategy> {
  const available = listStrategies();
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name) || !available.includes(name)) {
    throw new UserError(`unknown strategy "${name}" (available: ${available.join(', ') || 'none'})`);
  }
  const mod = (await import(pathToFileURL(path.join(STRATEGIES_DIR, `${name}.ts`)).href)) as { default?: unknown };
  if (!isPortfolioStrategy(mod.default)) {
    throw new UserError(`strategy "${name}" trades one market; with --symbols use a portfolio strategy (equal-weight)`);
  }
  const strategy = mod.default;
  if (strategy.recipe) checkPortfolioRecipe(`strategies/${name}.ts`, strategy.recipe);
  else checkRuleLookback(`strategies/${name}.ts`, strategy.lookback);
  return strategy;
}

/** Is strategies/<name>.ts a portfolio strategy? (false for unknown names and files: their loader says why.) */
export async function isPortfolioStrategyName(name: string): Promise<boolean> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name) || !listStrategies().includes(name)) return false;
  const mod = (await import(pathToFileURL(path.join(STRATEGIES_DIR, `${name}.ts`)).href)) as { default?: unknown };
  return isPortfolioStrategy(mod.default);
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
