/**
 * The per-series walk-forward summary of issue 13 ("Defaults chosen by evidence") from one
 * `bot backtest --strategy S --folds K --seeds N --json` report and its candles: the agent's runs (mean ± sd of the
 * validation score and the test columns), the baselines on the same test windows (buy-and-hold, flat, SMA cross and
 * random over the report's own `backtest.randomSeeds` seeds), the three readings of the "mean test Sharpe ≥ random's
 * mean + 1 sd" target, the other targets and the chained headline; and the README's rule for replacing a recipe by
 * a candidate. Pure: the caller reads the files (scripts/walk-forward-table.ts, scripts/walk-forward-study.ts).
 */
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { Costs } from '../market/costs.ts';
import type { SizingOptions } from '../market/execution.ts';
import type { Metrics } from '../market/metrics.ts';
import { randomBaseline, randomPlaces, runBaselines } from './baselines.ts';
import { isPlainSchedule, PLAIN_SCHEDULE, scheduleText, type ScheduleRule } from '../agents/decision-rule.ts';
import { mean, sampleVariance } from '../core/numbers.ts';

/** One fold × seed run as report.json stores it (`extra.agent.runs[]`), the fields read here. */
interface ReportRun {
  fold: number;
  seed: number;
  validationScore: number;
  metrics: Metrics;
  gate?: { agentScore: number; flatScore: number; buyAndHoldScore: number; fallback?: string };
  /** The schedule its agent traded by (with learnerChoice: the chosen learner's); absent from older reports. */
  rule?: ScheduleRule;
}

/** The fields of an agent walk-forward report.json that the summary reads. */
export interface WalkForwardReport {
  /** folds and seeds: what the run was asked for (a study checks a report it reuses against them). */
  settings: {
    costs: Costs;
    balance: number;
    /** The run's base seed (the random baseline's seeds derive from it); 1 when absent. */
    seed?: number;
    /** The sizing the run traded with; an older agent report names only its kind; all-in when absent. */
    sizing?: string | SizingOptions;
    folds?: number;
    seeds?: number;
  };
  /** The report's own baselines over the headline span (with folds: the chained test windows); random: mean and sd. */
  baselines?: {
    /** `rule`: the decision rule's schedule it traded under (baselines.ts); absent without one or in older reports. */
    random?: { metrics: Metrics; sd?: Partial<Record<keyof Metrics, number>>; seeds?: number; rule?: ScheduleRule };
  };
  extra: {
    agent: {
      folds: { test: { from: number; to: number } }[];
      runs: ReportRun[];
      walkForward?: { metrics: Metrics };
      selection: { gate?: { flat: number; buyAndHold: number } };
      /** With `--ensemble`: each fold's test window traded by its seeds as one model. */
      ensemble?: { kind: string; runs: { fold: number; metrics: Metrics }[] };
    };
  };
}

export interface MeanSd {
  mean: number;
  /** Sample standard deviation (n − 1); absent for one value (one window says nothing about the spread). */
  sd?: number;
}

/** The test columns of the README's table, mean ± sd over runs (or windows × seeds for the baselines). */
export interface MetricColumns {
  totalReturn: MeanSd;
  sharpe: MeanSd;
  maxDrawdown: MeanSd;
  trades: MeanSd;
  /** Fees and tax paid (the engine's feesPaid). */
  feesPaid: MeanSd;
}

/** One reading of the Sharpe target: the bar (random's mean + one sd) and whether the agent's mean meets it. */
export interface SharpeBar {
  randomMean: number;
  sd: number;
  bar: number;
  met: boolean;
}

/** The issue's Sharpe readings and targets for one set of test runs against the baselines on the same windows. */
interface Judged {
  sharpe: {
    agentMean: number;
    /** Random's mean + the sd over all seed × window runs. */
    pooled: SharpeBar;
    /** Random's mean + the sd over seeds of each seed's mean over the windows. */
    seedSpread: SharpeBar;
    /** The report's own random column over the chained span, mean + sd over its seeds (absent without an sd). */
    reportColumn?: SharpeBar;
  };
  targets: {
    sharpeNonNegative: boolean;
    /** The mean max drawdown is below buy-and-hold's mean over the same windows. */
    drawdownBelowBuyAndHold: boolean;
    sharpeAboveBuyAndHold: boolean;
  };
}

/**
 * With `--ensemble`: the model the run trades and saves is the ensemble, one test run per window, so its columns and
 * targets are judged too, against the same baselines (the seeds alone stay the `agent` row).
 */
export interface EnsembleJudged extends Judged {
  kind: string;
  agent: MetricColumns;
}

export interface WalkForwardSummary extends Judged {
  runs: number;
  windows: number;
  seeds: number[];
  validation: {
    /** `runs[].validationScore`: what the replacement rule compares. */
    score: MeanSd;
    /** The score of what each run trades: the agent's, or that of the baseline the validation gate fell back to. */
    traded: MeanSd;
    /** The agent's own score, gate or no gate. */
    ungated: MeanSd;
  };
  gate: { flat: number; buyAndHold: number } | null;
  /** Per run: `f<fold>s<seed>` and what it traded (agent, flat or buyAndHold). */
  traded: { run: string; traded: string }[];
  /** Per seed: fees and trades summed over its windows (each window from a fresh account). */
  perSeed: { seed: number; windows: number; fees: number; trades: number }[];
  /** The base seed's test windows chained on one account (the report's headline), when there are folds. */
  chained?: Pick<Metrics, 'totalReturn' | 'sharpe' | 'trades' | 'feesPaid' | 'maxDrawdown'>;
  agent: MetricColumns;
  /** The sd over seeds of each seed's mean test Sharpe over the windows. */
  agentSeedSharpeSd: number;
  baselines: { buyAndHold: MetricColumns; flat: MetricColumns; random: MetricColumns; smaCross: MetricColumns };
  randomSeeds: number;
  /** The decision rule's schedule the random baseline traded under (absent: every candle, or `randomRules`). */
  randomRule?: ScheduleRule;
  /**
   * When the runs traded by different rules (learnerChoice: each run's chosen learner's): where random ran under
   * which, `f<fold>` (one per window) or `f<fold>s<seed>` (one per run, when a window's seeds chose differently).
   */
  randomRules?: { run: string; rule: ScheduleRule }[];
  ensemble?: EnsembleJudged;
}

/** The random baseline's seeds of a report that does not store their number: the default `backtest.randomSeeds`. */
const OLD_REPORT_RANDOM_SEEDS = 10;

function sd(xs: readonly number[]): number {
  return xs.length > 1 ? Math.sqrt(sampleVariance(xs)) : 0;
}

function meanSd(xs: readonly number[]): MeanSd {
  return xs.length > 1 ? { mean: mean(xs), sd: sd(xs) } : { mean: mean(xs) };
}

function columns(ms: readonly Metrics[]): MetricColumns {
  return {
    totalReturn: meanSd(ms.map((m) => m.totalReturn)),
    sharpe: meanSd(ms.map((m) => m.sharpe)),
    maxDrawdown: meanSd(ms.map((m) => m.maxDrawdown)),
    trades: meanSd(ms.map((m) => m.trades)),
    feesPaid: meanSd(ms.map((m) => m.feesPaid)),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** How the summary's numbers are printed (the README's tables, the report section, the scripts): one place. */
export const summaryFormat = {
  pct: (v: number): string => `${(v * 100).toFixed(1)}%`,
  num: (v: number): string => v.toFixed(2),
  int: (v: number): string => v.toFixed(1),
  money: (v: number): string => Math.round(v).toLocaleString('en-US'),
  /** `mean ± sd`, or the mean alone when there is no sd (one value). */
  pm: (v: MeanSd, f: (v: number) => string): string => (v.sd === undefined ? f(v.mean) : `${f(v.mean)} ± ${f(v.sd)}`),
  met: (ok: boolean): string => (ok ? 'met' : 'not met'),
};

/** The test columns of a row, mean ± sd: return, Sharpe, max drawdown, trades, fees + tax. */
export function metricCells(c: MetricColumns): string[] {
  const { pm, pct, num, int, money } = summaryFormat;
  return [pm(c.totalReturn, pct), pm(c.sharpe, num), pm(c.maxDrawdown, pct), pm(c.trades, int), pm(c.feesPaid, money)];
}

/**
 * Reads `bot backtest --json` output (text before the first `{`, such as log lines, is skipped) as an agent
 * walk-forward report; a rule strategy's report or other JSON is a one-line error naming `label`.
 */
export function parseWalkForwardReport(text: string, label: string): WalkForwardReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(Math.max(0, text.indexOf('{'))));
  } catch {
    throw new UserError(`${label}: not a JSON report`);
  }
  const agent = isObject(parsed) && isObject(parsed.extra) ? parsed.extra.agent : undefined;
  if (!isObject(agent) || !Array.isArray(agent.runs) || !Array.isArray(agent.folds) || agent.runs.length === 0)
    throw new UserError(`${label}: not an agent walk-forward report (no extra.agent.runs)`);
  return parsed as unknown as WalkForwardReport;
}

/**
 * What a summary is computed from, as a walk-forward run holds it when it finishes (src/backtest/agent-backtest.ts)
 * or its report.json stores it (summarizeWalkForward): one code path for both, so the report's own "same test
 * windows" section and the scripts' tables cannot disagree.
 */
interface WalkForwardRuns {
  costs: Costs;
  balance: number;
  /** The sizing the agent traded with: the random and sma-cross baselines trade with it too (baselines.ts). */
  sizing: SizingOptions;
  /** The run's base seed, from which the random baseline's seeds derive. */
  seed: number;
  /**
   * How many random seeds per window (seed × 7919 + s, s = 0 … n − 1, baselines.ts): the run's `backtest.randomSeeds`,
   * the number its own random column used, so the two random rows of one report are over the same seeds.
   */
  randomSeeds: number;
  /**
   * The agent's decision rule's schedule, which the random baseline follows (baselines.ts), for runs that do not
   * name their own (`runs[].rule`, older reports); absent: none.
   */
  rule?: ScheduleRule;
  /** Each fold's test window, candle indices into the candles given with it. */
  windows: readonly { from: number; to: number }[];
  runs: readonly ReportRun[];
  /** The base seed's test windows chained on one account (the headline), when there are folds. */
  chained?: Metrics;
  /** The report's random column over the headline span: mean and sd over its seeds. */
  reportRandom?: { metrics: Metrics; sd?: Partial<Record<keyof Metrics, number>> };
  /** The validation gate's fallback counts (`extra.agent.selection.gate`), passed through as given. */
  gate?: { flat: number; buyAndHold: number };
  /** With `--ensemble`: its kind and each window's test metrics, in the order of `windows`. */
  ensemble?: { kind: string; metrics: readonly Metrics[] };
}

/** The engine sizing a report traded with: an older agent report stored the recipe's kind alone. */
export function reportSizing(sizing: string | SizingOptions | undefined): SizingOptions {
  if (sizing === undefined || sizing === 'all') return { kind: 'all' };
  if (sizing === 'target') return { kind: 'target' };
  if (typeof sizing === 'object') return sizing;
  throw new UserError(`the report's sizing "${sizing}" has no trade value bounds (an older report): run it again`);
}

/**
 * Whether `a` is above `b` by more than rounding: an ensemble that traded as buy-and-hold met "max DD below
 * buy-and-hold" on 0.2685158521501284 against 0.26851585215015733, the same drawdown summed in another order (audit,
 * session 38). Equal to within 1e-9 of the larger magnitude is not above.
 */
function clearlyAbove(a: number, b: number): boolean {
  return a - b > 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/** The summary of one report over `candles`: the series the report ran on, cut to its --from/--to as the run did. */
export function summarizeWalkForward(report: WalkForwardReport, candles: Candles): WalkForwardSummary {
  const agent = report.extra.agent;
  return summarizeRuns(
    {
      costs: report.settings.costs,
      balance: report.settings.balance,
      sizing: reportSizing(report.settings.sizing),
      seed: report.settings.seed ?? 1,
      randomSeeds: report.baselines?.random?.seeds ?? OLD_REPORT_RANDOM_SEEDS,
      ...(report.baselines?.random?.rule ? { rule: report.baselines.random.rule } : {}),
      windows: agent.folds.map((f) => f.test),
      runs: agent.runs,
      chained: agent.walkForward?.metrics,
      reportRandom: report.baselines?.random,
      gate: agent.selection.gate,
      ...(agent.ensemble
        ? { ensemble: { kind: agent.ensemble.kind, metrics: agent.ensemble.runs.map((r) => r.metrics) } }
        : {}),
    },
    candles,
  );
}

/** The summary of a walk-forward's runs over `candles`, the candles their test windows index. */
export function summarizeRuns(input: WalkForwardRuns, candles: Candles): WalkForwardSummary {
  const runs = input.runs;
  const traded = runs.map((r) =>
    r.gate?.fallback === 'flat'
      ? r.gate.flatScore
      : r.gate?.fallback === 'buyAndHold'
        ? r.gate.buyAndHoldScore
        : r.validationScore,
  );
  const ungated = runs.map((r) => r.gate?.agentScore ?? r.validationScore);
  const windows = input.windows;
  const last = windows.reduce((a, w) => Math.max(a, w.to), 0);
  if (last > candles.ts.length)
    throw new UserError(
      `the report's test windows end at candle ${last}, past the ${candles.ts.length} given: not its series or range`,
    );
  // the report's baselines, window by window: the same sizing and random seeds as its own columns; random under the
  // rule each window's runs traded by (baselines.ts randomPlaces: per run when a window's seeds chose differently)
  const windowRuns = windows.map((_, w) => runs.filter((r) => r.fold === w));
  const ruleOf = (r?: ReportRun) => r?.rule ?? input.rule ?? PLAIN_SCHEDULE;
  const places = randomPlaces(windowRuns.map((rs) => (rs.length ? rs.map(ruleOf) : [ruleOf()])));
  const options = (range: { from: number; to: number }, rule: ScheduleRule) => ({
    candles,
    range,
    costs: input.costs,
    balance: input.balance,
    sizing: input.sizing,
    rule,
    randomSeeds: input.randomSeeds,
    seed: input.seed,
  });
  const each = windows.map((range, w) => runBaselines(options(range, places.find((p) => p.window === w)!.rule)));
  const randoms = places.map((p) =>
    p.run === undefined ? each[p.window].random : randomBaseline(options(windows[p.window], p.rule)),
  );
  const hold = each.map((b) => b.buy_and_hold.metrics);
  const flat = each.map((b) => b.flat.metrics);
  const sma = each.map((b) => b.sma_cross.metrics);
  const placeRules = places.map((p) => p.rule);
  const oneRule = new Set(placeRules.map(scheduleText)).size === 1 ? placeRules[0] : undefined;
  const randomRule = oneRule && !isPlainSchedule(oneRule) ? oneRule : undefined;
  const randomRules = oneRule
    ? undefined
    : places.map((p) => ({
        run: `f${p.window + 1}${p.run === undefined ? '' : `s${windowRuns[p.window][p.run]?.seed}`}`,
        rule: p.rule,
      }));
  const randomBySeed = Array.from({ length: input.randomSeeds }, (_, s) => randoms.map((b) => b.runs![s]));
  const random = randomBySeed.flat();

  const seeds = [...new Set(runs.map((r) => r.seed))];
  const randomSharpes = random.map((m) => m.sharpe);
  const randomSeedMeans = randomBySeed.map((ms) => mean(ms.map((m) => m.sharpe)));
  const printed = input.reportRandom;
  const printedSd = printed?.sd?.sharpe;
  const holdColumns = columns(hold);
  // the same bars and targets for the seeds' runs and, with --ensemble, for the ensemble's
  const judge = (c: MetricColumns): Judged => {
    const agentSharpe = c.sharpe.mean;
    const bar = (randomMean: number, spread: number): SharpeBar => ({
      randomMean,
      sd: spread,
      bar: randomMean + spread,
      met: agentSharpe >= randomMean + spread,
    });
    return {
      sharpe: {
        agentMean: agentSharpe,
        pooled: bar(mean(randomSharpes), sd(randomSharpes)),
        seedSpread: bar(mean(randomSeedMeans), sd(randomSeedMeans)),
        ...(printed && printedSd !== undefined ? { reportColumn: bar(printed.metrics.sharpe, printedSd) } : {}),
      },
      targets: {
        sharpeNonNegative: agentSharpe >= 0,
        drawdownBelowBuyAndHold: clearlyAbove(holdColumns.maxDrawdown.mean, c.maxDrawdown.mean),
        sharpeAboveBuyAndHold: clearlyAbove(agentSharpe, holdColumns.sharpe.mean),
      },
    };
  };
  const agentColumns = columns(runs.map((r) => r.metrics));
  const ens = input.ensemble;
  if (ens && ens.metrics.length !== windows.length)
    throw new UserError(`the report's ensemble has ${ens.metrics.length} window(s), its folds ${windows.length}`);
  const ensembleColumns = ens ? columns(ens.metrics) : undefined;
  const w = input.chained;
  return {
    runs: runs.length,
    windows: windows.length,
    seeds,
    validation: {
      score: meanSd(runs.map((r) => r.validationScore)),
      traded: meanSd(traded),
      ungated: meanSd(ungated),
    },
    gate: input.gate ?? null,
    traded: runs.map((r) => ({ run: `f${r.fold + 1}s${r.seed}`, traded: r.gate?.fallback ?? 'agent' })),
    perSeed: seeds.map((seed) => {
      const rs = runs.filter((r) => r.seed === seed);
      const sum = (f: (m: Metrics) => number) => rs.reduce((a, r) => a + f(r.metrics), 0);
      return { seed, windows: rs.length, fees: sum((m) => m.feesPaid), trades: sum((m) => m.trades) };
    }),
    ...(w
      ? {
          chained: {
            totalReturn: w.totalReturn,
            sharpe: w.sharpe,
            trades: w.trades,
            feesPaid: w.feesPaid,
            maxDrawdown: w.maxDrawdown,
          },
        }
      : {}),
    agent: agentColumns,
    agentSeedSharpeSd: sd(seeds.map((s) => mean(runs.filter((r) => r.seed === s).map((r) => r.metrics.sharpe)))),
    baselines: { buyAndHold: holdColumns, flat: columns(flat), random: columns(random), smaCross: columns(sma) },
    randomSeeds: input.randomSeeds,
    ...(randomRule ? { randomRule } : {}),
    ...(randomRules ? { randomRules } : {}),
    ...judge(agentColumns),
    ...(ens && ensembleColumns
      ? { ensemble: { kind: ens.kind, agent: ensembleColumns, ...judge(ensembleColumns) } }
      : {}),
  };
}

interface CandidateVerdict {
  currentMean: number;
  candidateMean: number;
  /** Series where the candidate's mean validation score is strictly higher (a tie is not higher). */
  higher: number;
  series: number;
  /** Higher on at least this many: 3 of every 4 series, rounded up. */
  needed: number;
  passes: boolean;
}

/**
 * The README's rule (issue 13): a candidate replaces the current recipe only if its mean over the series of the
 * per-series mean validation score is higher AND it is higher on at least 3 of every 4 series. Both arrays hold the
 * per-series means in the same series order.
 */
export function compareCandidates(current: readonly number[], candidate: readonly number[]): CandidateVerdict {
  if (current.length !== candidate.length || current.length === 0)
    throw new UserError(
      `compareCandidates needs the same non-empty series for both, got ${current.length} and ${candidate.length}`,
    );
  const currentMean = mean(current);
  const candidateMean = mean(candidate);
  const higher = candidate.filter((v, i) => v > current[i]).length;
  const needed = Math.ceil((3 * current.length) / 4);
  return {
    currentMean,
    candidateMean,
    higher,
    series: current.length,
    needed,
    passes: candidateMean > currentMean && higher >= needed,
  };
}
