/**
 * Selection that does not fool the user: configurations ranked by their validation score alone (Sharpe after
 * costs, mean over seeds, folds and markets); test metrics summarised beside but never used to rank; and the
 * overfitting statistics of the choice (deflated Sharpe ratio of the winner, PBO by CSCV) over the validation
 * returns every configuration's trained models (one per seed) earned on the very same candles.
 */
import type { Params } from './grid.ts';
import type { JobResult, MetricsJson } from './jobs.ts';
import {
  deflatedSharpeOfMoments,
  returnMoments,
  type DeflatedSharpe,
  type ReturnMoments,
} from '../market/deflated-sharpe.ts';
import { mean as meanOf, sampleVariance } from '../core/numbers.ts';
import { metricsToJson } from '../market/metrics.ts';
import { spreadNote, type MeanAndSpread } from '../backtest/spread-note.ts';
import { cscvBlocks, modelsProbabilityOfOverfitting, type PboResult } from './overfitting.ts';

export interface MeanSd {
  mean: Record<string, number>;
  sd: Record<string, number>;
}

export interface ConfigSummary {
  key: string;
  label: string;
  params: Params;
  /** Jobs with a result, jobs that failed, jobs planned. */
  runs: number;
  failed: number;
  planned: number;
  /** The ranking score: mean validation Sharpe (annualised, after costs) over seeds × folds × markets. */
  score: number;
  /** The score's sample sd over those runs; absent with fewer than two. */
  scoreSd?: number;
  validation: MeanSd;
  /** Test metrics over the same runs: reported, never used to rank. */
  test: MeanSd;
  /** The open time of the candle each validation return ends on, markets and folds in order (empty when unknown). */
  validationTimes: number[];
  /**
   * Per seed, one trained model's per-candle validation returns, markets and folds in order (a window it did not
   * finish left out), and their times (empty when a window's are unknown): what the DSR tests and PBO ranks.
   */
  seedSeries: SeedSeries[];
  /** The most epoch × margin validations any of its finished jobs chose among (0 with none finished). */
  validations: number;
  /** Per finished job, the sample variance of its epoch × margin trial Sharpes (0 with one trial). */
  jobTrialVariances: number[];
  complete: boolean;
}

interface SeedSeries {
  seed: number;
  returns: number[];
  times: number[];
}

export interface JobOutcome {
  jobId: string;
  configKey: string;
  params: Params;
  label: string;
  /** Market index and fold index (the window), and seed. */
  market: number;
  fold: number;
  seed: number;
  result?: JobResult;
  error?: string;
  /** The tries the job's last run gave it before failing for good (with `error`). */
  attempts?: number;
  /** The tries it took beyond its first over all runs of its sweep (absent: none). */
  retries?: number;
}

/**
 * A metric of one run as a number: numbers as they are, and the strings "Infinity" / "-Infinity" that report JSON
 * writes for an unbounded ratio (Sortino or Calmar without downside, a profit factor without losses); else undefined.
 */
function metricValue(x: unknown): number | undefined {
  if (typeof x === 'number') return Number.isNaN(x) ? undefined : x;
  return x === 'Infinity' ? Infinity : x === '-Infinity' ? -Infinity : undefined;
}

/**
 * Mean and sample sd of every numeric metric over runs. A metric with one value has no sd (absent, printed "–"): one
 * run says nothing about the spread, and "± 0.000" read as a configuration that never varies. An infinite value (a
 * run without downside has an infinite Sortino and Calmar) makes the mean infinite and leaves no sd, as the
 * backtest's means over runs do (src/backtest/baselines.ts): dropping it would report the other runs' mean as if
 * the unbounded run had not happened.
 */
export function meanSd(runs: readonly MetricsJson[]): MeanSd {
  const mean: Record<string, number> = {};
  const sd: Record<string, number> = {};
  if (runs.length === 0) return { mean, sd };
  for (const key of Object.keys(runs[0])) {
    const xs = runs.map((r) => metricValue(r[key])).filter((x): x is number => x !== undefined);
    if (xs.length === 0) continue;
    mean[key] = meanOf(xs);
    if (xs.length > 1 && Number.isFinite(mean[key])) sd[key] = Math.sqrt(sampleVariance(xs));
  }
  return { mean, sd };
}

/**
 * The metrics of one job's validation: over one window, that run's; over several (the purged split's epoch windows,
 * src/agents/selection.ts), the mean of each metric over the windows, as the epoch choice scores them (train-fold.ts).
 */
export function windowsMetrics(runs: readonly MetricsJson[]): MetricsJson {
  return runs.length === 1 ? runs[0] : metricsToJson(meanSd(runs).mean);
}

/**
 * A (market, fold) validation window: its number of returns and, optionally, the time each return ends at. With
 * `config`, the window of that configuration only (configurations whose recipes split the fold otherwise are
 * validated on other epoch windows); without, of every configuration.
 */
interface ValidationWindow {
  market: number;
  fold: number;
  length: number;
  times?: readonly number[];
  config?: string;
}

/**
 * Each seed's returns over the windows, in their order: a model's own, whatever a window's length (an earlier sweep's
 * job has its own window); their times where every window it ran gives them for as many returns.
 */
function seedSeriesOf(done: readonly JobOutcome[], windows: readonly ValidationWindow[]): SeedSeries[] {
  return [...new Set(done.map((o) => o.seed))].map((seed) => {
    const returns: number[] = [];
    let times: number[] | undefined = [];
    for (const w of windows) {
      const r = done.find((o) => o.seed === seed && o.market === w.market && o.fold === w.fold)?.result;
      if (!r) continue;
      // one at a time: push(...) overflows the stack for a window as long as a candle series
      for (const x of r.validationReturns) returns.push(x);
      if (times && w.times?.length === r.validationReturns.length) for (const t of w.times) times.push(t);
      else times = undefined;
    }
    return { seed, returns, times: times ?? [] };
  });
}

/**
 * One summary per configuration, best validation score first (ties by key, so the order is reproducible).
 * `windows` lists each (market, fold) validation window with its length, in the order the series stacks them.
 */
export function rankConfigurations(
  outcomes: readonly JobOutcome[],
  windows: readonly ValidationWindow[],
): ConfigSummary[] {
  const byConfig = new Map<string, JobOutcome[]>();
  for (const o of outcomes) byConfig.set(o.configKey, [...(byConfig.get(o.configKey) ?? []), o]);
  const out: ConfigSummary[] = [];
  for (const [key, list] of byConfig) {
    const done = list.filter((o) => o.result);
    const validation = meanSd(done.map((o) => o.result!.validation));
    const times: number[] = [];
    let complete = true;
    const own = windows.filter((v) => v.config === undefined || v.config === key);
    for (const w of own) {
      // one at a time: push(...w.times) overflows the stack for a window as long as a candle series
      for (const t of w.times ?? []) times.push(t);
      const seeds = done.filter((o) => o.market === w.market && o.fold === w.fold);
      if (seeds.length === 0 || seeds.some((o) => o.result!.validationReturns.length !== w.length)) complete = false;
    }
    out.push({
      key,
      label: list[0].label,
      params: list[0].params,
      runs: done.length,
      failed: list.filter((o) => o.error !== undefined && !o.result).length,
      planned: list.length,
      score: done.length ? validation.mean.sharpe : -Infinity,
      scoreSd: validation.sd.sharpe,
      validation,
      test: meanSd(done.map((o) => o.result!.test)),
      validationTimes: times,
      seedSeries: seedSeriesOf(done, own),
      validations: Math.max(0, ...done.map((o) => o.result!.trialSharpes?.length ?? 1)),
      jobTrialVariances: done.map((o) => sampleVariance(o.result!.trialSharpes ?? []) || 0),
      complete: complete && done.length === list.length,
    });
  }
  return out.sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : 1));
}

export interface SelectionStatistics {
  /**
   * Configurations tried: every one that ran a job, finished or failed. Failed ones still count: had they scored
   * well, the selection would have taken them.
   */
  trials: number;
  /**
   * Of those, the configurations earlier sweeps in the same database tried on overlapping candles (the same market,
   * any seed, validation windows sharing at least half their candles: src/sweep/earlier.ts) and this one did not:
   * the user chose among them too, by narrowing the grid.
   */
  earlierTrials: number;
  /**
   * Jobs earlier sweeps stored on this plan's markets (any seed) that cannot be compared: before sweep schema 4 and not
   * on its exact windows (no stored validation span to overlap), or before schema 5 (validated on candles their
   * training used). They are not in `trials` (and the DSR may be too high) until their sweeps are run again. Absent
   * when there are none.
   */
  uncompared?: { jobs: number; sweeps: string[] };
  /**
   * Epoch × margin validations a job chose among on its validation window (the most of any finished job). The
   * deflated Sharpe ratio's N is the configurations tried times these: each job's epoch was chosen on the very
   * candles the configurations are then ranked on.
   */
  validationsPerJob: number;
  /** Configurations whose every job finished (the columns PBO ranks). */
  complete: number;
  /**
   * The winner's seeds: the Sharpe ratio the DSR tests, as each one PBO ranks, is one trained model's, the mean over
   * these seeds of each seed's (not the Sharpe of their averaged returns, which no single model earns).
   */
  seeds: number;
  dsr?: DeflatedSharpe;
  pbo?: PboResult;
  /** Why a statistic is missing. */
  notes: string[];
}

const sameTimes = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((t, i) => t === b[i]);

/**
 * Per-period moments of one trained model, the thing `--save-strategy` and `bot backtest` deploy (one model per seed;
 * sweeps have no ensemble): each seed's over its own returns, averaged over the seeds. Not the moments of the
 * seed-averaged returns: that equal-weight mix of the seeds is no model anyone trades, and averaging lowers the spread,
 * so its Sharpe is higher. T, the track record's length (Bailey & López de Prado 2014, "The Deflated Sharpe Ratio":
 * the number of returns the Sharpe ratio is estimated from), is a seed's: it counts each return date once, as the
 * markets' returns stacked from the same dates are not independent observations (markets move together), so stacking
 * 2 markets must not double T.
 */
function singleModelMoments(c: ConfigSummary): ReturnMoments {
  const perSeed = c.seedSeries.map((s) => {
    const finite = s.returns.map((x) => Number.isFinite(x));
    const m = returnMoments(s.returns.filter((_, i) => finite[i]));
    const dates = s.times.length === s.returns.length ? new Set(s.times.filter((_, i) => finite[i])).size : m.n;
    return { ...m, n: dates };
  });
  const avg = (f: (m: ReturnMoments) => number) => (perSeed.length ? meanOf(perSeed.map(f)) : 0);
  return {
    n: avg((m) => m.n),
    mean: avg((m) => m.mean),
    sd: avg((m) => m.sd),
    sharpe: avg((m) => m.sharpe),
    skewness: avg((m) => m.skewness),
    kurtosis: perSeed.length ? avg((m) => m.kurtosis) : 3,
  };
}

/**
 * The deflated Sharpe ratio of the winner. The selection is nested: each job chose its epoch × margin on its
 * validation window, then the configurations were ranked on the same windows. So N counts every configuration tried
 * times the validations of a job (a configuration whose jobs all failed is counted with the most any job had), and
 * V is the variance of the configurations' Sharpe ratios (between) plus the mean variance of a job's epoch × margin
 * trial Sharpes (within, on one window and seed). The between part is unknown when several configurations were
 * tried and only one finished. `ranked` holds the configurations earlier sweeps tried on overlapping windows too.
 * Every Sharpe ratio here is one model's (singleModelMoments), the winner's as its trials'.
 */
function winnerDeflatedSharpe(ranked: readonly ConfigSummary[], winner: ConfigSummary, tried: number) {
  const finished = ranked.filter((c) => c.runs > 0);
  const perJob = Math.max(1, ...finished.map((c) => c.validations));
  const trials = ranked
    .filter((c) => c.runs > 0 || c.failed > 0)
    .reduce((n, c) => n + (c.runs > 0 ? Math.max(1, c.validations) : perJob), 0);
  const between = tried > 1 ? sampleVariance(finished.map((c) => singleModelMoments(c).sharpe)) : 0;
  const within = finished.flatMap((c) => c.jobTrialVariances);
  const variance = between + within.reduce((a, b) => a + b, 0) / Math.max(1, within.length);
  return { perJob, dsr: deflatedSharpeOfMoments(singleModelMoments(winner), trials, variance) };
}

/**
 * DSR of the winner among every configuration tried, and PBO by CSCV over the complete configurations' returns.
 * `earlier`: the configurations earlier sweeps tried on overlapping windows (each over its own), counted as
 * trials of the DSR — a grid narrowed over successive sweeps on the same candles is still a selection among all of
 * them — but not ranked and not in PBO.
 */
export function selectionStatistics(
  ranked: readonly ConfigSummary[],
  earlier: readonly ConfigSummary[] = [],
): SelectionStatistics {
  const notes: string[] = [];
  const winner = ranked.find((c) => c.runs > 0);
  const complete = ranked.filter((c) => c.complete);
  const earlierTried = earlier.filter((c) => c.runs > 0);
  const tried = [...ranked.filter((c) => c.runs > 0 || c.failed > 0), ...earlierTried];
  const earlierTrials = earlierTried.length;
  if (!winner)
    return {
      trials: tried.length,
      earlierTrials,
      validationsPerJob: 0,
      complete: 0,
      seeds: 0,
      notes: ['no configuration finished'],
    };
  if (!winner.complete) notes.push('the winner has failed jobs: its deflated Sharpe uses the windows that finished');
  if (complete.length < ranked.length)
    notes.push(
      `${ranked.length - complete.length} configuration(s) with failed jobs are left out of PBO ` +
        '(the deflated Sharpe still counts them as tried)',
    );
  const { perJob, dsr } = winnerDeflatedSharpe([...ranked, ...earlierTried], winner, tried.length);
  if (tried.length > 1 && tried.filter((c) => c.runs > 0).length < 2)
    notes.push(`only 1 of the ${tried.length} configurations tried finished: the others' Sharpe ratios are unknown`);
  let pbo: PboResult | undefined;
  const rows = complete[0]?.seedSeries[0]?.returns.length ?? 0;
  const blocks = cscvBlocks(rows);
  const sameCandles = complete.every((c) => sameTimes(c.validationTimes, complete[0].validationTimes));
  if (complete.length < 2) notes.push('PBO needs at least 2 complete configurations');
  else if (!sameCandles)
    notes.push(
      'PBO needs every configuration validated on the same candles; their epoch windows differ ' +
        '(recipes that split the folds otherwise: selection.windows, purge or embargo)',
    );
  else if (blocks === 0) notes.push(`PBO needs at least 20 validation candles (have ${rows})`);
  else {
    pbo = modelsProbabilityOfOverfitting(
      complete.map((c) => c.seedSeries.map((m) => m.returns)),
      blocks,
    );
  }
  return {
    trials: tried.length,
    earlierTrials,
    validationsPerJob: perJob,
    complete: complete.length,
    seeds: winner.seedSeries.length,
    dsr,
    ...(pbo ? { pbo } : {}),
    notes,
  };
}

/** Why earlier jobs could not be compared, as the verdict and report.html say it. */
export const UNCOMPARED_WHY = 'before overlap matching or validated on candles their training used';

/** The statistics and the winner against buy-and-hold, in plain words. */
export function verdict(
  stats: SelectionStatistics,
  winnerCleanTest: MeanSd | undefined,
  buyAndHoldTestSharpe: MeanAndSpread | undefined,
): string[] {
  const lines: string[] = [];
  if (!winnerCleanTest) return ['No configuration finished, so nothing was selected.'];
  const d = stats.dsr;
  const unc = stats.uncompared;
  const clause = unc
    ? `; ${unc.jobs} job(s) of earlier sweep(s) on this market, stored ${UNCOMPARED_WHY}, could not be ` +
      `compared and are not counted (the figure may be too high): rerun ${unc.sweeps.join(', ')} to count them`
    : '';
  const startAt = lines.length;
  if (d && !Number.isFinite(d.dsr)) {
    const what = d.trials <= 1 ? 'Probabilistic' : 'Deflated';
    lines.push(`${what} Sharpe ratio not computed: ${d.missing ?? 'the validation returns do not support it'}.`);
  } else if (d && d.trials <= 1) {
    // one configuration: nothing was selected, so there is nothing to deflate; say what the number is
    lines.push(
      `Only one configuration was run, so nothing was selected: probabilistic Sharpe ratio ${d.dsr.toFixed(3)} ` +
        `(${(d.dsr * 100).toFixed(0)}% confidence its true validation Sharpe is above 0).`,
    );
  } else if (d) {
    const pct = (d.dsr * 100).toFixed(0);
    const earlier = stats.earlierTrials
      ? `, ${stats.earlierTrials} of them by earlier sweeps in this database on overlapping candles ` +
        '(the same market, whatever the seed, validation windows sharing at least half their candles)'
      : '';
    const trials =
      `${d.trials} trials (${stats.trials} configuration(s) tried${earlier} × up to ${stats.validationsPerJob} ` +
      'epoch × margin validation(s) each job chose among on its validation window)';
    const head = `Deflated Sharpe ratio ${d.dsr.toFixed(3)}: after allowing for ${trials}, `;
    lines.push(
      d.dsr >= 0.95
        ? `${head}the winner's validation Sharpe is unlikely to be luck alone (${pct}% confidence its true Sharpe ` +
            `beats what the best of ${d.trials} trials would reach by chance).`
        : `${head}the winner's validation Sharpe could well be the luck of the draw (only ${pct}% confidence; ` +
            '95% is the usual bar).',
    );
  }
  // the deflated (or probabilistic) Sharpe line, when there is one, says what it could not count
  if (clause && lines.length > startAt) lines[startAt] = lines[startAt].replace(/\.$/, `${clause}.`);
  const p = stats.pbo;
  if (p) {
    const pct = (p.pbo * 100).toFixed(0);
    const head = `PBO ${p.pbo.toFixed(2)}: `;
    lines.push(
      p.pbo >= 0.5
        ? `${head}in ${pct}% of ${p.splits} splits the configuration that looked best on one half of the validation ` +
            'candles was median or worse on the other half. The selection is likely overfit; do not trust the ranking.'
        : p.pbo >= 0.2
          ? `${head}in ${pct}% of ${p.splits} splits the best configuration on one half was median or worse on the ` +
            'other. The ranking is only partly reliable.'
          : `${head}the configuration best on one half of the validation candles stayed above the median on the ` +
            `other half in ${100 - Number(pct)}% of ${p.splits} splits; the ranking looks stable.`,
    );
  }
  if (stats.seeds > 1 && (d || p))
    lines.push(
      `The Sharpe ratios these test are one trained model's: each seed's, averaged over the ${stats.seeds} seeds ` +
        "(not the Sharpe of the seeds' averaged returns, a mix no single model earns).",
    );
  const test = winnerCleanTest.mean.sharpe;
  if (test !== undefined && buyAndHoldTestSharpe !== undefined) {
    const where = 'On the test window(s) after every validation candle (nothing there informed the choice)';
    const bh = buyAndHoldTestSharpe;
    const beats = test > bh.mean ? 'beats' : 'does not beat';
    const note = spreadNote({ mean: test, sd: winnerCleanTest.sd.sharpe }, bh, (v) => v.toFixed(2));
    lines.push(
      `${where} the winner's mean Sharpe ${test.toFixed(2)} ${beats} buy-and-hold's ${bh.mean.toFixed(2)}${note}.`,
    );
  }
  for (const n of stats.notes) lines.push(`Note: ${n}.`);
  return lines;
}
