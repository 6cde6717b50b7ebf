/** The trader on a clock: ticks on a schedule, catch-up, retrains and stopping. */
import { logToFile, type Logger } from '../core/log.ts';
import { isoTime } from '../data/timeframe.ts';
import { ExchangeRefusedError, shortError } from '../data/exchange.ts';
import { OffGridError } from '../data/grid.ts';
import type { Lock } from './lock.ts';
import { scheduleTask, type Scheduled } from './schedule.ts';
import type { RunTrader, TickReport } from './trader.ts';
import { HaltError, ModelRefusedError, RunRefusedError, type UserError } from '../core/errors.ts';

interface TraderLoopOptions {
  trader: RunTrader;
  /** Cron expression (with seconds, UTC) of the ticks. */
  expression: string;
  /**
   * The ticks' cron expression for a market whose newest candle opened at `ts`; after a tick reports candles off the
   * grid of the current expression (hourly candles at 09:30, 10:30, …), the ticks follow them (one log line).
   */
  followCandles?: (ts: number) => string;
  logger: Logger;
  lock?: Lock;
  /**
   * Scheduled retraining (it must not be able to hurt trading: run it in a child process). `stop` ends a retrain in
   * flight when the loop stops, so that none outlives the trader; it must not throw.
   */
  retrain?: { expression: string; run: () => Promise<void>; stop?: () => Promise<void> };
  /**
   * A failed tick is tried again after `firstMs`, doubling up to `maxMs`, until one succeeds (a scheduled firing
   * meanwhile ticks as usual): an exchange down for a few minutes at the close delayed the decision by a whole candle.
   */
  retryFailedTick?: { firstMs: number; maxMs: number };
  /** Stop on SIGINT / SIGTERM (default true). */
  handleSignals?: boolean;
  onTick?: (report: TickReport) => void;
  /** A tick failed (not a halt); the loop carries on. For notifications: must not throw. */
  onTickError?: (message: string) => void;
  /**
   * The way around a failed tick's error, when the command knows one (paper on the wall clock: the offline replay for
   * an unreachable exchange); the first failure it fits says it, the retries after it not again.
   */
  tickErrorHint?: (e: unknown) => string | undefined;
  schedule?: typeof scheduleTask;
}

/**
 * A finished tick's log line (the clocked loop's and `--once`'s): the candles acted on and the last decision, the
 * candles passed over while paused from the dashboard, or (debug) no new closed candle.
 */
function tickLine(report: TickReport): { level: 'info' | 'debug'; message: string; meta: { fetched: number } } {
  const meta = { fetched: report.fetched };
  const last = report.decisions.at(-1);
  const paused = report.paused ? 'paused from the dashboard, passing over closed candles' : undefined;
  if (last) {
    const acted = `tick: acted on ${report.acted} candle(s), last ${isoTime(last.ts)} → ${last.action}`;
    return { level: 'info', message: paused ? `${acted}; then ${paused}` : acted, meta };
  }
  if (paused) return { level: 'info', message: `tick: ${paused}`, meta };
  return { level: 'debug', message: 'tick: no new closed candle', meta };
}

/** A `--once` tick's line (tickLine) in the log file only: the command prints its own line on stdout. */
export function logOnceTick(logger: Logger, report: TickReport): void {
  const line = tickLine(report);
  logToFile(logger, line.level, line.message, line.meta);
}

interface RunningLoop {
  /** Resolves when the loop has stopped: after a signal (the tick in flight finishes first) or a halt. */
  done: Promise<{ reason: 'stopped' | 'halted' | 'refused'; message?: string }>;
  stop(): Promise<void>;
  nextTick(): Date | null;
}

/**
 * What fails a first tick for good, as it fails an unclocked start (--once): the exchange refusing the run's requests
 * (bad keys, no such market), fetched candles off the stored series' grid and a model whose files loaded but that
 * cannot serve the run's candles (ModelRefusedError). The run's own refusals (RunRefusedError: a new run without the
 * minimum order free, a stored run that cannot trade) end the loop at any tick. An exchange that did not answer is
 * tried again, as at any tick.
 */
function refusesStart(e: unknown): e is UserError {
  return e instanceof ExchangeRefusedError || e instanceof OffGridError || e instanceof ModelRefusedError;
}

/**
 * A refusal no retry changes at any tick: the run's own (RunRefusedError), or a new run's model met first after ticks
 * all in its warm-up (ModelRefusedError.unserved): as a first tick's, the loop used to retry it at every tick.
 */
const refusesRun = (e: unknown): e is UserError =>
  e instanceof RunRefusedError || (e instanceof ModelRefusedError && e.unserved);

/**
 * The trader on a clock: one tick right away (catching up on anything missed while down), then one per cron firing.
 * Ticks never overlap. A failed tick (exchange down after all retries) is logged and the next one catches up; fetched
 * candles off the stored grid after a tick succeeded are one line and wait for the scheduled ticks (sayDataFault);
 * only a halt (kill switch) or a refusal no retry changes (refusesRun; before a tick succeeded, refusesStart)
 * ends the loop on its own.
 */
export function startTraderLoop(o: TraderLoopOptions): RunningLoop {
  const schedule = o.schedule ?? scheduleTask;
  let inFlight: Promise<void> = Promise.resolve();
  let stopping = false;
  let finish!: (v: { reason: 'stopped' | 'halted' | 'refused'; message?: string }) => void;
  const done = new Promise<{ reason: 'stopped' | 'halted' | 'refused'; message?: string }>((r) => (finish = r));
  const tasks: Scheduled[] = [];
  let busy = false;
  /** A tick has succeeded: from then on, a failed tick is tried again whatever failed. */
  let started = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = o.retryFailedTick?.firstMs ?? 0;
  /** Whether a failed tick has said the hint (tickErrorHint). */
  let hinted = false;
  /** After a failed tick: one more try later, each failure doubling the wait (a success resets it). */
  const retryLater = (): void => {
    const r = o.retryFailedTick;
    if (!r || stopping) return;
    clearTimeout(retryTimer);
    o.logger.warn(`trying the tick again in ${Math.round(retryMs / 1000)} s`);
    retryTimer = setTimeout(() => void tick(), retryMs);
    retryMs = Math.min(r.maxMs, retryMs * 2);
  };

  /** The data fault the ticks since the last one that succeeded failed on (said once), see sayDataFault. */
  let dataFault: string | undefined;
  /**
   * After a tick succeeded, fetched candles off the stored series' grid (OffGridError) fail the tick with nothing
   * stored or decided, as at the first tick; but the run has decided before, and the exchange's data may be mended:
   * the loop carries on at its scheduled ticks, each looking again. The fault is one error line until a tick succeeds
   * (then one line says so), not a quick retry: trying again in seconds finds the same candles, and each try logged
   * its line. As a model version given up or an order refusal held (refusal-holds.ts): said once, no halt, since no
   * decision and no order is made on the data; a halt is kept for what needs the user before trading goes on.
   */
  const sayDataFault = (e: OffGridError): void => {
    const message = shortError(e);
    if (dataFault !== undefined) {
      o.logger.debug(`tick: still no decision, the fetched candles are off the stored grid: ${message}`);
      return;
    }
    dataFault = message;
    o.logger.error(`tick decided nothing, the next scheduled tick looks again: ${message}`);
    o.onTickError?.(message);
  };

  const tick = async (): Promise<void> => {
    if (stopping || busy) return;
    busy = true;
    const run = (async () => {
      try {
        const report = await o.trader.tick({ shouldStop: () => stopping });
        o.lock?.heartbeat();
        if (report.interrupted) {
          o.logger.info(
            `stopping mid catch-up after ${report.acted} candle(s), ` +
              `last ${isoTime(report.lastTs ?? 0)}; the next start carries on from there`,
          );
        } else {
          const line = tickLine(report);
          o.logger.log(line.level, line.message, line.meta);
        }
        started = true;
        if (dataFault) o.logger.info(`tick: the fetched candles are stored and decided on again (after: ${dataFault})`);
        dataFault = undefined;
        follow(report.newestOpen);
        clearTimeout(retryTimer);
        retryMs = o.retryFailedTick?.firstMs ?? 0;
        o.onTick?.(report);
      } catch (e) {
        if (e instanceof HaltError) {
          // not logged here: the command ends on it, and its ending error is the one line (cli/main.ts)
          void stop('halted', e.message);
          return;
        }
        // no retry changes the stored run: the loop ends and the command says why in one line
        if (refusesRun(e) || (!started && refusesStart(e))) {
          void stop('refused', e.message);
          return;
        }
        o.lock?.heartbeat();
        if (e instanceof OffGridError) {
          sayDataFault(e);
          return;
        }
        const hint = hinted ? undefined : o.tickErrorHint?.(e);
        hinted ||= hint !== undefined;
        o.logger.error(`tick failed, the next tick catches up: ${shortError(e)}${hint ? `; ${hint}` : ''}`);
        o.onTickError?.(shortError(e));
        retryLater();
      } finally {
        busy = false;
      }
    })();
    inFlight = run;
    await run;
  };

  let expression = o.expression;
  /** Moves the ticks onto the grid of the market's candles (a cron fixed at :00 acted 30 minutes late at :30). */
  const follow = (newestOpen: number | undefined): void => {
    if (newestOpen === undefined || !o.followCandles || stopping) return;
    const wanted = o.followCandles(newestOpen);
    if (wanted === expression) return;
    o.logger.info(`ticks follow the market's candles (the newest opened at ${isoTime(newestOpen)})`, {
      cron: wanted,
      was: expression,
    });
    const old = tasks[0];
    expression = wanted;
    tasks[0] = schedule(wanted, 'trader-tick', tick, onError);
    void old.stop();
  };

  const onSignal = (sig: NodeJS.Signals) => {
    o.logger.info(`${sig}: finishing the current tick, then stopping`);
    void stop('stopped');
  };

  async function stop(reason: 'stopped' | 'halted' | 'refused' = 'stopped', message?: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    // first, before any await: the retrain child is told now (a Ctrl-C may have reached it too)
    const retrainStopped = o.retrain?.stop?.();
    if (o.handleSignals !== false) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    clearTimeout(retryTimer);
    for (const t of tasks) await t.stop();
    await Promise.all([inFlight, retrainStopped]);
    finish({ reason, message });
  }

  if (o.handleSignals !== false) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const onError = (e: unknown) => o.logger.error(`scheduled job failed: ${shortError(e)}`);
  tasks.push(schedule(o.expression, 'trader-tick', tick, onError));
  if (o.retrain) {
    const retrain = o.retrain;
    tasks.push(schedule(retrain.expression, 'retrain', () => retrain.run(), onError));
  }
  void tick();
  return { done, stop: () => stop('stopped'), nextTick: () => tasks[0]?.nextRun() ?? null };
}
