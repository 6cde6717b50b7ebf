// The agent backtest's report (split from agent-backtest.ts, issue 11): the sections, tables and JSON that
// report.html and report.json show for an agent run, and the summary printed to the terminal after it.
import path from 'node:path';
import type { EnsembleKind } from '../agents/ensemble.ts';
import { scheduleOf, type ScheduleRule } from '../agents/decision-rule.ts';
import type { AgentRecipe } from '../agents/recipe.ts';
import { candidateNames, candidateRecipes } from '../agents/candidate-recipes.ts';
import { rankCorrelation, type PurgedSplit, type SelectionOptions } from '../agents/selection.ts';
import type { IndexRange } from '../agents/splits.ts';
import type { Fold } from '../agents/splits.ts';
import type { LearnerChoiceOutcome } from '../agents/train-fold.ts';
import { DSR_LEVEL, type GateVerdict } from '../agents/validation-gate.ts';
import { printText } from '../core/redact.ts';
import type { GateKind } from '../agents/selection.ts';
import { formatDiagnostics, type TrainOutcome } from '../agents/train.ts';
import type { BacktestResult } from '../market/backtest-engine.ts';
import { METRIC_ROWS, metricsToJson, type Metrics } from '../market/metrics.ts';
import type { NetPlan } from '../nn/plan.ts';
import { agentSummaryLines, fmtMetric, oneRunCaveat, selectionLine, STATE_CARRIES } from './agent-summary.ts';
import { ensembleReport, type EnsembleRun } from './ensemble-report.ts';
import { summaryTable, type ReportExtra, type ReportSection, type StoredReport } from './report.ts';
import { sameWindowsReport } from './same-windows-report.ts';
import { selectionUsed, usedText } from './selection-used.ts';
import type { WalkForwardSummary } from './walk-forward-summary.ts';

/** One seed trained on one fold and tested once on its test window. */
export interface SeedRun {
  fold: number;
  seed: number;
  training: TrainOutcome;
  test: BacktestResult;
  metrics: Metrics;
  /** The chosen epoch's validation score and the same score on the test window (src/agents/selection.ts). */
  validationScore: number;
  testScore: number;
  margin: number;
  /** With the recipe's learnerChoice (FinRL's ensemble strategy): the learner this window chose, and why. */
  choice?: LearnerChoiceOutcome;
  /** With the recipe's `selection.gate`: the validation gate's scores and the baseline traded instead, if any. */
  gate?: GateVerdict;
  /** With the recipe's `selection.judge`: the score of what the run traded on the window no choice saw. */
  judgeScore?: number;
  /** The engines the network ran on (src/nn/plan.ts). */
  engines: NetPlan;
  /** The schedule its agent traded by (with learnerChoice: the chosen learner's), which the random baseline follows. */
  rule: ScheduleRule;
}

/** Where each gate kind compares, for the report's Selection section. */
const GATE_TEXT: Record<GateKind, string> = {
  selectionWindows: 'on the selection windows',
  deflated:
    `on the selection windows, and only with a deflated Sharpe ratio ≥ ${DSR_LEVEL} ` +
    'over the epoch × margin trials',
  heldOutWindow: 'on the last window, left out of the epoch and margin choice',
};

/** Mean and sd over seeds (and folds) of every test metric. */
type MetricSummary = { mean: Metrics; sd: Partial<Record<keyof Metrics, number>> };

/** What the run driver (agent-backtest.ts) measured, for the report. */
interface AgentReportInput {
  strategyName: string;
  seriesLabel: string;
  recipe: AgentRecipe;
  epochs: number;
  folds: readonly Fold[];
  /** Per fold, in order: the training segments and validation windows training really used (purgedSplit). */
  splits: readonly PurgedSplit[];
  seeds: number;
  baseSeed: number;
  runs: readonly SeedRun[];
  /** With walk-forward folds: the chained test windows (the headline). */
  walk?: BacktestResult;
  headline: BacktestResult;
  headlineMetrics: Metrics;
  summary: MetricSummary;
  selection: SelectionOptions;
  ensembleKind?: EnsembleKind;
  ensembleRuns: readonly EnsembleRun[];
  modelDir: string;
  backendName: string;
  images: { file: string; caption: string }[];
  span: (r: IndexRange) => string;
  /** With two or more runs: the baselines on the same test windows and the targets (walk-forward-summary.ts). */
  sameWindows?: WalkForwardSummary;
}

/**
 * The validation score of what a run traded: with a gate, the score on the gate's windows of the agent, or of the
 * baseline it fell back to; without, the chosen epoch's. The rank correlation with the test score is taken over
 * these: it set the agent's validation score beside the test score of a baseline it had fallen back to (the
 * walk-selection audit, 2026-11-28), where walk-forward-summary's `traded` column already counts what was traded.
 */
function tradedValidationScore(r: Pick<SeedRun, 'validationScore' | 'gate'>): number {
  if (!r.gate) return r.validationScore;
  if (r.gate.fallback === 'flat') return r.gate.flatScore;
  if (r.gate.fallback === 'buyAndHold') return r.gate.buyAndHoldScore;
  return r.gate.agentScore;
}

/** The report's agent sections and JSON, with the lines the terminal summary repeats. */
export function agentReport(input: AgentReportInput): { extra: ReportExtra } {
  const { strategyName, seriesLabel, recipe, epochs, folds, seeds, baseSeed, runs, walk, headline } = input;
  const { headlineMetrics, summary, selection, ensembleKind, ensembleRuns, modelDir, backendName } = input;
  const { images, span, splits } = input;
  const spans = (rs: readonly IndexRange[]) => rs.map(span).join(', ');
  const gated = recipe.selection?.gate !== undefined;
  const fellBack = (f: string) => runs.filter((r) => r.gate?.fallback === f).length;
  const gateKind = recipe.selection?.gate;
  const gateJson = { kind: gateKind, runs: runs.length, flat: fellBack('flat'), buyAndHold: fellBack('buyAndHold') };
  const judgeScores = runs.flatMap((r) => (r.judgeScore === undefined ? [] : [r.judgeScore]));
  const rho = rankCorrelation(
    runs.map(tradedValidationScore),
    runs.map((r) => r.testScore),
  );
  const selectionText = selectionLine(runs.length, rho, gated ? { ...gateJson, traded: true } : undefined, judgeScores);
  const sections: ReportSection[] = [];
  // one seed on one window: the terminal's caveat, at the top of the page too
  for (const text of oneRunCaveat(runs.length)) sections.push({ title: 'One run', text });
  const metricRows = METRIC_ROWS.filter((m) => typeof summary.mean[m.key] === 'number');
  sections.push({
    title: `Test metrics over ${runs.length} run(s) (${folds.length} fold(s) × ${seeds} seed(s)): mean ± sd`,
    tables: [
      {
        columns: [
          'metric',
          'mean',
          'sd',
          ...runs.map((r) => `${folds.length > 1 ? `f${r.fold + 1} ` : ''}seed ${r.seed}`),
        ],
        rows: metricRows.map((m) => [
          m.label,
          fmtMetric(summary.mean[m.key] as number, m.format),
          fmtMetric(summary.sd[m.key], m.format),
          ...runs.map((r) => fmtMetric(r.metrics[m.key] as number, m.format)),
        ]),
      },
    ],
  });
  const ensemble = ensembleKind
    ? ensembleReport(ensembleKind, seeds, ensembleRuns, modelDir, metricRows, fmtMetric)
    : undefined;
  if (ensemble) sections.push(ensemble.section);
  const same = input.sameWindows ? sameWindowsReport(input.sameWindows) : undefined;
  if (same) sections.push(same.section);
  if (walk) {
    sections.push({
      title: 'Walk-forward',
      text:
        `The headline result and curve chain the ${folds.length} test windows (${span(headline.range)}) on one ` +
        `account: each fold's model ` +
        `(${ensembleKind ? `the ${ensembleKind} ensemble of its ${seeds} seeds` : `seed ${baseSeed}`}) trades its ` +
        `own test window, continuing with the cash and units the previous fold's model ended with, so every ` +
        `decision is made by a model trained and selected only on candles before its window. The baselines run over ` +
        `the same span. The table above scores each fold's test window on its own, each from a fresh account. ` +
        `${STATE_CARRIES} ` +
        (folds.every((f) => f.train.from === folds[0].train.from)
          ? 'Training windows are anchored: every fold trains from the first usable candle.'
          : 'Training windows roll: each fold trains on as many candles, ending where its validation starts.'),
    });
  }
  const tried = marginsTried(recipe);
  const kappa = selection.turnoverCost;
  const scoreText = kappa > 0 ? `Sharpe after costs less ${kappa} × the costs again` : 'validation Sharpe after costs';
  const used = selectionUsed(recipe, selection, splits);
  sections.push({
    title: 'Selection',
    text:
      `${selectionText}. Score: ${scoreText}, ${usedText(selection, used)}; ` +
      `switching margins tried: ${tried.text}.` +
      (gated
        ? ` Validation gate (${GATE_TEXT[gateKind ?? 'selectionWindows']}): a run whose score there does not beat ` +
          `flat's and buy-and-hold's trades the better of them instead (column "trades"; the "gate:" columns are the ` +
          `three scores it compared, "validation score" is the agent's on the windows its epoch was chosen on).`
        : ''),
    tables: [
      {
        columns: [
          'fold',
          'seed',
          'best epoch',
          'margin',
          'validation score',
          'test score',
          'test Sharpe',
          'test trades',
          ...(recipe.learnerChoice ? ['learner chosen', 'validation Sharpes'] : []),
          ...(gated ? ['gate: agent score', 'gate: flat score', 'gate: buy-and-hold score', 'trades'] : []),
        ],
        rows: runs.map((r) => [
          r.fold + 1,
          r.seed,
          r.training.bestEpoch,
          r.margin,
          r.validationScore.toFixed(3),
          r.testScore.toFixed(3),
          r.metrics.sharpe.toFixed(3),
          r.metrics.trades,
          ...(r.choice
            ? [
                r.choice.chosen,
                Object.entries(r.choice.validationSharpes)
                  .map(([k, v]) => `${k} ${v.toFixed(3)}`)
                  .join(', '),
              ]
            : []),
          ...(r.gate
            ? [
                r.gate.agentScore.toFixed(3),
                r.gate.flatScore.toFixed(3),
                r.gate.buyAndHoldScore.toFixed(3),
                r.gate.fallback ?? 'agent',
              ]
            : []),
        ]),
      },
    ],
  });
  sections.push({
    title: 'Splits',
    text:
      "The training segments and validation windows training used: the fold's train + validation span less the " +
      'purged and embargoed candles around each validation window (see Selection).',
    tables: [
      {
        columns: ['fold', 'training segments', 'validation windows', 'test'],
        rows: folds.map((f, i) => [f.index + 1, spans(splits[i].train), spans(splits[i].validation), span(f.test)]),
      },
    ],
  });
  sections.push({
    title: 'Learning',
    text:
      `Each run trains on its training segments (see Splits), keeps the epoch (and switching margin) with the best ` +
      `validation ` +
      `score (see Selection) and is evaluated once on its test window without exploration. The model ` +
      `of seed ${baseSeed}${folds.length > 1 ? ' on the last fold' : ''} is saved to ${modelDir}.`,
    images,
    tables: runs.map((r) => ({
      caption: `epochs, fold ${r.fold + 1} seed ${r.seed}`,
      columns: [
        ...['epoch', 'ε', 'explorations', 'buy', 'sell', 'hold', 'train PV'],
        ...['loss', 'diagnostics', 'val Sharpe', 'val score', 'margin', 'seconds'],
      ],
      rows: r.training.epochs.map((e) => [
        e.epoch,
        e.epsilon.toFixed(3),
        e.stats.explorations,
        e.stats.buys,
        e.stats.sells,
        e.stats.holds,
        Math.round(e.stats.portfolioValue),
        e.stats.loss.toFixed(5),
        formatDiagnostics(e.stats.diagnostics).trim(),
        e.validation ? e.validation.sharpe.toFixed(3) : '',
        e.validation?.score !== undefined ? e.validation.score.toFixed(3) : '',
        e.validation?.margin ?? '',
        e.seconds.toFixed(2),
      ]),
    })),
  });
  const extra: ReportExtra = {
    title: `${strategyName} (agent) on ${seriesLabel}`,
    sections,
    json: {
      agent: {
        recipe,
        epochs,
        // train and validation are the fold's spans; training used trainingSegments and validationWindows
        folds: folds.map((f, i) => ({
          train: f.train,
          validation: f.validation,
          test: f.test,
          trainingSegments: splits[i].train,
          validationWindows: splits[i].validation,
        })),
        seeds: runs.map((r) => r.seed),
        model: modelDir,
        backend: backendName,
        ...(walk ? { walkForward: { range: headline.range, metrics: metricsToJson(headlineMetrics) } } : {}),
        ...(ensemble ? { ensemble: ensemble.json } : {}),
        // non-finite metrics (a profit factor without losing sells) as strings, as report.json's own metrics
        mean: metricsToJson(summary.mean),
        sd: summary.sd,
        ...(same ? same.json : {}),
        selection: {
          // the recipe's (embargo raised to the lookback); `used`: what each fold's split really had
          ...selection,
          used,
          margins: tried.json,
          rankCorrelation: Number.isFinite(rho) ? rho : null,
          // over what each run traded (tradedValidationScore): absent from gated reports before 2026-11-28
          ...(gated ? { gate: { ...gateJson, rankOver: 'traded' } } : {}),
        },
        runs: runs.map((r) => ({
          fold: r.fold,
          seed: r.seed,
          bestEpoch: r.training.bestEpoch,
          bestValidationSharpe: r.training.bestSharpe,
          validationScore: r.validationScore,
          testScore: r.testScore,
          margin: r.margin,
          rule: scheduleOf(r.rule),
          ...(r.choice ? { learner: r.choice.chosen, learnerValidationSharpes: r.choice.validationSharpes } : {}),
          ...(r.gate ? { gate: r.gate } : {}),
          ...(r.judgeScore === undefined ? {} : { judgeScore: r.judgeScore }),
          stoppedEarly: r.training.stoppedEarly,
          seconds: r.training.seconds,
          metrics: metricsToJson(r.metrics),
          engines: r.engines,
          // per epoch: the loss and the training diagnostics stable-baselines3 reports (src/agents/train.ts)
          epochs: r.training.epochs.map((e) => ({ epoch: e.epoch, loss: e.stats.loss, ...e.stats.diagnostics })),
        })),
      },
    },
  };
  return { extra };
}

/**
 * The terminal summary after an agent backtest: the report's table and the lines under it (agent-summary.ts, from the
 * stored report, as `bot report` prints them), then the model and report paths.
 */
export function printAgentSummary(report: StoredReport, modelDir: string, htmlFile: string): void {
  printText(summaryTable(report));
  for (const line of agentSummaryLines(report)) printText(line);
  printText(`\nmodel: ${path.resolve(modelDir)}\nreport: ${path.resolve(htmlFile)}`);
}

/**
 * The switching margins the selection tried: the recipe's, or with learnerChoice each candidate's by its name (the
 * report said the top-level recipe's, `0`, while the candidates tried their own: audit, session 38).
 */
function marginsTried(recipe: AgentRecipe): { text: string; json: number[] | Record<string, number[]> } {
  const of = (r: AgentRecipe) => r.decision?.margins ?? [0];
  if (!recipe.learnerChoice) return { text: of(recipe).join(', '), json: of(recipe) };
  const candidates = candidateRecipes(recipe);
  const names = candidateNames(candidates);
  return {
    text: candidates.map((r, i) => `${names[i]} ${of(r).join(', ')}`).join('; '),
    json: Object.fromEntries(candidates.map((r, i) => [names[i], of(r)])),
  };
}
