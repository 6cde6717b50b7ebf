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
import { savedPortfolioScalers } from './saved-scaler.ts';
import { checkPortfolioRecipe, type PortfolioRecipe } from './portfolio-recipe.ts';
import { wrapModel } from './setup.ts';
import { readPortfolioModelInfo, type PortfolioLearnerMeta, type PortfolioModelInfo } from './portfolio-model-meta.ts';

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
  let scalers: ScalerState[];
  try {
    recipe = checkPortfolioRecipe(`model ${dir}`, l.recipe);
    if (meta.featureVersion !== portfolioFeatureVersion(recipe))
      throw new UserError(`model ${dir}: features ${meta.featureVersion} vs ${portfolioFeatureVersion(recipe)} here`);
    // as the folder check before tfjs reads them (model-folder-check.ts)
    scalers = savedPortfolioScalers(dir, [...info.symbols, ...info.informative], meta.scaler);
  } catch (e) {
    dispose();
    throw e;
  }
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
