import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Policy } from '../core/policy.ts';
import { PROJECT_ROOT } from '../core/project-root.ts';
import type { Config } from '../config/schema.ts';
import type { Candles } from '../core/candles.ts';
import type { Series } from '../data/source.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';

export const STRATEGIES_DIR = path.join(PROJECT_ROOT, 'strategies');

export interface RuleContext {
  candles: Candles;
  seed: number;
  config: Config;
}

/** A hand-written rule: builds a Policy for one series (precomputing its indicators from candles ≤ t only). */
export interface RuleStrategy {
  kind: 'rule';
  name: string;
  description: string;
  createPolicy(ctx: RuleContext): Policy;
}

/** A learning agent: `recipe` is typed by src/agents/recipe.ts and run by src/agents/run.ts. */
export interface AgentStrategy {
  kind: 'agent';
  name: string;
  description: string;
  recipe: unknown;
}

export type Strategy = RuleStrategy | AgentStrategy;

/** A loaded candle series, as src/data/source.ts's loadSeries returns it. */
export type LoadedSeries = Series;

/** What `bot backtest` hands to the agent runner for `kind: 'agent'` strategies. */
export interface AgentBacktestContext {
  config: Config;
  series: LoadedSeries;
  strategy: AgentStrategy;
  flags: { epochs?: number; seed?: number; seeds?: number; folds?: number; name?: string; out?: string; from?: number; to?: number; json?: boolean };
  logger: Logger;
}

export type AgentRunner = (ctx: AgentBacktestContext) => Promise<unknown>;

let agentRunner: AgentRunner | undefined;

/** Registers the agent runner explicitly (tests; otherwise the command loads src/agents/run.ts's runAgentBacktest). */
export function setAgentRunner(fn: AgentRunner | undefined): void {
  agentRunner = fn;
}

export function getAgentRunner(): AgentRunner | undefined {
  return agentRunner;
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
  if (!isStrategy(mod.default)) throw new UserError(`strategies/${name}.ts does not default-export a strategy (kind, name, description, …)`);
  return mod.default;
}
