// The lines an agent backtest prints under its table (walk-forward headline, mean ± sd over runs, selection, same
// windows and targets, ensemble, or the one-run caveat), computed from the stored report.json: the backtest prints
// them from the report it has just written and `bot report` reprints them from the same file, so they cannot drift.
import { METRIC_ROWS, type Metrics } from '../market/metrics.ts';
import type { StoredReport } from './report.ts';
import { sameWindowsLines, type AgentTargets, type SameWindowsJson } from './same-windows-report.ts';

/**
 * Why a chained fold can trade differently from its own run: the agent state (RLTrader's) holds the profit or loss
 * since the account started, which inside the chain includes what the earlier folds made.
 */
export const STATE_CARRIES =
  "A model's state includes the account's profit or loss since it started, which in the chain carries what the " +
  "earlier folds made, so a fold's trades there can differ from its own run from a fresh account (the runs' " +
  'figures), and the headline need not compound their returns.';

/** A metric as the report prints it; `–` for an sd that does not exist (one run has no spread), ∞ unbounded. */
export function fmtMetric(v: number | undefined, format: string): string {
  if (v === undefined) return '–';
  if (v === Infinity) return '∞';
  if (!Number.isFinite(v)) return String(v);
  if (format === 'pct') return `${(v * 100).toFixed(2)}%`;
  if (format === 'int') return v.toFixed(1);
  if (format === 'money') return Math.round(v).toLocaleString('en-US');
  return v.toFixed(3);
}

/** A number as report.json stores it: non-finite metrics as strings ("Infinity"), NaN as null. */
type StoredNumber = number | string | null | undefined;

const fromStored = (v: StoredNumber): number | undefined =>
  v === undefined ? undefined : v === null ? NaN : Number(v);

/** The parts of `extra.agent` (agent-report.ts) the summary reads; any may be missing from an older report. */
interface StoredAgent {
  folds?: unknown[];
  walkForward?: unknown;
  ensemble?: {
    kind: string;
    members: number;
    mean: Record<string, StoredNumber>;
    sd: Record<string, StoredNumber>;
    runs: unknown[];
  };
  mean?: Record<string, StoredNumber>;
  sd?: Record<string, StoredNumber>;
  sameWindows?: SameWindowsJson;
  targets?: AgentTargets;
  selection?: {
    rankCorrelation?: number | null;
    gate?: { runs: number; flat: number; buyAndHold: number; rankOver?: 'traded' };
  };
  runs?: { judgeScore?: number }[];
}

/** What the walk-forward headline chains, and why it need not compound the runs' own returns. */
export function chainLine(folds: number, ensembleKind: string | undefined, baseSeed: number): string {
  return (
    `\nheadline: the ${folds} test windows chained on one account, each traded by its fold's model ` +
    `(${ensembleKind ? `the ${ensembleKind} ensemble` : `seed ${baseSeed}`}). ${STATE_CARRIES}`
  );
}

/**
 * How well the validation score foretold the test score, with the gate's and judge's counts. With a gate the ρ is
 * over what each run traded (`traded`, agent-report.ts tradedValidationScore); a gated report stored before that
 * says it set the agent's score beside a fallen-back run's baseline test.
 */
export function selectionLine(
  runs: number,
  rho: number | null,
  gate: { flat: number; buyAndHold: number; traded?: boolean } | undefined,
  judgeScores: readonly number[],
): string {
  const judgeMean = judgeScores.reduce((a, b) => a + b, 0) / Math.max(1, judgeScores.length);
  const judged = judgeScores.length;
  const fell = gate ? gate.flat + gate.buyAndHold : 0;
  const scores = !gate
    ? `the chosen epoch's validation score and the same score on its test window`
    : gate.traded
      ? `the validation score of what each run traded (on the gate's windows: the agent's, or for the ${fell} that ` +
        `fell back the baseline's) and the same score of it on its test window`
      : `the agent's validation score and the test score of what the run traded (a baseline for the ${fell} that ` +
        `fell back: a report from before 2026-11-28)`;
  return (
    `validation → test over ${runs} run(s): ` +
    `Spearman ρ ${rho !== null && Number.isFinite(rho) ? rho.toFixed(2) : 'n/a (fewer than 3 runs or no spread)'} ` +
    `between ${scores}` +
    (gate
      ? `; validation gate: ${fell} of ${runs} run(s) fell back ` +
        `(flat ${gate.flat}, buy-and-hold ${gate.buyAndHold})`
      : '') +
    (judged
      ? `; judge window (left out of every choice): mean score ${judgeMean.toFixed(3)} over ${judged} run(s)`
      : '')
  );
}

/** The console line of `--ensemble`: its test metrics over the folds, mean ± sd. */
function ensembleLine(e: NonNullable<StoredAgent['ensemble']>): string {
  const m = (key: keyof Metrics, format: string) =>
    `${fmtMetric(fromStored(e.mean[key]), format)} ± ${fmtMetric(fromStored(e.sd[key]), format)}`;
  return (
    `${e.kind} ensemble of ${e.members} seed(s), ${e.runs.length} fold(s): return ${m('totalReturn', 'pct')}, ` +
    `Sharpe ${m('sharpe', '')}, trades ${fmtMetric(fromStored(e.mean.trades), 'int')}`
  );
}

/**
 * The caveat of a run of one seed on one test window, for the terminal and report.html alike: one seed on one window
 * beating buy-and-hold says little (issue 13's studies: test Sharpe sd ≈ 1-2 over runs). None for two or more runs.
 */
export function oneRunCaveat(runs: number): string[] {
  return runs > 1
    ? []
    : [
        'one run (one seed on one test window): no spread to judge it by. `--folds 4 --seeds 3` gives the mean ± sd ' +
          'over 12 runs, set against the baselines on the same windows',
      ];
}

/** The lines an agent run's report prints under its summary table (none for a report without `extra.agent`). */
export function agentSummaryLines(report: StoredReport): string[] {
  const agent = report.extra?.agent as StoredAgent | undefined;
  if (!agent) return [];
  const runs = agent.runs ?? [];
  const lines: string[] = [];
  if (agent.walkForward !== undefined)
    lines.push(chainLine(agent.folds?.length ?? 0, agent.ensemble?.kind, Number(report.settings.seed)));
  if (runs.length > 1) {
    lines.push(`\ntest over ${runs.length} runs (mean ± sd):`);
    for (const key of ['totalReturn', 'sharpe', 'maxDrawdown', 'trades', 'feesPaid'] as const) {
      const m = METRIC_ROWS.find((r) => r.key === key);
      if (m)
        lines.push(
          `  ${m.label}: ${fmtMetric(fromStored(agent.mean?.[key]), m.format)} ` +
            `± ${fmtMetric(fromStored(agent.sd?.[key]), m.format)}`,
        );
    }
    const judged = runs.flatMap((r) => (r.judgeScore === undefined ? [] : [r.judgeScore]));
    const rho = agent.selection?.rankCorrelation ?? null;
    const gate = agent.selection?.gate;
    const traded = gate?.rankOver === 'traded';
    lines.push(`  ${selectionLine(runs.length, rho, gate ? { ...gate, traded } : undefined, judged)}`);
    if (agent.sameWindows && agent.targets)
      lines.push(...sameWindowsLines({ sameWindows: agent.sameWindows, targets: agent.targets }));
  } else lines.push(...oneRunCaveat(runs.length).map((l) => `\n${l}`));
  if (agent.ensemble) lines.push(ensembleLine(agent.ensemble));
  return lines;
}
