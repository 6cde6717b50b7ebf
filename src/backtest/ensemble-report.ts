/** How `bot backtest --ensemble` reports the ensembles of seeds (issue 13): report section, report.json, console. */
import type { DecisionRule } from '../agents/decision-rule.ts';
import type { EnsembleKind } from '../agents/ensemble.ts';
import type { BacktestResult } from '../market/backtest-engine.ts';
import { metricsToJson, type METRIC_ROWS, type Metrics } from '../market/metrics.ts';
import { meanAndSd } from './baselines.ts';
import type { ReportSection } from './report.ts';

/** One fold's test window traded by the ensemble of its seeds. */
export interface EnsembleRun {
  fold: number;
  test: BacktestResult;
  metrics: Metrics;
  rule: DecisionRule;
  /** How many members the validation gate made fall back to a baseline (they vote it, or sit out the mean). */
  membersFellBack: number;
}

/** The ensemble's report section (per-fold test metrics, mean ± sd) and report.json entry (agent-summary: its line). */
export function ensembleReport(
  kind: EnsembleKind,
  seeds: number,
  runs: readonly EnsembleRun[],
  modelDir: string,
  metricRows: typeof METRIC_ROWS,
  fmtMetric: (v: number | undefined, format: string) => string,
): { section: ReportSection; json: Record<string, unknown> } {
  const { mean, sd } = meanAndSd(runs.map((r) => r.metrics));
  const how =
    kind === 'vote'
      ? 'a trade needs a strict majority of the members, each voting under its own margin'
      : 'the mean of their outputs decides, with their mean margin';
  const section: ReportSection = {
    title: `Ensemble: ${kind} of ${seeds} seed(s) per fold`,
    text:
      `Each fold's ${seeds} trained seeds trade as one model (${how}); ` +
      `the headline and the saved model (${modelDir}) are the ensemble. The table above scores each seed alone.` +
      fellBackText(kind, runs),
    tables: [
      {
        columns: ['metric', 'mean', 'sd', ...runs.map((r) => `fold ${r.fold + 1}`)],
        rows: metricRows.map((m) => [
          m.label,
          fmtMetric(mean[m.key] as number, m.format),
          fmtMetric(sd[m.key], m.format),
          ...runs.map((r) => fmtMetric(r.metrics[m.key] as number, m.format)),
        ]),
      },
    ],
  };
  const json = {
    kind,
    members: seeds,
    mean: metricsToJson(mean),
    sd,
    runs: runs.map((r) => ({
      fold: r.fold,
      rule: r.rule,
      membersFellBack: r.membersFellBack,
      metrics: metricsToJson(r.metrics),
    })),
  };
  return { section, json };
}

/** Which folds' members fell back at the validation gate, and what that means for the ensemble ('' when none did). */
function fellBackText(kind: EnsembleKind, runs: readonly EnsembleRun[]): string {
  const folds = runs.filter((r) => r.membersFellBack > 0);
  if (!folds.length) return '';
  const role = kind === 'vote' ? 'vote their baseline' : 'sit out the mean';
  const list = folds
    .map((r) => `fold ${r.fold + 1}: ${r.membersFellBack}${r.rule.fallback ? ` (all: trades ${r.rule.fallback})` : ''}`)
    .join(', ');
  return ` Members the validation gate made fall back (they ${role}): ${list}.`;
}
