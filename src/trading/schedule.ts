/** When the trader ticks: a cron expression per timeframe and the scheduler. */
import cron from 'node-cron';
import { timeframeMs } from '../data/timeframe.ts';
import { UserError } from '../core/errors.ts';

/**
 * A six-field (with seconds) cron expression, in UTC, that fires `delaySeconds` after every candle of `timeframe`
 * closes. Timeframes that do not divide an hour or a day evenly fall back to every minute; the trader itself checks
 * whether a new candle has closed, so an extra firing costs nothing but a clock read.
 */
export function cronForTimeframe(timeframe: string, delaySeconds: number): string {
  const ms = timeframeMs(timeframe);
  const minutes = ms / 60_000;
  const s = delaySeconds % 60;
  const m = Math.floor(delaySeconds / 60);
  if (minutes < 60 && 60 % minutes === 0 && m < minutes)
    return minutes === 1 ? `${s} * * * * *` : `${s} ${m}-59/${minutes} * * * *`;
  const hours = minutes / 60;
  if (Number.isInteger(hours) && hours < 24 && 24 % hours === 0 && m < 60)
    return hours === 1 ? `${s} ${m} * * * *` : `${s} ${m} 0-23/${hours} * * *`;
  if (hours === 24 && m < 60) return `${s} ${m} 0 * * *`;
  if (hours === 168 && m < 60) return `${s} ${m} 0 * * 1`;
  return `${s} * * * * *`;
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
