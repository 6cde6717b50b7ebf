/**
 * The strategy contract: what strategies/*.ts default-export (a hand-written rule or a learning agent's recipe), how
 * they are found and loaded, and the defaults rule strategies trade with, shared by the backtest and the trader.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { Policy } from '../core/policy.ts';
import { PROJECT_ROOT } from '../core/project-root.ts';
import type { AccountSection, TradeValueBounds } from '../market/config.ts';
import { costsFromSettings, type Costs } from '../market/costs.ts';
import type { SizingOptions } from '../market/execution.ts';
import type { AgentRecipe } from './recipe.ts';

export const STRATEGIES_DIR = path.join(PROJECT_ROOT, 'strategies');

/** Candles loaded before the first decision so that rule indicators are warm (backtest `--from` and paper trading alike). */
export const RULE_WARMUP_CANDLES = 100;

export interface RuleContext {
  candles: Candles;
  seed: number;
}

/** A hand-written rule: builds a Policy for one series (precomputing its indicators from candles ≤ t only). */
export interface RuleStrategy {
  kind: 'rule';
  name: string;
  description: string;
  createPolicy(ctx: RuleContext): Policy;
}

/** A learning agent: trained by src/agents/train-fold.ts, backtested by src/backtest/agent-backtest.ts. */
export interface AgentStrategy {
  kind: 'agent';
  name: string;
  description: string;
  recipe: AgentRecipe;
}

export type Strategy = RuleStrategy | AgentStrategy;

/** The `backtest` section's fields that rule strategies trade with, in a backtest and on the paper trader alike. */
export interface StrategyDefaults extends TradeValueBounds {
  /** Strategy run when none is named. */
  strategy: string;
  seed: number;
  sizing: 'all' | 'confidence';
}

/** Costs of rule strategies: the account section's. */
export function ruleCosts(account: AccountSection): Costs {
  return costsFromSettings(account);
}

/** The sizing rule strategies trade with, so paper trades match the backtest's. */
export function ruleSizing(d: StrategyDefaults): SizingOptions {
  return d.sizing === 'confidence'
    ? { kind: 'confidence', minTradeValue: d.minTradeValue, maxTradeValue: d.maxTradeValue }
    : { kind: 'all' };
}

/** Names of the strategies in strategies/ (file names without .ts), sorted. */
export function listStrategies(): string[] {
  let files: string[];
  try {
    files = readdirSync(STRATEGIES_DIR);
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function isStrategy(v: unknown): v is Strategy {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  if (typeof s.name !== 'string' || typeof s.description !== 'string') return false;
  return (s.kind === 'rule' && typeof s.createPolicy === 'function') || (s.kind === 'agent' && 'recipe' in s);
}

/** Loads strategies/<name>.ts's default export. Unknown names get a one-line error listing the available ones. */
export async function loadStrategy(name: string): Promise<Strategy> {
  const available = listStrategies();
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name) || !available.includes(name)) {
    throw new UserError(`unknown strategy "${name}" (available: ${available.join(', ') || 'none'})`);
  }
  const mod = (await import(pathToFileURL(path.join(STRATEGIES_DIR, `${name}.ts`)).href)) as { default?: unknown };
  if ((mod.default as { kind?: unknown } | undefined)?.kind === 'portfolio') {
    const hint = 'give --symbols A,B (and --data a.csv,b.csv or --sample)';
    throw new UserError(`strategy "${name}" trades several markets: ${hint}`);
  }
  if (!isStrategy(mod.default))
    throw new UserError(`strategies/${name}.ts does not default-export a strategy (kind, name, description, …)`);
  return mod.default;
}
