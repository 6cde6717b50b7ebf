/**
 * `bot backtest --strategy <agent>`, the run driver: walk-forward folds × seeds of fold training
 * (src/agents/train-fold.ts), each evaluated once on its test window, the base seed's model saved, baselines over the
 * headline range; the report's agent sections and the terminal summary are agent-report.ts's.
 */
import path from 'node:path';
import { refuseModelHome } from '../agents/model-pointer.ts';
import { UserError } from '../core/errors.ts';
import { checkName } from '../core/names.ts';
import { type Logger } from '../core/log.ts';
import { printJson } from '../core/redact.ts';
import type { Series } from '../data/source.ts';
import { checkRecipe } from '../agents/recipe.ts';
import { recipeCostPreset, recipeCosts, recipeSelection, recipeSizing } from '../agents/setup.ts';
import { recipeWarmup } from '../agents/recipe-reach.ts';
import { scheduleOf, type ScheduleRule } from '../agents/decision-rule.ts';
import { rangesText, walkForward, type IndexRange } from '../agents/splits.ts';
import { purgedSplit, validationScore } from '../agents/selection.ts';
import { strategyHome, type AgentStrategy } from '../agents/strategy.ts';
import { saveTrainedAgent, trainedEnsemble, trainOnFold, type TrainedAgent } from '../agents/train-fold.ts';
import type { EnsembleKind } from '../agents/ensemble.ts';
import { writeLearningCurvesPng } from '../agents/epoch-summary.ts';
import type { BacktestResult } from '../market/backtest-engine.ts';
import { computeMetrics, type Metrics } from '../market/metrics.ts';
import { initBackend } from '../nn/backend/backend.ts';
import { meanAndSd, runBaselines, type Baselines } from './baselines.ts';
import type { AgentBacktestSettings } from './config.ts';
import { newRunId, rangeIndices } from './range.ts';
import { claimOutFolder } from './out-folder.ts';
import { readReport } from './report-file.ts';
import { writeReport, type StoredReport } from './report.ts';
import { stitchResults } from './stitch.ts';
import { agentReport, printAgentSummary, type SeedRun } from './agent-report.ts';
import type { EnsembleRun } from './ensemble-report.ts';
import { summarizeRuns } from './walk-forward-summary.ts';

/** What `bot backtest` hands to the agent runner for `kind: 'agent'` strategies. */
export interface AgentBacktestContext {
  settings: AgentBacktestSettings;
  series: Series;
  strategy: AgentStrategy;
  /** The strategy's file when it is not in strategies/ (strategyFileOf): its model's meta.json records it. */
  strategyFile?: string;
  flags: {
    epochs?: number;
    seed?: number;
    seeds?: number;
    /** Trade the fold's seeds as one ensemble (issue 13): majority vote or mean of their outputs. */
    ensemble?: EnsembleKind;
    folds?: number;
    name?: string;
    out?: string;
    from?: number;
    to?: number;
    json?: boolean;
  };
  logger: Logger;
}

export interface AgentRunResult {
  runs: SeedRun[];
  /** With walk-forward folds: the base seed's test windows chained on one account (the report's headline). */
  walk?: BacktestResult;
  /** Mean and sd over seeds (and folds) of every test metric. */
  summary: { mean: Metrics; sd: Partial<Record<keyof Metrics, number>> };
  baselines: Baselines;
  report: StoredReport;
  reportDir: string;
  modelDir: string;
}

/**
 * `bot backtest --strategy <agent>`: train on train, select on validation, evaluate once on test, per fold and seed.
 */
export async function runAgentBacktest(ctx: AgentBacktestContext): Promise<AgentRunResult> {
  const { settings, series, logger } = ctx;
  const recipe = checkRecipe(`strategies/${ctx.strategy.name}.ts`, ctx.strategy.recipe);
  const backend = await initBackend(settings.ml.backend, logger);
  let candles = series.candles;
  const range = rangeIndices(candles, ctx.flags.from, ctx.flags.to, series.label);
  let from = range.from;
  const to = range.to;
  const max = settings.agent.maxCandles;
  if (max > 0 && ctx.flags.from === undefined && to - from > max) {
    from = to - max;
    logger.info(
      `using the newest ${max} candles of ${to - range.from} (config agent.maxCandles; --from to choose another start)`,
    );
  }
  const warmup = recipeWarmup(recipe);
  const selection = recipeSelection(recipe);
  const costs = recipeCosts(recipe, settings.account);
  // the sizing object the agent's backtests trade with (envOptions): the random and sma-cross baselines share it
  const sizing = recipeSizing(recipe, settings.backtest);
  // the warm-up rows come before the first decision; they only feed the first windows
  const usableFrom = Math.max(from + warmup, warmup);
  if (usableFrom >= to)
    throw new UserError(
      `${series.label}: ${to - from} candles are fewer than the ${warmup} this recipe needs for warm-up`,
    );
  candles = series.candles;
  const folds = walkForward(usableFrom, to, settings.agent.split, ctx.flags.folds ?? 1, settings.agent.walkForward);
  const seeds = ctx.flags.seeds ?? 1;
  const baseSeed = ctx.flags.seed ?? settings.backtest.seed;
  const epochs = ctx.flags.epochs ?? recipe.epochs ?? settings.agent.epochs;
  const outDir =
    ctx.flags.out ??
    path.join(settings.backtest.outDir, newRunId(ctx.strategy.name, candles.symbol, settings.backtest.outDir));
  const runId = path.basename(path.resolve(outDir));
  const modelName = ctx.flags.name ?? ctx.strategy.name;
  checkName(modelName, ` (it names a folder under ${settings.agent.modelsDir}/)`);
  const modelDir =
    ctx.flags.name === undefined
      ? strategyHome(ctx.strategyFile, modelName, settings.agent.modelsDir, '--name NAME')
      : path.join(settings.agent.modelsDir, modelName);
  refuseModelHome(modelDir);
  const span = (r: IndexRange | readonly IndexRange[]) => rangesText(candles.ts, r);
  logger.info(
    `agent ${ctx.strategy.name} on ${series.label}: ${folds.length} fold(s) ` +
      `× ${seeds} seed(s), ${epochs} epochs, backend ${backend.name}`,
  );
  // what training really uses: the purged split's segments and windows (train-fold.ts), not the fold's two spans
  const splits = folds.map((f) => purgedSplit(f, selection));
  folds.forEach((f, i) =>
    logger.info(
      `fold ${f.index + 1}: train ${span(splits[i].train)} | validation ${span(splits[i].validation)} ` +
        `| test ${span(f.test)}`,
    ),
  );

  // a failed run takes back what it wrote, so the same command can run again (it never removes what it did not write)
  const folder = claimOutFolder(outDir);
  try {
    const runs: SeedRun[] = [];
    const images: { file: string; caption: string }[] = [];
    const lastFold = folds[folds.length - 1];
    let saved = false;
    // walk-forward (folds > 1): the base seed's models trade their test windows one after another on one account
    const chain: BacktestResult[] = [];
    const ensembleKind = ctx.flags.ensemble;
    const ensembleRuns: EnsembleRun[] = [];
    for (const [foldAt, fold] of folds.entries()) {
      // with --ensemble the fold's agents live until the ensemble of them has traded the test window
      const members: TrainedAgent[] = [];
      for (let s = 0; s < seeds; s++) {
        const seed = baseSeed + s;
        const tag = `${folds.length > 1 ? `fold${fold.index + 1}-` : ''}seed${seed}`;
        const first = s === 0 && fold === lastFold;
        const agent = await trainOnFold({
          settings,
          recipe,
          strategyName: ctx.strategy.name,
          candles,
          fold,
          seed,
          epochs,
          logger,
          label: `${candles.symbol} ${tag}`,
          summaryDir: first ? path.join(outDir, `epoch_summary_${tag}`) : undefined,
          progress: true,
          split: splits[foldAt],
        });
        try {
          const test = agent.backtest(fold.test);
          const metrics = computeMetrics(test, candles.timeframe);
          const kappa = selection.turnoverCost;
          const testScore = validationScore(metrics, test.trades, test.equity, fold.test.from, costs, kappa);
          if (folds.length > 1 && s === 0 && !ensembleKind) {
            // to the next fold's first candle, where this fold's last decision fills and the next model takes over
            const to = fold === lastFold ? fold.test.to : fold.test.to + 1;
            chain.push(agent.backtest({ from: fold.test.from, to }, chain[chain.length - 1]?.endState));
          }
          const { bestEpoch, bestScore, bestMargin } = agent.training;
          const training = agent.training;
          const engines = structuredClone(agent.learner.net.plan);
          runs.push({
            fold: fold.index,
            seed,
            training,
            test,
            metrics,
            validationScore: bestScore,
            testScore,
            margin: bestMargin,
            // the schedule the random baseline follows on this run's window (issue 13): with learnerChoice, the one of
            // the learner chosen on validation, so the random learns nothing from the test window either
            rule: scheduleOf(agent.rule),
            ...(agent.choice ? { choice: agent.choice } : {}),
            ...(agent.gate ? { gate: agent.gate } : {}),
            ...(agent.judgeScore === undefined ? {} : { judgeScore: agent.judgeScore }),
            engines,
          });
          logger.info(
            `[${tag}] test: return ${(metrics.totalReturn * 100).toFixed(2)}%, Sharpe ${metrics.sharpe.toFixed(3)}, ` +
              `trades ${metrics.trades} (best epoch ${bestEpoch}, validation score ${bestScore.toFixed(3)}, ` +
              `test score ${testScore.toFixed(3)}, margin ${bestMargin}` +
              `${agent.choice ? `, learner ${agent.choice.chosen}` : ''}` +
              `${agent.gate?.fallback ? `, gate: trades ${agent.gate.fallback}` : ''})`,
          );
          const curves = path.join(outDir, `learning_curves_${tag}.png`);
          await writeLearningCurvesPng(
            curves,
            `${ctx.strategy.name} ${tag}: learning curves`,
            agent.training.epochs,
            agent.training.bestEpoch,
          );
          images.push({
            file: path.basename(curves),
            caption: `learning curves, ${tag} (best epoch ${agent.training.bestEpoch})`,
          });
          for (const f of agent.training.summaries)
            images.push({
              file: path.relative(outDir, f),
              caption: `epoch summary ${path.basename(f, '.png').replace('epoch_summary_', '')}, ${tag}`,
            });
          if (first && !saved && !ensembleKind) {
            await saveTrainedAgent(modelDir, agent, {
              name: modelName,
              strategy: ctx.strategy.name,
              ...(ctx.strategyFile ? { strategyFile: ctx.strategyFile } : {}),
              candles,
              fold,
              seed,
              metrics: {
                test: metrics,
                validationSharpe: agent.training.bestSharpe,
                symbol: candles.symbol,
                timeframe: candles.timeframe,
                exchange: candles.exchange,
              },
            });
            saved = true;
          }
          if (ensembleKind) members.push(agent);
        } finally {
          if (!ensembleKind) agent.dispose();
        }
      }
      if (ensembleKind) {
        try {
          const ens = trainedEnsemble(ensembleKind, members);
          const test = ens.backtest(fold.test);
          const metrics = computeMetrics(test, candles.timeframe);
          const fellBack = (ens.meta.fallbacks ?? []).filter((f) => f);
          ensembleRuns.push({ fold: fold.index, test, metrics, rule: ens.rule, membersFellBack: fellBack.length });
          const gateNote =
            (fellBack.length
              ? ` (gate: ${fellBack.length} member(s) trade their baseline: ${fellBack.join(', ')})`
              : '') + (ens.rule.fallback ? `, the ensemble trades ${ens.rule.fallback}` : '');
          logger.info(
            `[fold ${fold.index + 1} ${ensembleKind} ensemble of ${members.length}] test: return ` +
              `${(metrics.totalReturn * 100).toFixed(2)}%, Sharpe ${metrics.sharpe.toFixed(3)}, ` +
              `trades ${metrics.trades}${gateNote}`,
          );
          if (folds.length > 1) {
            const to = fold === lastFold ? fold.test.to : fold.test.to + 1;
            chain.push(ens.backtest({ from: fold.test.from, to }, chain[chain.length - 1]?.endState));
          }
          if (fold === lastFold)
            await saveTrainedAgent(modelDir, members[0], {
              name: modelName,
              strategy: ctx.strategy.name,
              ...(ctx.strategyFile ? { strategyFile: ctx.strategyFile } : {}),
              candles,
              fold,
              seed: baseSeed,
              metrics: {
                test: metrics,
                symbol: candles.symbol,
                timeframe: candles.timeframe,
                exchange: candles.exchange,
              },
              ensemble: { kind: ensembleKind, agents: members },
            });
        } finally {
          for (const a of members) a.dispose();
        }
      }
    }

    const main =
      ensembleRuns[ensembleRuns.length - 1] ??
      runs.find((r) => r.fold === lastFold.index && r.seed === baseSeed) ??
      runs[runs.length - 1];
    // the headline: one fold's test run, or with walk-forward the chained test windows of all folds
    const walk = chain.length > 1 ? stitchResults(chain, chain[0].policy) : undefined;
    const headline = walk ?? main.test;
    const headlineMetrics = walk ? computeMetrics(walk, candles.timeframe) : main.metrics;
    // the schedule each fold's headline model traded by (the base seed's or the ensemble's): the random follows it
    const foldRule = (fold: number): ScheduleRule =>
      scheduleOf(
        (ensembleRuns.find((e) => e.fold === fold) ?? runs.find((r) => r.fold === fold && r.seed === baseSeed) ?? main)
          .rule,
      );
    const baselines = runBaselines({
      candles,
      range: headline.range,
      costs: recipeCosts(recipe, settings.account),
      balance: settings.account.balance,
      sizing,
      rule: foldRule(walk ? folds[0].index : main.fold),
      // each fold's agent (or ensemble) trades its test window with a gate of its own and by its own rule (with
      // learnerChoice its chosen learner's): random's starts over there too, under that rule
      ...(walk ? { restarts: folds.slice(1).map((f) => ({ at: f.test.from, rule: foldRule(f.index) })) } : {}),
      randomSeeds: settings.backtest.randomSeeds,
      seed: baseSeed,
    });
    const summary = meanAndSd(runs.map((r) => r.metrics));
    // issue 13: the baselines on the same test windows, aggregated as the runs are (the scripts' numbers, one path)
    const sameWindows =
      runs.length > 1
        ? summarizeRuns(
            {
              costs,
              balance: settings.account.balance,
              sizing,
              seed: baseSeed,
              randomSeeds: settings.backtest.randomSeeds,
              windows: folds.map((f) => f.test),
              runs,
              chained: walk ? headlineMetrics : undefined,
              reportRandom: baselines.random,
              ...(ensembleKind && ensembleRuns.length === folds.length
                ? {
                    // one ensemble run per fold, pushed in the folds' order
                    ensemble: { kind: ensembleKind, metrics: ensembleRuns.map((e) => e.metrics) },
                  }
                : {}),
            },
            candles,
          )
        : undefined;
    const { extra } = agentReport({
      strategyName: ctx.strategy.name,
      seriesLabel: series.label,
      recipe,
      epochs,
      folds,
      splits,
      seeds,
      baseSeed,
      runs,
      walk,
      headline,
      headlineMetrics,
      summary,
      selection,
      ensembleKind,
      ensembleRuns,
      modelDir,
      backendName: backend.name,
      images,
      span,
      sameWindows,
    });
    const files = await writeReport(outDir, {
      runId,
      strategy: { name: ctx.strategy.name, kind: 'agent', description: ctx.strategy.description },
      data: { label: series.label, origin: series.origin, ...(series.notice ? { notice: series.notice } : {}) },
      settings: {
        balance: settings.account.balance,
        costs: recipeCosts(recipe, settings.account),
        sizing,
        reward: recipe.reward,
        seed: baseSeed,
        costPreset: recipeCostPreset(recipe, settings.account),
        randomSeeds: settings.backtest.randomSeeds,
        seeds,
        folds: folds.length,
        epochs,
        learner: recipe.learner.kind,
        network: recipe.network.kind,
        features: recipe.features,
      },
      result: headline,
      metrics: headlineMetrics,
      baselines,
      extra,
    });
    const report = readReport(files.json);
    if (ctx.flags.json) {
      printJson(report);
      return { runs, walk, summary, baselines, report, reportDir: outDir, modelDir };
    }
    printAgentSummary(report, modelDir, files.html);
    return { runs, walk, summary, baselines, report, reportDir: outDir, modelDir };
  } catch (e) {
    folder.undo();
    throw e;
  }
}
