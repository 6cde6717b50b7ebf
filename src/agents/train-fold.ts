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
import { hashData } from '../core/hash-data.ts';
import type { AgentSettings } from './config.ts';
import type { Learner } from './learners/learner.ts';
import { learnerOf } from './learners/registry.ts';
import { AgentPolicy, learnerPolicy } from './load-agent.ts';
import type { AgentRecipe } from './recipe.ts';
import { saveAgentModel } from './save.ts';
import {
  createLearner,
  envOptions,
  networkSpec,
  prepareData,
  recipeCosts,
  recipeSelection,
  segmentEnvs,
  trainingPieces,
} from './setup.ts';
import type { PreparedData } from './setup.ts';
import type { Fold, IndexRange } from './splits.ts';
import { trainAgent, type TrainOutcome, type ValidationResult } from './train.ts';
import { checkDecisionRule, isPlainRule, type DecisionRule } from './decision-rule.ts';
import { EnsembleNet, ensembleRule, memberFallbacks, type EnsembleKind, type EnsembleMeta } from './ensemble.ts';
import { candidateNames, candidateRecipes } from './candidate-recipes.ts';
import { purgedSplit, validationScore, type PurgedSplit } from './selection.ts';
import { deflatedEvidence, gateVerdict, trialSharpe, type GateVerdict } from './validation-gate.ts';
import { marketOf } from './model-market.ts';

function codeVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

interface AgentTrainRequest {
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
  /**
   * The fold's purged split when the caller made it (bot backtest reports it): the same for every seed and candidate
   * learner (it reads the recipe's selection, features and window, which candidates share); made here otherwise.
   */
  split?: PurgedSplit;
}

export interface TrainedAgent {
  learner: Learner;
  prepared: PreparedData;
  training: TrainOutcome;
  /** The decision rule the agent trades by: the recipe's, with the margin chosen on validation. */
  rule: DecisionRule;
  /** The training segments and validation windows it was trained and selected on. */
  split: PurgedSplit;
  /** The windows the epoch and margin were chosen on: the split's, less the last with `heldOutWindow` or `judge`. */
  selectionWindows: IndexRange[];
  /** Per-candle Sharpe ratio of every epoch × margin tried on the selection windows (the deflated gate's trials). */
  trialSharpes: number[];
  /** With the recipe's `selection.judge`: the score of what the run trades on the window no choice saw. */
  judgeScore?: number;
  /** The recipe it trained with (with `learnerChoice`: the chosen candidate's). */
  recipe: AgentRecipe;
  settings: AgentSettings;
  /** With `learnerChoice` (FinRL's ensemble strategy): the learner chosen and every candidate's validation Sharpe. */
  choice?: LearnerChoiceOutcome;
  /** With the recipe's `selection.gate`: the agent's and the baselines' validation scores, and the fallback if any. */
  gate?: GateVerdict;
  /** Greedy backtest over a range with the trained network and its rule (same engine, Account and observation code). */
  backtest(range: IndexRange, startState?: AccountState): BacktestResult;
  dispose(): void;
}

export interface LearnerChoiceOutcome {
  chosen: string;
  validationSharpes: Record<string, number>;
}

interface SaveAgentOptions {
  name: string;
  strategy: string;
  /** The strategy's file when it is not in strategies/ (strategyFileOf in strategy.ts). */
  strategyFile?: string;
  candles: Candles;
  fold: Fold;
  seed: number;
  metrics: Record<string, unknown>;
  /** Save the ensemble of these agents (this one first) as one folder instead of the agent alone (issue 13). */
  ensemble?: { kind: EnsembleKind; agents: TrainedAgent[] };
}

/** Saves a trained agent as a model folder with everything `loadAgent` needs (one format for backtest and retrain). */
export async function saveTrainedAgent(dir: string, agent: TrainedAgent, o: SaveAgentOptions): Promise<void> {
  const { candles } = o;
  const others = o.ensemble?.agents.filter((a) => a !== agent) ?? [];
  const span = trainingSpan([agent, ...others]);
  const ensemble = o.ensemble && trainedEnsemble(o.ensemble.kind, [agent, ...others]);
  const rule = ensemble?.rule ?? agent.rule;
  // the recipe the agent trained with: with a learner choice, the chosen candidate's, which loadAgent rebuilds
  await saveAgentModel(dir, agent.learner.net.model, agent.recipe, agent.prepared, {
    name: o.name,
    strategy: o.strategy,
    ...(o.strategyFile ? { strategyFile: o.strategyFile } : {}),
    seed: o.seed,
    learner: {
      kind: agent.learner.kind,
      extraState: agent.learner.extraState(),
      bestEpoch: agent.training.bestEpoch,
      epochs: agent.training.epochs.length,
      ...(isPlainRule(rule) ? {} : { decision: rule }),
      ...(ensemble ? { ensemble: ensemble.meta } : {}),
      engines: structuredClone(agent.learner.net.plan),
    },
    members: others.map((a) => a.learner.net.model),
    trainingWindow: { from: isoTime(candles.ts[span.from]), to: isoTime(candles.ts[span.to - 1]) },
    validationWindows: validationWindows(candles, [agent, ...others]),
    market: marketOf(candles),
    dataHash: hashData(candles.ts.subarray(span.from, span.to), candles.close.subarray(span.from, span.to)),
    metrics: o.metrics,
    codeVersion: codeVersion(),
  });
}

/**
 * The candles the agents trained on, first to last: with purged selection windows the training segments lie between
 * the validation windows, up to the last one's purge, so the fold's `train` range alone understated it and a backtest
 * over a segment between two windows read as out of sample.
 */
function trainingSpan(agents: TrainedAgent[]): IndexRange {
  const segments = agents.flatMap((a) => a.split.train);
  return { from: Math.min(...segments.map((r) => r.from)), to: Math.max(...segments.map((r) => r.to)) };
}

/**
 * The validation windows the agents' choices were made on (epoch and margin on the selection windows, the gate or
 * judge on a held-out one), as open times; an ensemble's members share a fold, so their windows are joined.
 */
function validationWindows(candles: Candles, agents: TrainedAgent[]): { from: string; to: string }[] {
  const byKey = new Map<string, { from: string; to: string }>();
  for (const a of agents)
    for (const w of a.split.validation) {
      const span = { from: isoTime(candles.ts[w.from]), to: isoTime(candles.ts[w.to - 1]) };
      byKey.set(`${span.from} ${span.to}`, span);
    }
  return [...byKey.values()].sort((a, b) => a.from.localeCompare(b.from));
}

/** The rule of a recipe with a given margin (minHold and every as the recipe says). */
function recipeRule(recipe: AgentRecipe, margin: number): DecisionRule {
  const d = recipe.decision;
  return checkDecisionRule({ margin, minHold: d?.minHold, every: d?.every }, 'recipe decision');
}

/**
 * Trains one agent on a fold (trainOneLearner); with the recipe's `learnerChoice` (FinRL's ensemble strategy, Yang et
 * al. 2020) every candidate learner is trained on the same rows and the one with the best validation Sharpe after
 * costs (mean over the selection windows, at its chosen epoch and margin) is kept; ties go to the earlier candidate.
 */
export async function trainOnFold(req: AgentTrainRequest): Promise<TrainedAgent> {
  const trained = await trainChoosingLearner(req);
  const agent = req.recipe.selection?.gate ? gated(req, trained) : trained;
  return req.recipe.selection?.judge ? judged(req, agent) : agent;
}

/**
 * A candidate recipe's judge (`selection.judge`): the validation score of what the run trades (the network, or the
 * baseline the gate chose) on the validation windows that no choice saw, the last one next to the test.
 */
function judged(req: AgentTrainRequest, agent: TrainedAgent): TrainedAgent {
  const windows = agent.split.validation.slice(agent.selectionWindows.length);
  if (!windows.length) {
    // the fold's split has one window only (purgedSplit on short data): said, not skipped silently (selection audit)
    req.logger.info(`[${req.label}] judge window: none (the fold has one validation window only): no judge score`);
    return agent;
  }
  const costs = recipeCosts(agent.recipe, agent.settings.account);
  const { turnoverCost } = recipeSelection(agent.recipe);
  let judgeScore = 0;
  for (const w of windows) {
    const r = agent.backtest(w);
    const m = computeMetrics(r, req.candles.timeframe);
    judgeScore += validationScore(m, r.trades, r.equity, w.from, costs, turnoverCost) / windows.length;
  }
  req.logger.info(`[${req.label}] judge window: score ${judgeScore.toFixed(3)}`);
  return { ...agent, judgeScore };
}

/**
 * The validation gate (src/agents/validation-gate.ts) on a trained agent: when its selection score does not beat flat's
 * and buy-and-hold's on the same windows, the agent's rule falls back to the better baseline, and its backtest (and the
 * model saved from it) trades that baseline.
 */
function gated(req: AgentTrainRequest, agent: TrainedAgent): TrainedAgent {
  const selection = recipeSelection(agent.recipe);
  const costs = recipeCosts(agent.recipe, agent.settings.account);
  const all = agent.split.validation;
  const heldOut =
    agent.recipe.selection?.gate === 'heldOutWindow' && all.length > agent.selectionWindows.length
      ? all.slice(agent.selectionWindows.length)
      : undefined;
  let agentScore = agent.training.bestScore;
  if (heldOut) {
    // the agent's score on the window its epoch and margin were not chosen on
    agentScore = 0;
    for (const w of heldOut) {
      const r = agent.backtest(w);
      const m = computeMetrics(r, req.candles.timeframe);
      agentScore += validationScore(m, r.trades, r.equity, w.from, costs, selection.turnoverCost) / heldOut.length;
    }
  }
  const gate = gateVerdict({
    recipe: agent.recipe,
    settings: agent.settings,
    prepared: agent.prepared,
    windows: heldOut ?? agent.selectionWindows,
    costs,
    turnoverCost: selection.turnoverCost,
    agentScore,
    ...(agent.recipe.selection?.gate === 'deflated'
      ? {
          deflated: deflatedEvidence(
            agent.selectionWindows.map((w) => agent.backtest(w)),
            agent.trialSharpes,
          ),
        }
      : {}),
  });
  const d = gate.deflated;
  const dsr = d ? `, DSR ${d.dsr.toFixed(3)} over ${d.trials} trials${d.missing ? ` (${d.missing})` : ''}` : '';
  const where =
    agent.recipe.selection?.gate === 'heldOutWindow' && !heldOut
      ? ' (one validation window only: compared on the selection window)'
      : '';
  req.logger.info(
    `[${req.label}] validation gate${where}: agent ${gate.agentScore.toFixed(3)}${dsr}, ` +
      `flat ${gate.flatScore.toFixed(3)}, buy-and-hold ${gate.buyAndHoldScore.toFixed(3)} → ` +
      `${gate.fallback ? `trades ${gate.fallback}` : 'agent trades'}`,
  );
  if (!gate.fallback) return { ...agent, gate };
  const rule = { ...agent.rule, fallback: gate.fallback };
  const { recipe, settings, prepared } = agent;
  const backtest = (range: IndexRange, startState?: AccountState) =>
    runBacktest({
      ...envOptions(recipe, settings, prepared, range),
      policy: new AgentPolicy(req.strategyName, agent.learner.net, rule),
      ...(startState ? { startState } : {}),
    });
  return { ...agent, rule, gate, backtest };
}

/** Trains the recipe's learner, or with `learnerChoice` every candidate, keeping the best (trainOneLearner). */
async function trainChoosingLearner(req: AgentTrainRequest): Promise<TrainedAgent> {
  const recipes = candidateRecipes(req.recipe);
  if (recipes.length === 1) return trainOneLearner(req);
  let best: TrainedAgent | undefined;
  const validationSharpes: Record<string, number> = {};
  const names = candidateNames(recipes);
  let chosen = '';
  const trialSharpes: number[] = [];
  for (const [i, recipe] of recipes.entries()) {
    const label = `${req.label} ${names[i]}`;
    const agent = await trainOneLearner({ ...req, recipe, label, summaryDir: i === 0 ? req.summaryDir : undefined });
    // every candidate's epoch × margin trials are trials of this window's choice (the deflated gate counts them all)
    trialSharpes.push(...agent.trialSharpes);
    const sharpe = agent.training.bestSharpe;
    validationSharpes[names[i]] = sharpe;
    if (!best || sharpe > best.training.bestSharpe) {
      best?.dispose();
      best = agent;
      chosen = names[i];
    } else {
      agent.dispose();
    }
  }
  const choice = { chosen, validationSharpes };
  req.logger.info(
    `[${req.label}] learner choice: ${chosen} (validation Sharpe ` +
      `${Object.entries(validationSharpes)
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(', ')})`,
  );
  return { ...best!, choice, trialSharpes };
}

/**
 * Trains one agent on a fold: on its training rows (the purged split's segments), selecting the epoch and the
 * switching margin by the validation score over the split's windows (src/agents/selection.ts). Without `selection`
 * and `decision` in the recipe this is the plain split and the validation Sharpe after costs, as before issue 13.
 */
async function trainOneLearner(req: AgentTrainRequest): Promise<TrainedAgent> {
  const { settings, recipe, fold, seed, candles } = req;
  const selection = recipeSelection(recipe);
  const split = req.split ?? purgedSplit(fold, selection);
  // the held-out-window gate and the judge keep the last validation window out of the epoch and margin choice
  const holdOut =
    (recipe.selection?.gate === 'heldOutWindow' || !!recipe.selection?.judge) && split.validation.length > 1;
  const selectionWindows = holdOut ? split.validation.slice(0, -1) : split.validation;
  const prepared = prepareData(recipe, candles, split.train);
  const pieces = trainingPieces(recipe, prepared, split.train);
  const spec = networkSpec(recipe, prepared, seed);
  const learner = createLearner(recipe, spec, seed, (line) => req.logger.info(`[${req.label}] ${line}`));
  const costs = recipeCosts(recipe, settings.account);
  const margins = [...new Set(recipe.decision?.margins ?? [0])].sort((a, b) => a - b);
  // a recipe without decision or selection options keeps the plain validation Sharpe (and its log line)
  const scored = recipe.decision !== undefined || recipe.selection !== undefined;
  const run = (rule: DecisionRule, range: IndexRange, startState?: AccountState) => {
    // fixed weights during a greedy run: batch the feature trunk
    learner.net.setTrunkCache(true);
    try {
      const policy = learnerPolicy(req.strategyName, learner, rule);
      return runBacktest({
        ...envOptions(recipe, settings, prepared, range),
        policy,
        ...(startState ? { startState } : {}),
      });
    } finally {
      learner.net.setTrunkCache(false);
    }
  };
  const tf = candles.timeframe;
  const trialSharpes: number[] = [];
  const validate = (): ValidationResult => {
    let best: Required<ValidationResult> | undefined;
    for (const margin of margins) {
      const rule = recipeRule(recipe, margin);
      let score = 0;
      let sharpe = 0;
      let totalReturn = 0;
      let trades = 0;
      const runs: BacktestResult[] = [];
      for (const w of selectionWindows) {
        const r = run(rule, w);
        runs.push(r);
        const m = computeMetrics(r, tf);
        const windowScore = validationScore(m, r.trades, r.equity, w.from, costs, selection.turnoverCost);
        score += windowScore / selectionWindows.length;
        sharpe += m.sharpe / selectionWindows.length;
        totalReturn += m.totalReturn / selectionWindows.length;
        trades += m.trades;
      }
      trialSharpes.push(trialSharpe(runs));
      if (!best || score > best.score) best = { score, sharpe, totalReturn, trades, margin };
    }
    const b = best as Required<ValidationResult>;
    return scored ? b : { sharpe: b.sharpe, totalReturn: b.totalReturn };
  };
  const dispose = () => {
    learner.dispose();
    learner.net.dispose();
  };
  // a training that fails (one that never learned, a diverged loss) frees its networks before the error goes on
  const training = await trainAgent({
    learner,
    envs: segmentEnvs(recipe, settings, pieces, seed),
    epochs: req.epochs,
    exploration: recipe.exploration ?? learnerOf(recipe.learner).exploration,
    validate,
    validateEvery: settings.agent.validateEvery,
    patience: settings.agent.patience,
    smoothEpochs: recipe.selection?.smoothEpochs,
    logger: req.logger,
    label: req.label,
    summaryEvery: settings.agent.summaryEvery,
    summaryDir: req.summaryDir,
    candles,
    progress: req.progress,
  }).catch((e: unknown) => {
    dispose();
    throw e;
  });
  const rule = recipeRule(recipe, training.bestMargin);
  return {
    learner,
    prepared,
    training,
    rule,
    split,
    selectionWindows,
    trialSharpes,
    recipe,
    settings,
    backtest: (range, startState) => run(rule, range, startState),
    dispose,
  };
}

/**
 * The agents of one fold (one per seed, trained on the same split and scaler) trading as one (issue 13): the
 * ensemble's rule on its combined outputs, and its greedy backtest. The agents keep owning their networks.
 */
export function trainedEnsemble(
  kind: EnsembleKind,
  agents: readonly TrainedAgent[],
): { meta: EnsembleMeta; rule: DecisionRule; backtest(range: IndexRange, startState?: AccountState): BacktestResult } {
  const rules = agents.map((a) => a.rule);
  const fallbacks = memberFallbacks(rules);
  const meta: EnsembleMeta = {
    kind,
    margins: rules.map((r) => r.margin),
    ...(fallbacks.some((f) => f) ? { fallbacks } : {}),
  };
  const rule = ensembleRule(kind, rules);
  const net = new EnsembleNet(
    kind,
    agents.map((a) => a.learner.net),
    meta.margins,
    fallbacks,
  );
  return {
    meta,
    rule,
    backtest: (range, startState) =>
      runBacktest({
        ...envOptions(agents[0].recipe, agents[0].settings, agents[0].prepared, range),
        policy: new AgentPolicy(`${kind} ensemble`, net, rule),
        ...(startState ? { startState } : {}),
      }),
  };
}
