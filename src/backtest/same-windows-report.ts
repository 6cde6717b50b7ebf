/**
 * The agent report's "Baselines on the same test windows" section (issue 13: results are reported with their
 * baselines and seed spread beside them): walk-forward-summary.ts's numbers for a run of two or more fold × seed runs,
 * as a report section, as `extra.agent.sameWindows` and `extra.agent.targets`, and as the terminal's two lines.
 */
import {
  metricCells,
  summaryFormat,
  type MetricColumns,
  type SharpeBar,
  type WalkForwardSummary,
} from './walk-forward-summary.ts';
import type { ReportSection } from './report.ts';

/** `extra.agent.sameWindows`: the agent's runs and each baseline on the folds' test windows, mean ± sd. */
interface SameWindowsJson {
  windows: number;
  runs: number;
  randomSeeds: number;
  agent: MetricColumns;
  buyAndHold: MetricColumns;
  flat: MetricColumns;
  random: MetricColumns;
  smaCross: MetricColumns;
}

/** `extra.agent.targets`: the targets, each with its bar and whether the agent's mean meets it. */
interface AgentTargets {
  /** The agent's mean test Sharpe over its runs. */
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
  /** The agent's mean max drawdown is below buy-and-hold's mean over the same windows. */
  drawdownBelowBuyAndHold: boolean;
  sharpeAboveBuyAndHold: boolean;
}

const { pct, num, pm, met } = summaryFormat;

/** The targets as report.json stores them. */
function agentTargets(s: WalkForwardSummary): AgentTargets {
  const hold = s.baselines.buyAndHold;
  const { pooled, seedSpread, reportColumn } = s.sharpe;
  return {
    sharpeMean: s.sharpe.agentMean,
    sharpeNonNegative: s.targets.sharpeNonNegative,
    randomPlusSd: { seedSpread, pooled, ...(reportColumn ? { reportColumn } : {}) },
    buyAndHold: { sharpe: hold.sharpe.mean, maxDrawdown: hold.maxDrawdown.mean },
    drawdownBelowBuyAndHold: s.targets.drawdownBelowBuyAndHold,
    sharpeAboveBuyAndHold: s.targets.sharpeAboveBuyAndHold,
  };
}

/** The section, the two JSON keys and the terminal lines (each starting with two spaces). */
export function sameWindowsReport(s: WalkForwardSummary): {
  section: ReportSection;
  json: { sameWindows: SameWindowsJson; targets: AgentTargets };
  lines: string[];
} {
  const b = s.baselines;
  const t = agentTargets(s);
  const random = `random (${s.randomSeeds} seeds)`;
  const row = (name: string, c: MetricColumns) => [name, ...metricCells(c)];
  const bars: [string, SharpeBar | undefined][] = [
    [
      `seed spread: sd over ${s.randomSeeds} seeds of each seed's mean over the ${s.windows} window(s)`,
      t.randomPlusSd.seedSpread,
    ],
    [`pooled: sd over all ${s.randomSeeds * s.windows} seed × window runs`, t.randomPlusSd.pooled],
    ["the report's random column: over the headline span, sd over its seeds", t.randomPlusSd.reportColumn],
  ];
  const section: ReportSection = {
    title: 'Baselines on the same test windows',
    text:
      `Each fold's test window scored on its own from a fresh account, as the agent's runs are: the agent's row is ` +
      `mean ± sd over its ${s.runs} runs, buy-and-hold, flat and sma-cross over the ${s.windows} window(s), random ` +
      `over ${s.randomSeeds} seeds × ${s.windows} window(s). (The table at the top runs the baselines over the ` +
      `headline span instead.) The targets are issue 13's, on the agent's mean test Sharpe and max drawdown.`,
    tables: [
      {
        columns: ['strategy', 'test return', 'test Sharpe', 'max drawdown', 'trades', 'fees + tax'],
        rows: [
          row('agent', s.agent),
          row('buy-and-hold', b.buyAndHold),
          row('flat', b.flat),
          row(random, b.random),
          row('sma-cross', b.smaCross),
        ],
      },
      {
        caption: 'Targets (issue 13)',
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
            pct(s.agent.maxDrawdown.mean),
            met(t.drawdownBelowBuyAndHold),
          ],
          [
            "mean test Sharpe above buy-and-hold's",
            num(t.buyAndHold.sharpe),
            num(t.sharpeMean),
            met(t.sharpeAboveBuyAndHold),
          ],
        ],
      },
    ],
  };
  const { seedSpread, pooled, reportColumn } = t.randomPlusSd;
  const lines = [
    `  same windows (Sharpe, mean ± sd): buy-and-hold ${pm(b.buyAndHold.sharpe, num)} (max DD ` +
      `${pm(b.buyAndHold.maxDrawdown, pct)}), ${random} ${pm(b.random.sharpe, num)}, ` +
      `sma-cross ${pm(b.smaCross.sharpe, num)}, flat ${pm(b.flat.sharpe, num)}`,
    `  targets: Sharpe ≥ 0 ${met(t.sharpeNonNegative)}; ≥ random + 1 sd: seed spread ${num(seedSpread.bar)} ` +
      `${met(seedSpread.met)}, pooled ${num(pooled.bar)} ${met(pooled.met)}` +
      (reportColumn ? `, report column ${num(reportColumn.bar)} ${met(reportColumn.met)}` : '') +
      `; max DD below buy-and-hold ${met(t.drawdownBelowBuyAndHold)}; ` +
      `Sharpe above buy-and-hold ${met(t.sharpeAboveBuyAndHold)}`,
  ];
  const sameWindows: SameWindowsJson = {
    windows: s.windows,
    runs: s.runs,
    randomSeeds: s.randomSeeds,
    agent: s.agent,
    ...b,
  };
  return { section, json: { sameWindows, targets: t }, lines };
}
