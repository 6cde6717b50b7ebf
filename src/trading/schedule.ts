/** When the trader ticks: a cron expression per timeframe and the scheduler. */
import cron from 'node-cron';
import { timeframeMs } from '../data/timeframe.ts';
import { UserError } from '../core/errors.ts';

/** Monday 1970-01-05 00:00 UTC: weekly candles (and the weekly cron) start their week on a Monday. */
const WEEK_ORIGIN = 4 * 86_400_000;

/**
 * How far after the UTC grid cronForTimeframe assumes (whole hours and days from midnight, weeks from Monday) the
 * candle opened at `ts` opens: 30 minutes for hourly candles at 09:30, 10:30, … (an exchange's session, a stock
 * market's), 0 for the usual grid.
 */
function candleOffsetMs(ts: number, timeframe: string): number {
  const tf = timeframeMs(timeframe);
  const origin = tf === 7 * 86_400_000 ? WEEK_ORIGIN : 0;
  return (((ts - origin) % tf) + tf) % tf;
}

/**
 * A six-field (with seconds) cron expression, in UTC, that fires `delaySeconds` after every candle of `timeframe`
 * closes, for candles that open `offsetMs` after the UTC grid (candleOffsetMs). Timeframes that do not divide an hour
 * or a day evenly fall back to every minute; the trader itself checks whether a new candle has closed, so an extra
 * firing costs nothing but a clock read.
 */
export function cronForTimeframe(timeframe: string, delaySeconds: number, offsetMs = 0): string {
  const ms = timeframeMs(timeframe);
  const minutes = ms / 60_000;
  const total = Math.round(delaySeconds + offsetMs / 1000);
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  if (minutes < 60 && 60 % minutes === 0 && total < minutes * 60) {
    const first = Math.floor(total / 60);
    return minutes === 1 ? `${s} * * * * *` : `${s} ${first}-59/${minutes} * * * *`;
  }
  const hours = minutes / 60;
  if (Number.isInteger(hours) && hours < 24 && 24 % hours === 0 && h < hours)
    return hours === 1 ? `${s} ${m} * * * *` : `${s} ${m} ${h}-23/${hours} * * *`;
  if (hours === 24 && h < 24) return `${s} ${m} ${h} * * *`;
  if (hours === 168 && h < 168) return `${s} ${m} ${h % 24} * * ${(1 + Math.floor(h / 24)) % 7}`;
  return `${s} * * * * *`;
}

/**
 * The trader loop's ticks for a timeframe: the cron on the UTC grid to start with, the cron for a market whose
 * candles open off it (the loop's followCandles), and when a failed tick is tried again.
 */
export function tickSchedule(
  timeframe: string,
  delaySeconds: number,
  exchangeMaxBackoffMs: number,
): {
  expression: string;
  followCandles: (ts: number) => string;
  retryFailedTick: { firstMs: number; maxMs: number };
} {
  const tf = timeframeMs(timeframe);
  return {
    expression: cronForTimeframe(timeframe, delaySeconds),
    followCandles: (ts) => cronForTimeframe(timeframe, delaySeconds, candleOffsetMs(ts, timeframe)),
    // a failed tick has spent the data layer's retries already: try it again from the longest wait between them,
    // never waiting longer than a tenth of the timeframe
    retryFailedTick: { firstMs: Math.min(exchangeMaxBackoffMs, tf / 10), maxMs: tf / 10 },
  };
}

export function checkCron(expression: string, flag: string): void {
  if (!cron.validate(expression))
    throw new UserError(`${flag}: "${expression}" is not a cron expression (e.g. "0 3 * * *" for 03:00 every day)`);
}

export interface Scheduled {
  stop(): Promise<void>;
  nextRun(): Date | null;
}

/** Runs `fn` on a cron expression (UTC), never two at once; failures are reported, never thrown. */
export function scheduleTask(
  expression: string,
  name: string,
  fn: () => Promise<void>,
  onError: (e: unknown) => void,
): Scheduled {
  const task = cron.schedule(
    expression,
    async () => {
      try {
        await fn();
      } catch (e) {
        onError(e);
      }
    },
    { name, timezone: 'Etc/UTC', noOverlap: true },
  );
  return {
    async stop() {
      await task.stop();
      await task.destroy();
    },
    nextRun: () => task.getNextRun(),
  };
}
