/**
 * The sweep's report as data (report.json, schema `bot-sweep-report/1`): the leaderboard ranked by validation
 * score, the baselines over the same validation and test windows, the winner's test metrics, the overfitting
 * statistics with their verdict, test metrics for every configuration (marked not for selection), failures, and the
 * curves the pictures draw.
 */
import { isoTime } from '../data/timeframe.ts';
import { recipeCosts, recipeSchedule, recipeSelection, recipeSizing } from '../agents/setup.ts';
import { purgedSplit } from '../agents/selection.ts';
import { rangesText, type Fold, type IndexRange } from '../agents/splits.ts';
import type { AgentRecipe } from '../agents/recipe.ts';
import {
  randomBaseline,
  randomPlaces,
  runBaselines,
  BASELINE_NAMES,
  type BaselineName,
} from '../backtest/baselines.ts';
import { isPlainSchedule, rulesText, scheduleText, type ScheduleRule } from '../agents/decision-rule.ts';
import { sweepFoldLabel } from '../backtest/report-file.ts';
import { SWEEP_REPORT_SCHEMA } from '../backtest/report-schema.ts';
import { metricsToJson, timelineTooShortToAnnualise } from '../market/metrics.ts';
import type { SweepSettings } from './config.ts';
import type { SweepRequest } from './grid.ts';
import type { SweepPlan } from './plan.ts';
import {
  meanSd,
  rankConfigurations,
  selectionStatistics,
  verdict,
  type ConfigSummary,
  type JobOutcome,
  type MeanSd,
  type SelectionStatistics,
  windowsMetrics,
} from './select.ts';

interface EquityCurves {
  market: string;
  /** The market's symbol (the PNG is named after it when the sweep has several markets). */
  symbol: string;
  timestamps: number[];
  mean: number[];
  seeds: number[][];
  benchmark: number[];
}

/**
 * A leaderboard row's random, when the configurations trade by different rules or sizings: under this configuration's
 * (`rule`, or each fold's or job's in `rules`), with its sizing (`sizing`, named when the sizings differ), on its own
 * epoch windows, mean ± sd over (market, fold[, job]).
 */
interface LeaderRandom {
  rule?: ScheduleRule;
  rules?: { run: string; rule: ScheduleRule }[];
  sizing?: AgentRecipe['sizing'];
  validation: MeanSd;
}

export interface SweepReport {
  schema: string;
  sweepId: string;
  name: string;
  createdAt: string;
  strategy: string;
  request: SweepRequest;
  protocol: string;
  markets: {
    label: string;
    candles: number;
    from: string;
    to: string;
    /**
     * train, validation, test: the fold's windows (test: the one each job is tested on); trainingSegments and
     * epochWindows: what training used (trainingUsed); the ranking's validation Sharpe is over epochWindows only.
     */
    folds: { train: string; validation: string; test: string; trainingSegments: string; epochWindows: string }[];
  }[];
  seeds: number[];
  epochs: number;
  /**
   * `retried`: the jobs tried more than once (a failed try, a worker process that died, a job Redis lost and the
   * coordinator queued again) over every run of the sweep, a resumed one's earlier runs too, whatever their end; absent
   * from reports written before it was counted.
   */
  jobs: { planned: number; finished: number; failed: number; retried?: number };
  leaderboard: {
    rank: number;
    key: string;
    label: string;
    params: Record<string, unknown>;
    runs: number;
    failed: number;
    score: number;
    scoreSd?: number;
    validation: MeanSd;
    /**
     * When the configurations trade by different decision rules or sizings: random under this configuration's rule
     * and with its sizing, on its own epoch windows (as `baselines.random` is on the winner's), mean ± sd over
     * (market, fold) of its metrics.
     */
    random?: LeaderRandom;
  }[];
  /**
   * On the same windows as the winner's jobs. `random.rule`: the schedule and holding period random traded under, the
   * rule the winner's jobs traded by (absent: every candle; also in reports written before random followed it).
   * `random.rules` instead when they traded by different rules (`learnerChoice`: each job's chosen learner's): each
   * fold's (or job's, when a fold's seeds chose differently).
   */
  baselines: Record<
    BaselineName,
    {
      description: string;
      validation: MeanSd;
      test: MeanSd;
      cleanTest: MeanSd;
      rule?: ScheduleRule;
      rules?: { run: string; rule: ScheduleRule }[];
    }
  >;
  /**
   * The winner's test metrics: `test` over every fold; `cleanTest` only over the test windows that start after every
   * validation candle of their market (with rolling folds, an earlier fold's test window is a later fold's
   * validation window, which the ranking saw). `cleanTest` is the strictly out-of-sample figure.
   */
  winner?: {
    key: string;
    label: string;
    params: Record<string, unknown>;
    recipe: unknown;
    validation: MeanSd;
    test: MeanSd;
    cleanTest: MeanSd;
    cleanFolds: string[];
  };
  statistics: Omit<SelectionStatistics, 'pbo'> & {
    pbo?: Omit<NonNullable<SelectionStatistics['pbo']>, 'logits'> & { logits: number[] };
  };
  verdict: string[];
  /**
   * Test metrics of every configuration, in leaderboard order. NOT for selection: choosing by these is tuning on the
   * test windows.
   */
  testNotForSelection: { key: string; label: string; test: MeanSd }[];
  /** `attempts`: the tries the job's last run gave it (absent from reports written before it was kept). */
  failures: {
    jobId: string;
    label: string;
    market: string;
    fold: number;
    seed: number;
    error: string;
    attempts?: number;
  }[];
  equity: EquityCurves[];
  files: { json: string; html: string; heatmaps: string[]; equity: string[] };
  /** Pictures not drawn and why (a heatmap over too many values; a rendering that failed): the report stands. */
  chartNotes?: string[];
  /**
   * The shortest validation or test window, when it is too short for the annualised figures (Sharpe, the score
   * among them) to mean much (tooShortToAnnualise); absent otherwise.
   */
  shortWindow?: { candles: number; from: string; to: string };
}

/**
 * A configuration's split of a fold: the one train-fold.ts makes from the same recipe, whose validation windows (the
 * epoch windows) its jobs are ranked on (run-job.ts).
 */
const splitOf = (recipe: AgentRecipe, fold: Fold) => purgedSplit(fold, recipeSelection(recipe));

/**
 * What training used in a fold, as `bot backtest`'s Splits table prints it: the purged split of the fold's train +
 * validation span (train-fold.ts makes the same one from the recipe), its training segments and the windows the epoch
 * was chosen on. Configurations whose recipes split alike share one text; else each is named (a grid over `window`
 * moves the embargo).
 */
function trainingUsed(
  plan: SweepPlan,
  ts: Float64Array,
  fold: Fold,
): Record<'trainingSegments' | 'epochWindows', string> {
  const texts = plan.configurations.map((c) => {
    const split = splitOf(c.recipe, fold);
    return { label: c.label, segments: rangesText(ts, split.train), windows: rangesText(ts, split.validation) };
  });
  const one = (key: 'segments' | 'windows') => {
    const distinct = new Set(texts.map((t) => t[key]));
    return distinct.size === 1 ? texts[0][key] : texts.map((t) => `${t.label}: ${t[key]}`).join('; ');
  };
  return { trainingSegments: one('segments'), epochWindows: one('windows') };
}

/** A fold's test window starts after every validation candle of its market (nothing in it informed the ranking). */
function isClean(m: SweepPlan['markets'][number], f: SweepPlan['markets'][number]['folds'][number]): boolean {
  return m.folds.every((g) => g.validation.to <= f.test.from);
}

/** Where random ran under which rule, when not under one throughout: `<market> fold <k>[ seed <s>]`. */
type RandomRules = { run: string; rule: ScheduleRule }[];

/**
 * The rules random follows for a configuration (issue 13), window by window ((market, fold) in plan order): the one
 * each of its jobs traded by (with `learnerChoice`, the learner chosen on validation, so no test candle informs it),
 * per window or per job as randomPlaces says. A job stored without one, or a window without a finished job, counts the
 * recipe's loosest rule (recipeSchedule).
 */
function randomRulesOf(plan: SweepPlan, outcomes: readonly JobOutcome[], key: string, recipe: AgentRecipe) {
  const fallback = recipeSchedule(recipe);
  const windows = plan.markets.flatMap((m, market) => m.folds.map((f) => ({ market, fold: f })));
  const jobs = windows.map((w) =>
    outcomes
      .filter((o) => o.configKey === key && o.market === w.market && o.fold === w.fold.index && o.result)
      .sort((a, b) => a.seed - b.seed),
  );
  const places = randomPlaces(jobs.map((js) => (js.length ? js.map((o) => o.result!.rule ?? fallback) : [fallback])));
  const labels = plan.markets.map((m) => m.ref);
  const named: RandomRules = places.map((p) => {
    const w = windows[p.window];
    const seed = p.run === undefined ? undefined : jobs[p.window][p.run]?.seed;
    return {
      run: sweepFoldLabel(labels, w.market, w.fold.index) + (seed === undefined ? '' : ` seed ${seed}`),
      rule: p.rule,
    };
  });
  const one = new Set(places.map((p) => scheduleText(p.rule))).size === 1 ? places[0].rule : undefined;
  return { windows, places, named, one };
}

/** How a report names the rules random followed: one, or each window's (or job's). */
function rulesNamed(r: ReturnType<typeof randomRulesOf>): { rule?: ScheduleRule; rules?: RandomRules } {
  if (r.one) return isPlainSchedule(r.one) ? {} : { rule: r.one };
  return { rules: r.named };
}

/**
 * Baselines on each (market, fold) validation and test window, summarised as mean ± sd over windows. Validation is
 * over the epoch windows of `recipe`'s split (the winner's), each fold's metrics the mean over them as a job's are;
 * random trades under the rule the winner's jobs traded by (issue 13; randomRulesOf), so the winner is set against
 * the coin-flipper its own schedule and holding period make.
 */
function baselineSummary(
  plan: SweepPlan,
  settings: SweepSettings,
  seed: number,
  recipe: AgentRecipe,
  rules: ReturnType<typeof randomRulesOf>,
): { table: SweepReport['baselines']; bhTest: Float64Array[][] } {
  // the winner's costs (a grid cannot vary them: checkGrid) and sizing: random and sma-cross trade with it too (like
  // for like); a grid over sizing may give each configuration its own, so not the first configuration's
  const costs = recipeCosts(recipe, settings.account);
  const sizing = recipeSizing(recipe, settings.backtest);
  const val: Record<string, Record<string, unknown>[]> = {};
  const test: Record<string, Record<string, unknown>[]> = {};
  const clean: Record<string, Record<string, unknown>[]> = {};
  const descriptions: Record<string, string> = {};
  const bhTest: Float64Array[][] = [];
  const { windows, places } = rules;
  for (const [at, { market, fold: f }] of windows.entries()) {
    const m = plan.markets[market];
    const o = (range: IndexRange, rule: ScheduleRule) => ({
      candles: m.candles,
      range,
      costs,
      balance: settings.account.balance,
      sizing,
      rule,
      randomSeeds: settings.backtest.randomSeeds,
      seed,
    });
    const here = places.filter((p) => p.window === at);
    const epochWindows = splitOf(recipe, f).validation;
    const vs = epochWindows.map((range) => runBaselines(o(range, here[0].rule)));
    const b = runBaselines(o(f.test, here[0].rule));
    const add = (name: string, v: Record<string, unknown>, t: Record<string, unknown>) => {
      (val[name] ??= []).push(v);
      (test[name] ??= []).push(t);
      if (isClean(m, f)) (clean[name] ??= []).push(t);
    };
    for (const name of BASELINE_NAMES) {
      descriptions[name] = b[name].description;
      if (name !== 'random')
        add(name, windowsMetrics(vs.map((w) => metricsToJson(w[name].metrics))), metricsToJson(b[name].metrics));
    }
    // random: the window's one run under its jobs' rule, or one per job under each job's (randomPlaces)
    for (const p of here) {
      const first = p === here[0];
      const rv = first ? vs.map((w) => w.random) : epochWindows.map((range) => randomBaseline(o(range, p.rule)));
      const rt = first ? b.random : randomBaseline(o(f.test, p.rule));
      add('random', windowsMetrics(rv.map((w) => metricsToJson(w.metrics))), metricsToJson(rt.metrics));
    }
    if (market === bhTest.length) bhTest.push([]);
    bhTest[market].push(b.buy_and_hold.equity);
  }
  const named = rulesNamed(rules);
  if (named.rules)
    descriptions.random =
      `uniformly random buy/sell/hold, mean ± sd over ${settings.backtest.randomSeeds} seeds, under the rule each ` +
      `of the winner's jobs traded by (no margin): ${rulesText(named.rules)}`;
  const table = Object.fromEntries(
    BASELINE_NAMES.map((n) => [
      n,
      {
        description: descriptions[n],
        validation: meanSd(val[n]),
        test: meanSd(test[n]),
        cleanTest: meanSd(clean[n] ?? []),
        ...(n === 'random' ? named : {}),
      },
    ]),
  ) as SweepReport['baselines'];
  return { table, bhTest };
}

/**
 * Random under each configuration's own rules (its jobs', randomRulesOf) and with its own sizing on its own epoch
 * windows, when the configurations' rules or sizings differ (else `baselines.random` is every configuration's):
 * configurations sharing rules, split and sizing share one run.
 */
function randomByConfiguration(
  plan: SweepPlan,
  outcomes: readonly JobOutcome[],
  settings: SweepSettings,
  seed: number,
): Map<string, LeaderRandom> {
  const byConfig = new Map<string, LeaderRandom>();
  const rules = plan.configurations.map((c) => randomRulesOf(plan, outcomes, c.key, c.recipe));
  // each configuration's own sizing (a grid over sizing): its random trades with it, like for like
  const sizings = plan.configurations.map((c) => recipeSizing(c.recipe, settings.backtest));
  const differ = (xs: unknown[]) => new Set(xs.map((x) => JSON.stringify(x))).size > 1;
  const sized = differ(sizings);
  if (!differ(rules.map((r) => r.named)) && !sized) return byConfig;
  const done = new Map<string, MeanSd>();
  plan.configurations.forEach((c, i) => {
    const costs = recipeCosts(c.recipe, settings.account);
    const sizing = sizings[i];
    const { windows, places } = rules[i];
    const splits = windows.map((w) => splitOf(c.recipe, w.fold).validation);
    const key = JSON.stringify([places, splits, sizing, costs]);
    let validation = done.get(key);
    if (!validation) {
      const folds = places.map((p) =>
        windowsMetrics(
          splits[p.window].map((range) => {
            const m = plan.markets[windows[p.window].market];
            const rule = p.rule;
            const o = { candles: m.candles, range, costs, balance: settings.account.balance, sizing, rule };
            return metricsToJson(randomBaseline({ ...o, randomSeeds: settings.backtest.randomSeeds, seed }).metrics);
          }),
        ),
      );
      validation = meanSd(folds);
      done.set(key, validation);
    }
    const r = rules[i];
    byConfig.set(c.key, {
      ...(r.one ? { rule: r.one } : { rules: r.named }),
      ...(sized ? { sizing: c.recipe.sizing } : {}),
      validation,
    });
  });
  return byConfig;
}

/** Chains normalised windows: each starts where the previous one ended. */
function chain(windows: readonly ArrayLike<number>[]): number[] {
  const out: number[] = [];
  let level = 1;
  for (const w of windows) {
    for (let i = 0; i < w.length; i++) out.push((level * w[i]) / w[0]);
    level = out[out.length - 1];
  }
  return out;
}

function winnerEquity(
  plan: SweepPlan,
  outcomes: readonly JobOutcome[],
  winner: ConfigSummary,
  bhTest: Float64Array[][],
): EquityCurves[] {
  return plan.markets.map((m, mi) => {
    const timestamps = m.folds.flatMap((f) => Array.from(m.candles.ts.subarray(f.test.from, f.test.to)));
    const seeds = plan.seeds
      .map((seed) =>
        m.folds.map(
          (f) =>
            outcomes.find((o) => o.configKey === winner.key && o.market === mi && o.fold === f.index && o.seed === seed)
              ?.result?.testEquity,
        ),
      )
      .filter((ws): ws is number[][] => ws.every((w) => w !== undefined))
      .map(chain);
    const mean = timestamps.map((_, i) => seeds.reduce((a, s) => a + s[i], 0) / Math.max(1, seeds.length));
    return { market: m.ref.label, symbol: m.ref.symbol, timestamps, mean, seeds, benchmark: chain(bhTest[mi]) };
  });
}

/**
 * The shortest epoch or test window, if it is too short to annualise (as bot backtest notes a short run): a job's
 * validation metrics are annualised over each epoch window.
 */
function shortestWindow(plan: SweepPlan): SweepReport['shortWindow'] {
  const spans = plan.markets.flatMap((m) =>
    m.folds.flatMap((f) =>
      [...plan.configurations.flatMap((c) => splitOf(c.recipe, f).validation), f.test].map((r) =>
        m.candles.ts.subarray(r.from, r.to),
      ),
    ),
  );
  const short = spans.filter((ts) => timelineTooShortToAnnualise(ts)).sort((a, b) => a.length - b.length)[0];
  return short && { candles: short.length, from: isoTime(short[0]), to: isoTime(short[short.length - 1]) };
}

/**
 * Lines of their own when the best configuration did not beat flat (a validation Sharpe ≤ 0, flat's) or buy-and-hold
 * on the validation windows it was chosen on: a winner that loses to doing nothing is no finding.
 */
function baselineVerdict(winner: ConfigSummary | undefined, buyAndHold: number | undefined): string[] {
  if (!winner) return [];
  const best = winner.score.toFixed(3);
  const lines: string[] = [];
  if (!(winner.score > 0))
    lines.push(`No configuration beat flat on validation: the best validation Sharpe is ${best}, flat's is 0.`);
  if (buyAndHold !== undefined && !(winner.score > buyAndHold))
    lines.push(
      `No configuration beat buy-and-hold on validation: the best validation Sharpe is ${best}, ` +
        `buy-and-hold's ${buyAndHold.toFixed(3)}.`,
    );
  return lines;
}

/**
 * Earlier sweeps' configurations, each summarised over its own validation windows: a window matched by overlap
 * (src/sweep/earlier.ts) is shifted from this plan's and has its own number of returns.
 */
function rankEarlier(earlier: readonly JobOutcome[]): ConfigSummary[] {
  const byConfig = new Map<string, JobOutcome[]>();
  for (const o of earlier) byConfig.set(o.configKey, [...(byConfig.get(o.configKey) ?? []), o]);
  return [...byConfig.values()].flatMap((list) => {
    const windows = new Map<string, { market: number; fold: number; length: number }>();
    for (const o of [...list].sort((a, b) => a.market - b.market || a.fold - b.fold))
      if (!windows.has(`${o.market}:${o.fold}`))
        windows.set(`${o.market}:${o.fold}`, {
          market: o.market,
          fold: o.fold,
          length: o.result?.validationReturns.length ?? 0,
        });
    return rankConfigurations(list, [...windows.values()]);
  });
}

/**
 * `earlier`: results stored by earlier sweeps of other configurations on this plan's windows or windows overlapping
 * them (src/sweep/earlier.ts), placed on this plan's windows; they count as trials of the deflated Sharpe.
 * `uncompared`: earlier jobs stored before sweep schema 4 that could not be compared (earlier.ts uncomparedEarlier).
 */
export function buildSweepReport(
  plan: SweepPlan,
  request: SweepRequest,
  outcomes: readonly JobOutcome[],
  settings: SweepSettings,
  earlier: readonly JobOutcome[] = [],
  uncompared: { jobs: number; sweeps: string[] } = { jobs: 0, sweeps: [] },
): SweepReport {
  // each configuration's epoch windows, as its jobs' returns run (run-job.ts): every window's returns, in order
  const windows = plan.configurations.flatMap((c) =>
    plan.markets.flatMap((m, mi) =>
      m.folds.map((f) => {
        const epochWindows = splitOf(c.recipe, f).validation;
        // the candle each per-candle return ends on: the same dates in two markets are one date
        const times = epochWindows.flatMap((w) => Array.from(m.candles.ts.subarray(w.from + 1, w.to)));
        return { market: mi, fold: f.index, length: times.length, times, config: c.key };
      }),
    ),
  );
  const ranked = rankConfigurations(outcomes, windows);
  const stats = {
    ...selectionStatistics(ranked, rankEarlier(earlier)),
    ...(uncompared.jobs > 0 ? { uncompared } : {}),
  };
  const winner = ranked.find((c) => c.runs > 0);
  const baselineRecipe = (plan.configurations.find((c) => c.key === winner?.key) ?? plan.configurations[0]).recipe;
  const baselineKey = winner?.key ?? plan.configurations[0].key;
  const winnerRules = randomRulesOf(plan, outcomes, baselineKey, baselineRecipe);
  const { table: baselines, bhTest } = baselineSummary(plan, settings, request.seed, baselineRecipe, winnerRules);
  const randomOf = randomByConfiguration(plan, outcomes, settings, request.seed);
  const bhClean = baselines.buy_and_hold.cleanTest;
  const shortWindow = shortestWindow(plan);
  const winnerConfig = winner && plan.configurations.find((c) => c.key === winner.key);
  const finished = outcomes.filter((o) => o.result).length;
  const cleanOf = (key: string) => {
    const runs = outcomes.filter(
      (o) => o.configKey === key && o.result && isClean(plan.markets[o.market], plan.markets[o.market].folds[o.fold]),
    );
    const labels = plan.markets.map((m) => m.ref);
    const folds = [...new Set(runs.map((o) => sweepFoldLabel(labels, o.market, o.fold)))];
    return { cleanTest: meanSd(runs.map((o) => o.result!.test)), cleanFolds: folds };
  };
  return {
    schema: SWEEP_REPORT_SCHEMA,
    sweepId: plan.id,
    name: plan.name,
    createdAt: new Date().toISOString(),
    strategy: plan.strategy,
    request,
    protocol:
      "Each job trains on its fold's training segments and keeps the epoch with the best validation Sharpe on the " +
      'epoch windows between them; configurations are ranked by validation Sharpe after costs on those windows only ' +
      '(no training segment touches them; mean over windows, seeds, folds and markets). ' +
      'Test windows come after the validation windows they follow and are evaluated once per job; their ' +
      'metrics are reported for the chosen configuration and, separately, for all, and never used to choose.',
    markets: plan.markets.map((m) => ({
      label: m.ref.label,
      candles: m.ref.candles,
      from: isoTime(m.candles.ts[0]),
      to: isoTime(m.candles.ts[m.candles.ts.length - 1]),
      folds: m.folds.map((f) => ({
        train: rangesText(m.candles.ts, f.train),
        validation: rangesText(m.candles.ts, f.validation),
        test: rangesText(m.candles.ts, f.test),
        ...trainingUsed(plan, m.candles.ts, f),
      })),
    })),
    seeds: plan.seeds,
    epochs: plan.epochs,
    jobs: {
      planned: outcomes.length,
      finished,
      failed: outcomes.filter((o) => !o.result && o.error !== undefined).length,
      retried: outcomes.filter((o) => (o.retries ?? 0) > 0).length,
    },
    leaderboard: ranked.map((c, i) => ({
      rank: i + 1,
      key: c.key,
      label: c.label,
      params: c.params,
      runs: c.runs,
      failed: c.failed,
      score: c.score,
      scoreSd: c.scoreSd,
      validation: c.validation,
      ...(randomOf.has(c.key) ? { random: randomOf.get(c.key) } : {}),
    })),
    baselines,
    ...(winner && winnerConfig
      ? {
          winner: {
            key: winner.key,
            label: winner.label,
            params: winner.params,
            // the epochs its jobs trained (--epochs overrides the recipe's): bot backtest then trains what was ranked
            recipe: { ...winnerConfig.recipe, epochs: winnerConfig.epochs },
            validation: winner.validation,
            test: winner.test,
            ...cleanOf(winner.key),
          },
        }
      : {}),
    statistics: stats,
    verdict: [
      ...baselineVerdict(winner, baselines.buy_and_hold.validation.mean.sharpe),
      ...verdict(
        stats,
        winner && cleanOf(winner.key).cleanTest,
        bhClean.mean.sharpe === undefined ? undefined : { mean: bhClean.mean.sharpe, sd: bhClean.sd.sharpe },
      ),
    ],
    testNotForSelection: ranked.map((c) => ({ key: c.key, label: c.label, test: c.test })),
    failures: outcomes
      .filter((o) => !o.result && o.error !== undefined)
      .map((o) => ({
        jobId: o.jobId,
        label: o.label,
        market: plan.markets[o.market].ref.label,
        fold: o.fold + 1,
        seed: o.seed,
        error: o.error ?? '',
        ...(o.attempts !== undefined ? { attempts: o.attempts } : {}),
      })),
    equity: winner ? winnerEquity(plan, outcomes, winner, bhTest) : [],
    files: { json: 'report.json', html: 'report.html', heatmaps: [], equity: [] },
    ...(shortWindow ? { shortWindow } : {}),
  };
}
