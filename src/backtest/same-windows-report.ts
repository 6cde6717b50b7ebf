/**
 * The agent report's "Baselines on the same test windows" section (issue 13: results are reported with their
 * baselines and seed spread beside them): walk-forward-summary.ts's numbers for a run of two or more fold × seed runs,
 * as a report section, as `extra.agent.sameWindows` and `extra.agent.targets`, and as the terminal's lines. With
 * `--ensemble` the ensemble, which is what the run trades and saves, gets its own row and its own targets.
 */
import {
  metricCells,
  summaryFormat,
  type EnsembleJudged,
  type MetricColumns,
  type SharpeBar,
  type WalkForwardSummary,
} from './walk-forward-summary.ts';
import type { ReportSection, ReportTable } from './report.ts';
import { spreadNote } from './spread-note.ts';
import { rulesText, scheduleText, type ScheduleRule } from '../agents/decision-rule.ts';

/** `extra.agent.sameWindows`: the agent's runs and each baseline on the folds' test windows, mean ± sd. */
export interface SameWindowsJson {
  windows: number;
  runs: number;
  randomSeeds: number;
  /** The decision rule's schedule the random column traded under (absent: it decided every candle, or randomRules). */
  randomRule?: ScheduleRule;
  /** When the runs traded by different rules (learnerChoice): where random ran under which (walk-forward-summary). */
  randomRules?: { run: string; rule: ScheduleRule }[];
  agent: MetricColumns;
  buyAndHold: MetricColumns;
  flat: MetricColumns;
  random: MetricColumns;
  smaCross: MetricColumns;
  /** With `--ensemble`: the ensemble's test windows, one run per window. */
  ensemble?: MetricColumns;
}

/** The targets for one set of runs, each with its bar and whether their mean meets it. */
interface Targets {
  /** The mean test Sharpe over the runs. */
  sharpeMean: number;
  sharpeNonNegative: boolean;
  /** Mean test Sharpe ≥ random's mean + 1 sd, by each of the three readings of "1 sd". */
  randomPlusSd: {
    /** sd over the random seeds of each seed's mean over the windows. */
    seedSpread: SharpeBar;
    /** sd over all seed × window runs. */
    pooled: SharpeBar;
    /** The report's random column over the headline span, sd over its seeds (absent without an sd). */
    reportColumn?: SharpeBar;
  };
  buyAndHold: { sharpe: number; maxDrawdown: number };
  /** The mean max drawdown is below buy-and-hold's mean over the same windows. */
  drawdownBelowBuyAndHold: boolean;
  sharpeAboveBuyAndHold: boolean;
}

/** `extra.agent.targets`: the seeds' runs, and with `--ensemble` the ensemble's under `ensemble`. */
export type AgentTargets = Targets & { ensemble?: Targets & { kind: string } };

const { pct, num, pm, met } = summaryFormat;

/**
 * The verdicts of the two targets against buy-and-hold, each with whether the difference of the means stands out of
 * their spread over the runs and windows (`agent`: the runs' columns, `hold`: buy-and-hold's on the same windows).
 */
function holdVerdicts(t: Targets, agent: MetricColumns, hold: MetricColumns): { drawdown: string; sharpe: string } {
  return {
    drawdown: met(t.drawdownBelowBuyAndHold) + spreadNote(agent.maxDrawdown, hold.maxDrawdown, pct),
    sharpe: met(t.sharpeAboveBuyAndHold) + spreadNote(agent.sharpe, hold.sharpe, num),
  };
}

/** The targets as report.json stores them, for the seeds' runs (`judged` = the summary) or the ensemble's. */
function targetsOf(s: WalkForwardSummary, judged: WalkForwardSummary | EnsembleJudged): Targets {
  const hold = s.baselines.buyAndHold;
  const { pooled, seedSpread, reportColumn } = judged.sharpe;
  return {
    sharpeMean: judged.sharpe.agentMean,
    sharpeNonNegative: judged.targets.sharpeNonNegative,
    randomPlusSd: { seedSpread, pooled, ...(reportColumn ? { reportColumn } : {}) },
    buyAndHold: { sharpe: hold.sharpe.mean, maxDrawdown: hold.maxDrawdown.mean },
    drawdownBelowBuyAndHold: judged.targets.drawdownBelowBuyAndHold,
    sharpeAboveBuyAndHold: judged.targets.sharpeAboveBuyAndHold,
  };
}

/** The targets table of one set of runs. */
function targetsTable(s: WalkForwardSummary, t: Targets, caption: string, agent: MetricColumns): ReportTable {
  const verdicts = holdVerdicts(t, agent, s.baselines.buyAndHold);
  const bars: [string, SharpeBar | undefined][] = [
    [
      `seed spread: sd over ${s.randomSeeds} seeds of each seed's mean over the ${s.windows} window(s)`,
      t.randomPlusSd.seedSpread,
    ],
    [`pooled: sd over all ${s.randomSeeds * s.windows} seed × window runs`, t.randomPlusSd.pooled],
    ["the report's random column: over the headline span, sd over its seeds", t.randomPlusSd.reportColumn],
  ];
  return {
    caption,
    columns: ['target', 'bar', 'agent', 'verdict'],
    rows: [
      ['mean test Sharpe ≥ 0', '0.00', num(t.sharpeMean), met(t.sharpeNonNegative)],
      ...bars.flatMap(([reading, bar]) =>
        bar
          ? [
              [
                `mean test Sharpe ≥ random's mean + 1 sd (${reading})`,
                `${num(bar.randomMean)} + ${num(bar.sd)} = ${num(bar.bar)}`,
                num(t.sharpeMean),
                met(bar.met),
              ],
            ]
          : [],
      ),
      [
        "mean max drawdown below buy-and-hold's",
        pct(t.buyAndHold.maxDrawdown),
        pct(agent.maxDrawdown.mean),
        verdicts.drawdown,
      ],
      ["mean test Sharpe above buy-and-hold's", num(t.buyAndHold.sharpe), num(t.sharpeMean), verdicts.sharpe],
    ],
  };
}

/** The terminal's targets line of one set of runs, after `label` ("targets" or "ensemble targets"). */
function targetsLine(t: Targets, label: string, agent: MetricColumns, hold: MetricColumns): string {
  const { seedSpread, pooled, reportColumn } = t.randomPlusSd;
  const verdicts = holdVerdicts(t, agent, hold);
  return (
    `  ${label}: Sharpe ≥ 0 ${met(t.sharpeNonNegative)}; ≥ random + 1 sd: seed spread ${num(seedSpread.bar)} ` +
    `${met(seedSpread.met)}, pooled ${num(pooled.bar)} ${met(pooled.met)}` +
    (reportColumn ? `, report column ${num(reportColumn.bar)} ${met(reportColumn.met)}` : '') +
    `; max DD below buy-and-hold ${verdicts.drawdown}; Sharpe above buy-and-hold ${verdicts.sharpe}`
  );
}

/** The section and the two JSON keys (sameWindowsLines prints the terminal lines from the keys). */
export function sameWindowsReport(s: WalkForwardSummary): {
  section: ReportSection;
  json: { sameWindows: SameWindowsJson; targets: AgentTargets };
} {
  const b = s.baselines;
  const agent = targetsOf(s, s);
  const e = s.ensemble;
  const ensemble = e ? { kind: e.kind, ...targetsOf(s, e) } : undefined;
  const random = `random (${s.randomSeeds} seeds)`;
  // the random baseline of an agent with a decision rule trades under its schedule (baselines.ts): say so beside it
  const randomRule = s.randomRule
    ? `, under the agent's decision rule (${scheduleText(s.randomRule)}; no margin)`
    : s.randomRules
      ? `, under the rule each run's agent traded by (${rulesText(s.randomRules)}; no margin)`
      : '';
  const row = (name: string, c: MetricColumns) => [name, ...metricCells(c)];
  const ensembleText = e
    ? ` The ${e.kind} ensemble row is the model this run trades and saves, one run per window from a fresh ` +
      `account; its targets are in the second table.`
    : '';
  const section: ReportSection = {
    title: 'Baselines on the same test windows',
    text:
      `Each fold's test window scored on its own from a fresh account, as the agent's runs are: the agent's row is ` +
      `mean ± sd over its ${s.runs} runs, buy-and-hold, flat and sma-cross over the ${s.windows} window(s)` +
      `${s.windows === 1 ? ' (one value each: no sd)' : ''}, random ` +
      `over ${s.randomSeeds} seeds × ${s.windows} window(s)${randomRule}. (The table at the top runs the baselines ` +
      `over the headline span instead.) The targets are issue 13's, on the agent's mean test Sharpe and max drawdown.` +
      ensembleText,
    tables: [
      {
        columns: ['strategy', 'test return', 'test Sharpe', 'max drawdown', 'trades', 'fees + tax'],
        rows: [
          row('agent', s.agent),
          ...(e ? [row(`${e.kind} ensemble`, e.agent)] : []),
          row('buy-and-hold', b.buyAndHold),
          row('flat', b.flat),
          row(random, b.random),
          row('sma-cross', b.smaCross),
        ],
      },
      targetsTable(s, agent, 'Targets (issue 13)', s.agent),
      ...(e && ensemble ? [targetsTable(s, ensemble, `Targets (issue 13) of the ${e.kind} ensemble`, e.agent)] : []),
    ],
  };
  const sameWindows: SameWindowsJson = {
    windows: s.windows,
    runs: s.runs,
    randomSeeds: s.randomSeeds,
    ...(s.randomRule ? { randomRule: s.randomRule } : {}),
    ...(s.randomRules ? { randomRules: s.randomRules } : {}),
    agent: s.agent,
    ...b,
    ...(e ? { ensemble: e.agent } : {}),
  };
  const json = { sameWindows, targets: { ...agent, ...(ensemble ? { ensemble } : {}) } };
  return { section, json };
}

/**
 * The terminal's same-windows and targets lines, from the two report.json keys: the backtest prints them from the
 * report it stored and `bot report` reprints them from the same file, so the two cannot differ.
 */
export function sameWindowsLines({ sameWindows: w, targets }: { sameWindows: SameWindowsJson; targets: AgentTargets }) {
  const e = targets.ensemble;
  const oneWindow = w.windows === 1 ? '; one window: buy-and-hold, sma-cross, flat one value' : '';
  return [
    `  same windows (Sharpe, mean ± sd${oneWindow}): ` +
      `buy-and-hold ${pm(w.buyAndHold.sharpe, num)} (max DD ` +
      `${pm(w.buyAndHold.maxDrawdown, pct)}), random (${w.randomSeeds} seeds) ${pm(w.random.sharpe, num)}, ` +
      `sma-cross ${pm(w.smaCross.sharpe, num)}, flat ${pm(w.flat.sharpe, num)}`,
    targetsLine(targets, 'targets', w.agent, w.buyAndHold),
    ...(e && w.ensemble ? [targetsLine(e, `${e.kind} ensemble targets`, w.ensemble, w.buyAndHold)] : []),
  ];
}
