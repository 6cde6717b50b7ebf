/**
 * A candle the exchange publishes late: which candle a tick misses, and looking for it again with a short backoff for
 * a bounded time (trading.lateCandleWaitSeconds), so its decision is made in this tick rather than the next one, a
 * whole timeframe later (the backtest fills it at the next open; a live run used to pass over it altogether).
 */
import type { CandleStore } from '../data/store.ts';

/** The first wait between two looks; each look after doubles it, up to LOOK_MAX_MS. */
const LOOK_FIRST_MS = 1000;
const LOOK_MAX_MS = 8000;
/** How often a wait asks whether the trader is stopping (a Ctrl-C must not wait out the bound). */
const STOP_LOOK_MS = 200;

/**
 * The open time of the candle that has closed by `closedOpen` (the newest open time whose candle has closed) but the
 * store lacks: the one after the store's candle of the interval before, on that candle's grid (hourly candles at :30
 * included). Undefined when the newest closed candle is stored, or when the interval before is empty too (downtime,
 * an exchange with no trades for longer, a closed session: the catch-up's business, not a late publication).
 */
export function lateCandle(
  store: CandleStore,
  series: { exchange: string; symbol: string; timeframe: string },
  closedOpen: number,
  stepMs: number,
): number | undefined {
  const { exchange, symbol, timeframe } = series;
  if (store.load(exchange, symbol, timeframe, closedOpen - stepMs + 1, closedOpen + 1).ts.length > 0) return undefined;
  const before = store.load(exchange, symbol, timeframe, closedOpen - 2 * stepMs + 1, closedOpen - stepMs + 1).ts;
  return before.length > 0 ? before[before.length - 1] + stepMs : undefined;
}

/**
 * Calls `look` (fetch again; true once the candle is in) after 1 s, 2 s, 4 s, 8 s, 8 s, … until it is true or `waitMs`
 * of real time has passed (measured on the monotonic clock: a trader on a fixed `--now` still gives up), the last look
 * at the bound. Stops between looks as soon as `shouldStop` says so.
 */
export async function lookAgainForLateCandle(o: {
  waitMs: number;
  look: () => Promise<boolean>;
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
    if (await o.look()) return 'arrived';
    if (performance.now() >= deadline) return 'gave-up';
  }
}
