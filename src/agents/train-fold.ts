/**
 * Training one agent on one fold: the learner a recipe names, trained on the fold's training window with the epoch
 * chosen by validation Sharpe after costs, and saved as a model folder. Used by the agent backtest and by retraining.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { Candles } from '../core/candles.ts';
import type { Logger } from '../core/log.ts';
import { PROJECT_ROOT } from '../core/project-root.ts';
import { isoTime } from '../data/timeframe.ts';
import type { AccountState } from '../market/account.ts';
import { runBacktest, type BacktestResult } from '../market/backtest-engine.ts';
import { computeMetrics } from '../market/metrics.ts';
import { hashData } from '../nn/model-files.ts';
import type { AgentSettings } from './config.ts';
import type { Learner } from './learners/learner.ts';
import { learnerOf } from './learners/registry.ts';
import { learnerPolicy } from './load-agent.ts';
import type { AgentRecipe } from './recipe.ts';
import { saveAgentModel } from './save.ts';
import { createLearner, envOptions, networkSpec, prepareData, trainingEnvs, type IndexRange, type PreparedData } from './setup.ts';
import type { Fold } from './splits.ts';
import { trainAgent, type TrainOutcome } from './train.ts';

function codeVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface AgentTrainRequest {
  /** The `agent` section (validation, patience, summaries), the account and the sizing bounds. */
  settings: AgentSettings;
  recipe: AgentRecipe;
  strategyName: string;
  candles: Candles;
  fold: Fold;
  seed: number;
  epochs: number;
  logger: Logger;
  label: string;
  summaryDir?: string;
  progress?: boolean;
}

export interface TrainedAgent {
  learner: Learner;
  prepared: PreparedData;
  training: TrainOutcome;
  /** Greedy backtest over a range with the trained network (same engine, Account and observation code). */
  backtest(range: IndexRange, startState?: AccountState): BacktestResult;
  dispose(): void;
}

export interface SaveAgentOptions {
  name: string;
  strategy: string;
  recipe: AgentRecipe;
  candles: Candles;
  fold: Fold;
  seed: number;
  metrics: Record<string, unknown>;
}

/** Saves a trained agent as a model folder with everything `loadAgent` needs (one format for backtest and retrain). */
export async function saveTrainedAgent(dir: string, agent: TrainedAgent, o: SaveAgentOptions): Promise<void> {
  const { candles, fold } = o;
  await saveAgentModel(dir, agent.learner.net.model, o.recipe, agent.prepared, {
    name: o.name,
    strategy: o.strategy,
    seed: o.seed,
    learner: {
      kind: agent.learner.kind,
      extraState: agent.learner.extraState(),
      bestEpoch: agent.training.bestEpoch,
      epochs: agent.training.epochs.length,
      engines: structuredClone(agent.learner.net.plan),
    },
    trainingWindow: { from: isoTime(candles.ts[fold.train.from]), to: isoTime(candles.ts[fold.train.to - 1]) },
    dataHash: hashData(candles.ts.subarray(fold.train.from, fold.train.to), candles.close.subarray(fold.train.from, fold.train.to)),
    metrics: o.metrics,
    codeVersion: codeVersion(),
  });
}

/** Trains one agent on a fold's training window, selecting the epoch by validation Sharpe after costs. */
export async function trainOnFold(req: AgentTrainRequest): Promise<TrainedAgent> {
  const { settings, recipe, fold, seed, candles } = req;
  const prepared = prepareData(recipe, candles, fold.train);
  const spec = networkSpec(recipe, prepared, seed);
  const learner = createLearner(recipe, spec, seed);
  const policy = learnerPolicy(req.strategyName, learner);
  const backtest = (range: IndexRange, startState?: AccountState) => {
    // fixed weights during a greedy run: batch the feature trunk
    learner.net.setTrunkCache(true);
    try {
      return runBacktest({ ...envOptions(recipe, settings, prepared, range), policy, ...(startState ? { startState } : {}) });
    } finally {
      learner.net.setTrunkCache(false);
    }
  };
  const tf = candles.timeframe;
  const training = await trainAgent({
    learner,
    envs: trainingEnvs(recipe, settings, prepared, fold.train, seed),
    epochs: req.epochs,
    exploration: recipe.exploration ?? learnerOf(recipe.learner).exploration,
    validate: () => {
      const m = computeMetrics(backtest(fold.validation), tf);
      return { sharpe: m.sharpe, totalReturn: m.totalReturn };
    },
    validateEvery: settings.agent.validateEvery,
    patience: settings.agent.patience,
    logger: req.logger,
    label: req.label,
    summaryEvery: settings.agent.summaryEvery,
    summaryDir: req.summaryDir,
    candles,
    progress: req.progress,
  });
  return {
    learner,
    prepared,
    training,
    backtest,
    dispose: () => {
      learner.dispose();
      learner.net.dispose();
    },
  };
}
