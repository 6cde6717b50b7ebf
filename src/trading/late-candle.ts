/**
 * A candle the exchange publishes late: which candle a tick misses, and looking for it again with a short backoff for
 * a bounded time (trading.lateCandleWaitSeconds), so its decision is made in this tick rather than the next one, a
 * whole timeframe later (the backtest fills it at the next open; a live run used to pass over it altogether). One
 * market's run and a portfolio run (every traded market and informative series) wait the same way.
 */
import { PastDeadlineError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { CandleStore } from '../data/store.ts';
import { isoTime } from '../data/timeframe.ts';

/** One series a run reads, as the store keys it. */
interface SeriesKey {
  exchange: string;
  symbol: string;
  timeframe: string;
}

/** The first wait between two looks; each look after doubles it, up to LOOK_MAX_MS. */
const LOOK_FIRST_MS = 1000;
const LOOK_MAX_MS = 8000;
/** How often a wait asks whether the trader is stopping (a Ctrl-C must not wait out the bound). */
const STOP_LOOK_MS = 200;

/**
 * The open time of the candle that has closed by `closedOpen` (the newest open time whose candle has closed) but the
 * store lacks: the one after the store's candle of the interval before, on that candle's grid (hourly candles at :30
 * included). Undefined when the newest closed candle is stored, or when the interval before is empty too (downtime,
 * an exchange with no trades for longer, a closed session: the catch-up's business, not a late publication), or when
 * the market keeps that slot closed every week (closedEveryWeek).
 */
function lateCandle(store: CandleStore, series: SeriesKey, closedOpen: number, stepMs: number): number | undefined {
  const { exchange, symbol, timeframe } = series;
  if (store.load(exchange, symbol, timeframe, closedOpen - stepMs + 1, closedOpen + 1).ts.length > 0) return undefined;
  const before = store.load(exchange, symbol, timeframe, closedOpen - 2 * stepMs + 1, closedOpen - stepMs + 1).ts;
  if (before.length === 0) return undefined;
  const ts = before[before.length - 1] + stepMs;
  return closedEveryWeek(store, series, ts) ? undefined : ts;
}

const WEEK_MS = 7 * 24 * 3_600_000;

/**
 * Whether the market keeps the slot at `ts` closed every week: the store holds the week before that slot's time a week
 * ago, but no candle at that time. A stock market's Saturday, or the first hour after its session closes, is not a late
 * candle; waiting for it cost the whole bound and a false warning at every close. A 24/7 market has last week's candle
 * and waits as before. A slot empty a week ago by chance (a holiday, an hour without trades) is not waited for once:
 * the tick does what it did before it waited for late candles (a paper run's next tick catches up on the candle).
 */
function closedEveryWeek(store: CandleStore, s: SeriesKey, ts: number): boolean {
  const weekAgo = ts - WEEK_MS;
  if (store.load(s.exchange, s.symbol, s.timeframe, weekAgo, weekAgo + 1).ts.length > 0) return false;
  return store.load(s.exchange, s.symbol, s.timeframe, weekAgo - WEEK_MS, weekAgo).ts.length > 0;
}

/**
 * Calls `look` (fetch again; true once the candle is in) after 1 s, 2 s, 4 s, 8 s, 8 s, … until it is true or `waitMs`
 * of real time has passed (measured on the monotonic clock: a trader on a fixed `--now` still gives up), the last look
 * at the bound. Stops between looks as soon as `shouldStop` says so. Each look is given the bound's deadline
 * (performance.now() time), so that a wait inside it (the feed's, for a candle the exchange still has open) ends by it
 * and no retry of a failed request starts after it.
 */
async function lookAgainForLateCandle(o: {
  waitMs: number;
  look: (deadline: number) => Promise<boolean>;
  shouldStop?: () => boolean;
}): Promise<'arrived' | 'stopped' | 'gave-up'> {
  const deadline = performance.now() + o.waitMs;
  let gapMs = LOOK_FIRST_MS;
  for (;;) {
    const lookAt = Math.min(deadline, performance.now() + gapMs);
    gapMs = Math.min(LOOK_MAX_MS, gapMs * 2);
    for (let left = lookAt - performance.now(); left > 0; left = lookAt - performance.now()) {
      if (o.shouldStop?.()) return 'stopped';
      await new Promise((resolve) => setTimeout(resolve, Math.min(STOP_LOOK_MS, left)));
    }
    if (o.shouldStop?.()) return 'stopped';
    if (await o.look(deadline)) return 'arrived';
    if (performance.now() >= deadline) return 'gave-up';
  }
}

/**
 * After a tick's fetch: when any of `series` lacks its just-closed candle (`lateCandle`, not before `notBefore`, the
 * run's first candle), calls `fetch` with the series still missing after 1 s, 2 s, 4 s, … until all are in or
 * `waitMs` (at most half of `stepMs`; 0: no wait, nothing looked at) has passed, or `shouldStop` says so; `fetch` is
 * given the bound's deadline (performance.now() time) for the waits and retries it makes itself; a look whose fetch
 * failed with no retry left by then (PastDeadlineError) counts as one that found nothing, its fault named in the line
 * at the bound, rather than failing the tick. Logs one line when they came (acting on them now) and one at the bound
 * naming the series still missing. Returns how many candles the looks fetched.
 */
export async function waitForLateCandles(o: {
  store: CandleStore;
  series: readonly SeriesKey[];
  closedOpen: number;
  stepMs: number;
  notBefore: number;
  waitMs: number;
  fetch: (missing: readonly SeriesKey[], deadline: number) => Promise<number>;
  shouldStop?: () => boolean;
  logger: Logger;
  /** What the run does without the missing candles, for the line at the bound. */
  atBound: string;
}): Promise<number> {
  const missing = () =>
    o.series.flatMap((s) => {
      const ts = lateCandle(o.store, s, o.closedOpen, o.stepMs);
      return ts !== undefined && ts >= o.notBefore ? [{ series: s, ts }] : [];
    });
  // never past half a candle: the next candle's tick must not find this one still waiting
  const waitMs = Math.min(o.waitMs, o.stepMs / 2);
  if (!(waitMs > 0)) return 0;
  const late = missing();
  if (late.length === 0) return 0;
  let fetched = 0;
  let still = late;
  // a look whose exchange fault could not be retried by the bound (PastDeadlineError): the bound stands
  let cut: PastDeadlineError | undefined;
  const outcome = await lookAgainForLateCandle({
    waitMs,
    shouldStop: o.shouldStop,
    look: async (deadline) => {
      cut = undefined;
      try {
        fetched += await o.fetch(
          still.map((m) => m.series),
          deadline,
        );
      } catch (e) {
        if (!(e instanceof PastDeadlineError)) throw e;
        cut = e;
      }
      still = missing();
      return still.length === 0;
    },
  });
  const one = (several: string, single: string, of = still) => (of.length > 1 ? several : single);
  if (outcome === 'arrived')
    o.logger.info(
      `${named(late)} ${one('were', 'was', late)} published late; acting on ${one('them', 'it', late)} now`,
    );
  else if (outcome === 'gave-up') {
    const failed = cut ? `; the last look failed: ${cut.message}` : '';
    o.logger.warn(
      `${named(still)} ${one('have', 'has')} closed but the exchange has not published ${one('them', 'it')} after ` +
        `${Math.round(waitMs / 1000)} s (trading.lateCandleWaitSeconds${failed}); ${o.atBound}`,
    );
  }
  return fetched;
}

/** "BTC/KRW 1h: the candle 2024-01-05T10:00:00Z", several joined by "; ". */
function named(late: readonly { series: SeriesKey; ts: number }[]): string {
  return late.map(({ series: s, ts }) => `${s.symbol} ${s.timeframe}: the candle ${isoTime(ts)}`).join('; ');
}
