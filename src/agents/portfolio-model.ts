/**
 * Portfolio model folders (issue 14): the network and a meta.json with the recipe, the traded and informative
 * symbols, each series' scaler, the network spec and the learner's extra state, so `bot backtest --model` (and the
 * paper trader later) rebuild the same observation and the same policy call.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { PROJECT_ROOT } from '../core/project-root.ts';
import { createImageRenderer, parseImageSpec } from '../chart/index.ts';
import { featureHistory } from '../features/index.ts';
import type { ScalerState } from '../features/scaler.ts';
import { loadModel, saveModel } from '../nn/model-files.ts';
import type { NetworkSpec } from '../nn/index.ts';
import {
  createPortfolioAgent,
  portfolioFeatureVersion,
  portfolioBuilder,
  portfolioFeatures,
  type PortfolioAgent,
} from './portfolio-agent.ts';
import { checkPortfolioRecipe, type PortfolioRecipe } from './portfolio-recipe.ts';
import { wrapModel } from './setup.ts';

/** What meta.json's `learner` holds for a portfolio model. */
interface PortfolioLearnerMeta {
  portfolio: true;
  kind: string;
  recipe: PortfolioRecipe;
  symbols: string[];
  informative: string[];
  extraState: Record<string, number[]>;
}

function codeVersion(): string {
  try {
    return (
      (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '?'
    );
  } catch {
    return 'unknown';
  }
}

/** Writes the agent as a model folder. */
export async function savePortfolioAgent(
  dir: string,
  agent: PortfolioAgent,
  m: {
    name: string;
    strategy: string;
    seed: number;
    trainingWindow: { from: string; to: string };
    /** The exchange and timeframe of the traded series (the market is the agent's symbols). */
    market: { exchange: string; timeframe: string };
    /**
     * What was measured, nested as a single market's model has it: `{ test: <figures>, … }` from bot backtest, a
     * retrain's challenger `{ holdout: <figures>, … }` (src/trading/portfolio-retrain.ts).
     */
    metrics?: Record<string, unknown>;
  },
): Promise<void> {
  const learner: PortfolioLearnerMeta = {
    portfolio: true,
    kind: agent.learner.kind,
    recipe: agent.recipe,
    symbols: agent.symbols,
    informative: agent.informative,
    extraState: agent.learner.extraState(),
  };
  await saveModel(
    dir,
    { model: agent.learner.net.model },
    {
      name: m.name,
      strategy: m.strategy,
      featureSet: agent.recipe.features,
      featureVersion: portfolioFeatureVersion(agent.recipe),
      scaler: agent.scalers,
      network: agent.spec,
      learner: learner as unknown as Record<string, unknown>,
      trainingWindow: m.trainingWindow,
      market: { ...m.market, symbol: agent.symbols.join(',') },
      dataHash: '',
      seed: m.seed,
      metrics: m.metrics ?? {},
      codeVersion: codeVersion(),
      createdAt: new Date().toISOString(),
    },
  );
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
  if (!l?.portfolio || !Array.isArray(l.symbols) || !Array.isArray(l.informative))
    throw new UserError(`model ${dir} is not a portfolio model (it trades one market: leave out --symbols)`);
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

/** The markets a model folder trades when it is a portfolio model (its meta.json says so), else undefined. */
export function portfolioModelSymbols(dir: string): string[] | undefined {
  try {
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { learner?: { portfolio?: unknown } };
    return meta.learner?.portfolio === true ? readPortfolioModelInfo(dir).symbols : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `--symbols` against what a portfolio model trades: the same markets in the same order (the network's inputs and
 * outputs are per market), else one line saying what the model trades and reads.
 */
export function checkModelSymbols(home: string, dir: string, symbols: readonly string[]): void {
  const info = readPortfolioModelInfo(dir);
  if (info.symbols.join(',') === symbols.join(',')) return;
  const reads = info.informative.length ? ` and reads ${info.informative.join(',')}` : '';
  throw new UserError(
    `--model ${home} trades ${info.symbols.join(',')} in that order${reads}; --symbols names ${symbols.join(',')}`,
  );
}

/**
 * The agent re-aimed at longer candles (a paper run's next tick): the same network and scalers, features computed
 * again over these series (rows of earlier candles do not change: features read candles ≤ their own).
 */
export function aimPortfolioAgent(
  agent: PortfolioAgent,
  traded: readonly Candles[],
  informative: readonly Candles[],
): void {
  const { features } = portfolioFeatures(agent.recipe, [...traded, ...informative], 0, agent.scalers);
  agent.builder = portfolioBuilder(agent.recipe, features, traded.length);
}

/** A portfolio model folder checked and its network loaded, not aimed at candles yet (openPortfolioModel). */
export interface OpenedPortfolioModel {
  dir: string;
  info: PortfolioModelInfo;
  /** The agent over these series (in the model's symbol order); it owns the network from then on. */
  over(traded: readonly Candles[], informative: readonly Candles[]): PortfolioAgent;
  /** Frees the network of a model never aimed. */
  dispose(): void;
}

/**
 * Reads and checks a portfolio model folder and loads its network, without candles: a paper run follows the model
 * pointer to a version this way before it loads the history that version reads (its warm-up, its informative series).
 */
export async function openPortfolioModel(dir: string): Promise<OpenedPortfolioModel> {
  const info = readPortfolioModelInfo(dir);
  const { models, meta } = await loadModel(dir);
  const dispose = () => {
    for (const m of Object.values(models)) m.dispose();
  };
  const l = meta.learner as unknown as PortfolioLearnerMeta;
  let recipe: PortfolioRecipe;
  try {
    recipe = checkPortfolioRecipe(`model ${dir}`, l.recipe);
    if (meta.featureVersion !== portfolioFeatureVersion(recipe))
      throw new UserError(`model ${dir}: features ${meta.featureVersion} vs ${portfolioFeatureVersion(recipe)} here`);
  } catch (e) {
    dispose();
    throw e;
  }
  const scalers = meta.scaler as ScalerState[];
  const spec = meta.network as NetworkSpec;
  return {
    dir,
    info,
    over(traded, informative) {
      const got = [...traded, ...informative].map((c) => c.symbol).join(',');
      const want = [...info.symbols, ...info.informative].join(',');
      if (got !== want) throw new UserError(`model ${dir} trades and reads ${want}; the series given are ${got}`);
      const { features } = portfolioFeatures(recipe, [...traded, ...informative], 0, scalers);
      const builder = portfolioBuilder(recipe, features, traded.length);
      const net = wrapModel(models.model, spec, false);
      return createPortfolioAgent(recipe, builder, scalers, meta.seed, { spec, net, extra: l.extraState });
    },
    dispose,
  };
}

/** Loads a portfolio model over `traded` and `informative` candles (in the model's symbol order). */
export async function loadPortfolioAgent(
  dir: string,
  traded: readonly Candles[],
  informative: readonly Candles[],
): Promise<PortfolioAgent> {
  const opened = await openPortfolioModel(dir);
  try {
    return opened.over(traded, informative);
  } catch (e) {
    opened.dispose();
    throw e;
  }
}
