/**
 * Which configurations earlier sweeps in the same database tried on this plan's validation windows, so the deflated
 * Sharpe counts them as trials: a grid narrowed over successive sweeps is still a selection among all of them. A job
 * an earlier sweep stored counts on a job of this plan when both were judged on the very same windows (the same
 * window key), or when, whatever their seeds, their validation windows overlap by at least half the shorter one's
 * time (its candles, when none are missing) and they are the same market: this plan's series holds the very candles
 * the earlier window covered (a renamed file too), or, when it does not hold that whole span, the two have the same
 * exchange, symbol and timeframe (src/sweep/jobs.ts marketId). The windows move whenever the grid's largest warm-up
 * changes, a store refresh adds candles or --from moves, while the candles the user chose on stay mostly the same.
 * Not the seed: the user chose among configurations on those candles whatever seeds trained them, and --seed
 * reseeds --random's draw, so exploring draws by seed and then narrowing must not drop the earlier trials. An earlier
 * job keeps its own seed: its Sharpe is one model's, as every Sharpe the DSR compares (src/sweep/select.ts).
 * Erring on counting only lowers the DSR.
 */
import type { Candles } from '../core/candles.ts';
import { sliceCandles } from '../core/candles.ts';
import { timeframeMs } from '../data/timeframe.ts';
import { paramsLabel } from './grid.ts';
import { marketId, trialKey, windowKey, type JobSpec, type ValidationSpan } from './jobs.ts';
import type { SweepPlan } from './plan.ts';
import { candlesKey } from './candles-key.ts';
import type { JobOutcome } from './select.ts';
import type { EarlierJob, PlanWindow, SweepStore } from './store.ts';

/** The share of the shorter window's time two validation windows have in common for an earlier job to count. */
const MIN_OVERLAP = 0.5;

/** The time two spans share, as a share of the shorter one's (0 when they do not meet). */
function overlapShare(a: Omit<ValidationSpan, 'dataKey'>, b: Omit<ValidationSpan, 'dataKey'>): number {
  const shorter = Math.min(a.to - a.from, b.to - b.from);
  const common = Math.min(a.to, b.to) - Math.max(a.from, b.from);
  return shorter > 0 && common > 0 ? common / shorter : 0;
}

/** The hash of a series' candles over a span, or undefined when the series does not hold the whole span. */
function spanKeyIn(candles: Candles, span: ValidationSpan): string | undefined {
  const n = candles.ts.length;
  if (n === 0 || candles.ts[0] > span.from || candles.ts[n - 1] + timeframeMs(candles.timeframe) < span.to) return;
  const first = candles.ts.findIndex((t) => t >= span.from);
  const end = candles.ts.findIndex((t) => t >= span.to);
  return candlesKey(sliceCandles(candles, first, end < 0 ? n : end));
}

/**
 * How well an earlier job matches a job of this plan (`key` its window key, `held` the hash of its market's candles
 * over a span): 2 on the same window key, else the overlap share of the same market's validation windows, else 0.
 */
function matchOf(e: EarlierJob, j: JobSpec, key: string, held: (span: ValidationSpan) => string | undefined): number {
  if (e.windowKey === key) return 2; // above any overlap (at most 1): the very same candles
  if (!e.validationSpan) return 0;
  const share = overlapShare(e.validationSpan, j.validationSpan);
  if (share < MIN_OVERLAP) return 0;
  const here = held(e.validationSpan);
  const same = here !== undefined ? here === e.validationSpan.dataKey : e.marketId === marketId(j.market);
  return same ? share : 0;
}

/**
 * The plan's validation windows, once per market and span, for the store to read only the earlier jobs that could
 * match one (matchOf): the same market's by identity, or, where the market's series holds the earlier span, by the
 * hash of its candles over it (`held`: the earlier spans meeting the window whose candles the series has).
 */
function planWindows(
  store: SweepStore,
  plan: SweepPlan,
  heldBy: (market: number) => (span: ValidationSpan) => string | undefined,
): PlanWindow[] {
  const windows = new Map<string, PlanWindow & { market: number }>();
  plan.jobs.forEach((j) => {
    const market = plan.markets.findIndex((m) => m.ref.dataKey === j.market.dataKey);
    const { ts, timeframe } = plan.markets[market].candles;
    const key = `${market}:${j.validationSpan.from}:${j.validationSpan.to}`;
    if (windows.has(key)) return;
    const { from, to } = j.validationSpan;
    const heldTo = ts.length ? ts[ts.length - 1] + timeframeMs(timeframe) : -Infinity;
    windows.set(key, { from, to, marketId: marketId(j.market), heldFrom: ts[0] ?? Infinity, heldTo, held: [], market });
  });
  const spans = store.earlierSpans([...windows.values()]);
  return [...windows.values()].map(({ market, ...w }) => ({
    ...w,
    held: spans.filter((s) => s.from < w.to && s.to > w.from && heldBy(market)(s) === s.dataKey).map((s) => s.dataKey),
  }));
}

/**
 * The results earlier sweeps in this database stored for other configurations on this plan's windows, each placed
 * on the (market, fold) of the plan's job it overlaps most (each configuration and seed once per window: the
 * best-matching result).
 */
export function earlierOutcomes(store: SweepStore, plan: SweepPlan): JobOutcome[] {
  const windows = new Map<string, JobSpec>(plan.jobs.map((j) => [windowKey(j), j]));
  const marketIndex = new Map(plan.markets.map((m, i) => [m.ref.dataKey, i]));
  const current = [...new Set(plan.jobs.map(trialKey))];
  const hashes = new Map<string, string | undefined>();
  const heldBy = (market: number) => (span: ValidationSpan) => {
    const at = `${market}:${span.from}:${span.to}`;
    if (!hashes.has(at)) hashes.set(at, spanKeyIn(plan.markets[market].candles, span));
    return hashes.get(at);
  };
  const best = new Map<string, { score: number; job: JobSpec; earlier: EarlierJob }>();
  for (const e of store.earlierJobs([...windows.keys()], current, planWindows(store, plan, heldBy))) {
    let placed: { score: number; job: JobSpec; key: string } | undefined;
    for (const [key, job] of windows) {
      const score = matchOf(e, job, key, heldBy(marketIndex.get(job.market.dataKey) ?? 0));
      if (score > (placed?.score ?? 0)) placed = { score, job, key };
    }
    if (!placed) continue;
    const slot = `${e.trialKey}\0${placed.job.market.dataKey}\0${placed.job.fold.index}\0${e.seed}`;
    if (placed.score > (best.get(slot)?.score ?? 0)) best.set(slot, { ...placed, earlier: e });
  }
  return [...best.values()].flatMap(({ job: j, earlier: e }) => {
    const result = store.result(e.jobId);
    if (!result) return [];
    return [
      {
        jobId: e.jobId,
        configKey: e.trialKey,
        params: e.params,
        label: paramsLabel(e.params),
        market: marketIndex.get(j.market.dataKey) ?? 0,
        fold: j.fold.index,
        seed: e.seed,
        result,
      },
    ];
  });
}

/**
 * What earlier sweeps stored on this plan's markets (by label), whatever their seeds, that earlierOutcomes cannot
 * compare: before sweep schema 4, no validation span to overlap and not on this plan's exact windows; before schema
 * 5, validated on candles their training used (store.ts uncomparedEarlierJobs). Not counted as trials, so the verdict
 * says so (a narrowed grid would otherwise look like the only one tried).
 */
export function uncomparedEarlier(store: SweepStore, plan: SweepPlan): { jobs: number; sweeps: string[] } {
  return store.uncomparedEarlierJobs(
    plan.markets.map((m) => m.ref.label),
    plan.jobs.map(windowKey),
    plan.configurations.map((c) => c.key),
    [...new Set(plan.jobs.map(trialKey))],
  );
}
