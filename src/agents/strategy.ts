/**
 * The strategy contract: what strategies/*.ts default-export (a hand-written rule or a learning agent's recipe), how
 * they are found and loaded, and the defaults rule strategies trade with, shared by the backtest and the trader.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import type { Candles } from '../core/candles.ts';
import { closestName } from '../core/did-you-mean.ts';
import { UserError } from '../core/errors.ts';
import type { Policy } from '../core/policy.ts';
import { PROJECT_ROOT } from '../core/project-root.ts';
import type { AccountSection, TradeValueBounds } from '../market/config.ts';
import { costsFromSettings, type Costs } from '../market/costs.ts';
import type { SizingOptions } from '../market/execution.ts';
import type { AgentRecipe } from './recipe.ts';

export const STRATEGIES_DIR = path.join(PROJECT_ROOT, 'strategies');

/**
 * Candles loaded before the first decision so that rule indicators are warm (backtest `--from` and paper trading
 * alike).
 */
export const RULE_WARMUP_CANDLES = 100;

/**
 * Candles a paper tick of a rule strategy loads before the first candle it decides, so that path-dependent
 * indicators equal those over the run's whole history: RSI(14)'s Wilder smoothing forgets its start by (13/14)^n,
 * below float64 rounding after about 500 candles; an EMA(50)'s by (49/51)^n after about 920. A rule whose
 * indicators reach further declares its own `lookback` (ruleTickCandles).
 */
export const RULE_TICK_CANDLES = 1000;

/** Candles a paper tick of `strategy` loads before the candle it decides: RULE_TICK_CANDLES or its own `lookback`. */
export function ruleTickCandles(strategy: { lookback?: number }): number {
  return Math.max(RULE_TICK_CANDLES, strategy.lookback ?? 0);
}

/** A rule's `lookback`, if given, is a whole number of candles ≥ 1: else one line naming the strategy's file. */
export function checkRuleLookback(label: string, lookback: unknown): void {
  if (lookback === undefined) return;
  if (typeof lookback !== 'number' || !Number.isInteger(lookback) || lookback < 1)
    throw new UserError(`${label}: lookback must be a whole number of candles ≥ 1, got ${JSON.stringify(lookback)}`);
}

export interface RuleContext {
  candles: Candles;
  seed: number;
}

/** A hand-written rule: builds a Policy for one series (precomputing its indicators from candles ≤ t only). */
export interface RuleStrategy {
  kind: 'rule';
  name: string;
  description: string;
  /**
   * How many candles back the rule's indicators reach before they stop changing a decision (optional). A paper or
   * live tick loads max(RULE_TICK_CANDLES, lookback) candles before the candle it decides, so that path-dependent
   * indicators equal the backtest's over the run's whole history: an EMA(n) forgets its start by ((n-1)/(n+1))^k,
   * still 1.8% after 1000 candles for n = 500, so such a rule declares e.g. 20 × n.
   */
  lookback?: number;
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

/**
 * The `--strategy` value that loads the strategy file `file` from any folder: its name when it is in strategies/
 * (the only folder a name is looked up in), else its absolute path (a relative one is read from the current folder).
 */
export function strategyArgument(file: string): string {
  const resolved = path.resolve(file);
  if (path.dirname(resolved) === STRATEGIES_DIR) return path.basename(resolved, '.ts');
  return /^[\w./-]+$/.test(resolved) ? resolved : JSON.stringify(resolved);
}

/**
 * The strategy file a `--strategy` value loads when that is not a file of strategies/ (its absolute path), else
 * undefined. A model trained from it records it as meta.json's `strategyFile`: its `name` alone may be a shipped
 * strategy's, which a retrain of the model would then have trained instead (audit, session 39).
 */
export function strategyFileOf(nameOrFile: string): string | undefined {
  if (!isStrategyFile(nameOrFile)) return undefined;
  const file = path.resolve(nameOrFile);
  return path.dirname(file) === STRATEGIES_DIR ? undefined : file;
}

/**
 * The model home (`<modelsDir>/<name>`) a strategy's model is saved to or retrained in when `flag` (`--name`,
 * `--model`) does not name one: its `name`. A strategy `file` from elsewhere (strategyFileOf) named as a strategy in
 * strategies/ (a copy of strategies/dqn-dnn.ts with its recipe changed) is refused in one line: its model went to the
 * shipped strategy's home, mixed with or over that strategy's models, and a retrain of it trained the shipped recipe
 * (audit, session 39).
 */
export function strategyHome(file: string | undefined, strategyName: string, modelsDir: string, flag: string): string {
  const home = path.join(modelsDir, strategyName);
  if (file !== undefined && listStrategies().includes(strategyName))
    throw new UserError(
      `${file} is named "${strategyName}", as strategies/${strategyName}.ts is: its model would go to ${home}, ` +
        `that strategy's model home; give ${flag}, a model home of this file's own`,
    );
  return home;
}

/**
 * The `bot backtest` flags that train and save a model of the strategy `nameOrFile` loads (named `strategyName`), and
 * the model home's name under models/ they save it to: a file is named explicitly (advice naming only its `name` led
 * to the shipped strategy of that name), with `--name NAME` when strategyHome would refuse it (audit, session 39).
 */
export function trainingFlags(nameOrFile: string, strategyName: string): { flags: string; home: string } {
  const file = strategyFileOf(nameOrFile);
  const argument = isStrategyFile(nameOrFile) ? strategyArgument(nameOrFile) : nameOrFile;
  if (file !== undefined && listStrategies().includes(strategyName))
    return { flags: `--strategy ${argument} --name NAME`, home: 'NAME' };
  return { flags: `--strategy ${argument}`, home: strategyName };
}

function isStrategy(v: unknown): v is Strategy {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  if (typeof s.name !== 'string' || typeof s.description !== 'string') return false;
  return (s.kind === 'rule' && typeof s.createPolicy === 'function') || (s.kind === 'agent' && 'recipe' in s);
}

/** A `--strategy` value that names a file (a path, or anything ending in .ts) rather than a strategy in strategies/. */
function isStrategyFile(nameOrFile: string): boolean {
  return nameOrFile.endsWith('.ts') || nameOrFile.includes('/') || nameOrFile.includes(path.sep);
}

/** Where a strategy's module is, and how errors name it. */
function strategyFile(nameOrFile: string): { file: string; label: string; outside: boolean } {
  if (isStrategyFile(nameOrFile)) {
    if (!nameOrFile.endsWith('.ts')) throw new UserError(`strategy file ${nameOrFile} must be a .ts file`);
    const file = path.resolve(nameOrFile);
    if (!existsSync(file)) throw new UserError(`no strategy file ${nameOrFile}`);
    return { file, label: nameOrFile, outside: true };
  }
  const available = listStrategies();
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(nameOrFile) || !available.includes(nameOrFile)) {
    const guess = closestName(nameOrFile, available);
    throw new UserError(
      `unknown strategy "${nameOrFile}"${guess ? `, did you mean ${guess}?` : ''} ` +
        `(available: ${available.join(', ') || 'none'})`,
    );
  }
  return { file: path.join(STRATEGIES_DIR, `${nameOrFile}.ts`), label: `strategies/${nameOrFile}.ts`, outside: false };
}

/**
 * A package import that failed in a file outside the project: Node resolves a file's imports from its own folder up,
 * so the project's packages (technicalindicators, …) are not found there. Where to put the file instead.
 */
function outsideHint(problem: string, file: string): string {
  const inside = !path.relative(PROJECT_ROOT, file).startsWith('..');
  if (inside || !/^Cannot find (module|package) '[^./]/.test(problem)) return '';
  return (
    ` (a strategy file outside the project cannot import the project's packages: copy it to ` +
    `${STRATEGIES_DIR}${path.sep} and give --strategy with its name)`
  );
}

/**
 * Why a strategy module did not load, in one line. A compile error's first line is only `Transform failed with N
 * error(s):`; the first error under it is the message, with the file (named as the user did), line and column.
 */
function loadProblem(e: unknown, file: string, label: string): string {
  const lines = String((e as Error | undefined)?.message ?? e).split('\n');
  if (!/^Transform failed with \d+ errors?:$/.test(lines[0]) || !lines[1])
    return lines[0] + outsideHint(lines[0], file);
  return lines[1].replace(file, label).replace(/: ERROR: /, ': ');
}

/**
 * A strategy module's default export, of any kind, and the label errors name it by: `name` is a strategy in
 * strategies/ (unknown names get a one-line error listing the available ones) or a path to a .ts file. Single-market
 * and portfolio strategies are found and loaded by this one resolver.
 */
export async function importStrategy(name: string): Promise<{ exported: unknown; label: string }> {
  const { file, label, outside } = strategyFile(name);
  try {
    const url = pathToFileURL(file).href;
    // a file outside this package may sit under no "type": "module": tsImport compiles it either way, and a CommonJS
    // compile wraps the default export once more
    const mod = (outside ? await tsImport(url, import.meta.url) : await import(url)) as { default?: unknown };
    let exported = mod.default;
    const kind = (exported as { kind?: unknown } | undefined)?.kind;
    if (outside && kind === undefined) exported = (exported as { default?: unknown } | undefined)?.default;
    return { exported, label };
  } catch (e) {
    throw new UserError(`${label} does not load: ${loadProblem(e, file, label)}`);
  }
}

/**
 * Loads a single-market strategy (importStrategy). An agent's recipe is checked here, against the recipe schema and
 * its learner's registry schema: a wrong or unknown key is one line naming the file and the key. A portfolio strategy
 * is refused with `severalMarkets`, the caller's advice in its own options.
 */
export async function loadStrategy(
  name: string,
  severalMarkets = 'give --symbols BTC/KRW,ETH/KRW (and --data a.csv,b.csv or --sample)',
): Promise<Strategy> {
  const { exported, label } = await importStrategy(name);
  if ((exported as { kind?: unknown } | undefined)?.kind === 'portfolio') {
    throw new UserError(`strategy "${name}" trades several markets: ${severalMarkets}`);
  }
  if (!isStrategy(exported)) {
    throw new UserError(`${label} does not default-export a strategy (kind, name, description, …)`);
  }
  // the recipe schema reaches every learner and TensorFlow.js with them: loaded for agents only, so that a rule
  // strategy's run does not pay for it
  if (exported.kind === 'agent') (await import('./recipe.ts')).checkRecipe(label, exported.recipe);
  else checkRuleLookback(label, exported.lookback);
  return exported;
}
