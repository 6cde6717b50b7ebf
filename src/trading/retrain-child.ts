/** Scheduled retrains as a child `bot retrain` process. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../core/project-root.ts';
import type { Logger } from '../core/log.ts';
import { currentVersion, removeStaging } from '../agents/model-pointer.ts';
import type { CandleStore } from '../data/store.ts';
import { RETRAIN_PARENT_ENV } from './parent-watch.ts';
import { closeKilledRetrains } from './killed-retrains.ts';

interface RetrainFlags {
  config?: string;
  db?: string;
  exchange?: string;
  symbol?: string;
  /** A portfolio model's markets (`--symbols`, issue 14). */
  symbols?: string;
  /** The portfolio run's baseline period and rebalance band: the child judges its challenger as the run trades. */
  rebalanceEvery?: string;
  band?: string;
  /** The run's `--market-costs`: the child judges with the costs the run trades at. */
  marketCosts?: string;
  /** The run's fixed clock (`--now`): the child retrains on the candles the run can see, none after. */
  now?: string;
  timeframe?: string;
  backend?: string;
  logLevel?: string;
  retrainStrategy?: string;
}

/** The version CURRENT names; never throws (it runs in a child's exit handler, inside the trader process). */
function servingVersion(home: string): string | undefined {
  try {
    return currentVersion(home);
  } catch {
    return undefined;
  }
}

/** A scheduled retrain runner: each call runs one child; `stop()` ends the running one for a shutdown. */
type RetrainChildRunner = (() => Promise<void>) & { stop(): Promise<void> };

/** How long a retrain child has to exit after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 5_000;

interface RetrainChildOptions {
  /** The database the child records its retrain in (the trader's own): a killed child's `running` row is closed. */
  db?: CandleStore['db'];
  /** The trader's clock, for such a row's finish time (the wall clock by default). */
  clock?: () => number;
  graceMs?: number;
}

/**
 * The signals that stop a whole bot, not just its child: a terminal's Ctrl-C (SIGINT) and hangup (SIGHUP) reach
 * its foreground process group, `kill -- -PGID` and a supervisor (systemd stops a unit's whole cgroup with SIGTERM)
 * reach every process at once. A crash ends a child otherwise: a non-zero exit, SIGABRT (a tfjs abort), SIGSEGV,
 * SIGKILL (the OOM killer).
 */
const STOP_SIGNALS: ReadonlySet<string> = new Set(['SIGINT', 'SIGTERM', 'SIGHUP']);

/** How long a child's death by a stop signal waits for the trader's own shutdown (the same signal) to begin. */
const SHUTDOWN_SETTLE_MS = 1_000;

/**
 * A scheduled retrain run as a child `bot retrain` process: a crash, a tfjs abort or running out of memory there
 * cannot take the trader down. The child promotes through the model pointer; the trader picks it up at its next tick.
 * `stop()` (the trader is shutting down) sends the running child SIGTERM, then SIGKILL after a grace period, and
 * resolves once it has exited and its line is logged, so that nothing of the bot keeps running (or promotes) after it
 * stopped. A child killed before its one atomic pointer switch leaves CURRENT, and so the serving model, untouched;
 * the runner removes the staging folder such a child leaves (named by its pid, see `removeStaging`), and closes the
 * `trading_retrains` row it left `running` in `db` as failed (closeKilledRetrains): only the next retrain of the home
 * would close it otherwise, and until then `bot status` and the dashboard showed a dead retrain as running.
 *
 * The child stays in the trader's process group, so a Ctrl-C reaches both and the child may die of SIGINT before
 * the trader's own SIGINT handler has called `stop()` (the order of the two events is not fixed). That death is a
 * stop, not a failure: a child that died of a stop signal waits up to SHUTDOWN_SETTLE_MS for the shutdown to begin
 * and is logged as stopped by it, or, with no shutdown, as stopped from outside; never as failed. Spawning it
 * `detached` (its own process group, so that only the trader decides) was rejected: a signal to the bot's process
 * group (a closed terminal, `kill -- -PGID`) should stop the child at once, not through a trader that may be dead.
 * A trader that dies without stopping its child (SIGKILL to it alone, the OOM killer) is noticed by the child's watch
 * thread (src/trading/parent-watch.ts), which stops the child: no orphan trains, or promotes, on its own.
 */
export function retrainChildRunner(
  flags: RetrainFlags,
  modelHome: string,
  logger: Logger,
  { db, clock = Date.now, graceMs = STOP_GRACE_MS }: RetrainChildOptions = {},
): RetrainChildRunner {
  let running: { child: ChildProcess; done: Promise<void>; stopped: boolean } | undefined;
  let shutDown = false;
  let shutdownBegins!: () => void;
  const shutdownBegun = new Promise<void>((r) => (shutdownBegins = r));

  /** Resolves when the shutdown begins or after `ms`, whichever is first. */
  const shutdownWithin = async (ms: number): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([shutdownBegun, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  };

  /**
   * The child's one line, then its leftover staging folders removed and, after a death not its own (a signal, a
   * crash), its `running` row closed; never throws (it runs in an exit handler).
   */
  const settle = async (
    entry: { child: ChildProcess; stopped: boolean },
    serving: string | undefined,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): Promise<void> => {
    const how = signal ?? `exit ${code}`;
    const stopSignal = signal !== null && STOP_SIGNALS.has(signal);
    if (code === 0) logger.info('scheduled retrain finished');
    else {
      if (stopSignal && !entry.stopped && !shutDown) await shutdownWithin(SHUTDOWN_SETTLE_MS);
      const now = servingVersion(modelHome);
      const outcome =
        now === serving ? '; nothing was promoted, the current model keeps serving' : ` after promoting ${now}`;
      if (entry.stopped || shutDown) logger.warn(`scheduled retrain stopped by the shutdown (${how})${outcome}`);
      else if (stopSignal) logger.warn(`scheduled retrain stopped by ${how} from outside the trader${outcome}`);
      else logger.error(`scheduled retrain failed (${how}); trading continues with the current model`);
    }
    const pid = entry.child.pid;
    try {
      const removed = removeStaging(modelHome, (writer) => writer === pid);
      if (removed.length) logger.warn(`scheduled retrain: removed its staging folder(s) ${removed.join(', ')}`);
    } catch (e) {
      logger.warn(`scheduled retrain: could not remove its staging folder (${(e as Error).message})`);
    }
    if (code === 0 || !db || pid === undefined) return;
    try {
      closeKilledRetrains(modelHome, db, clock, logger, (writer) => writer === pid);
    } catch (e) {
      logger.warn(`scheduled retrain: could not close its trading_retrains row (${(e as Error).message})`);
    }
  };

  const run = (): Promise<void> => {
    if (shutDown) return Promise.resolve();
    const args = [path.join(PROJECT_ROOT, 'src/cli/bot.js'), 'retrain', '--model', modelHome];
    if (flags.retrainStrategy) args.push('--strategy', flags.retrainStrategy);
    for (const [flag, v] of [
      ['--config', flags.config],
      ['--db', flags.db],
      ['--exchange', flags.exchange],
      ['--symbol', flags.symbol],
      ['--symbols', flags.symbols],
      ['--rebalance-every', flags.rebalanceEvery],
      ['--band', flags.band],
      ['--market-costs', flags.marketCosts],
      ['--now', flags.now],
      ['--timeframe', flags.timeframe],
      ['--backend', flags.backend],
      ['--log-level', flags.logLevel],
    ] as const) {
      if (v !== undefined) args.push(flag, v);
    }
    const serving = servingVersion(modelHome);
    // the child watches this pid and stops itself if the trader dies without stopping it (parent-watch.ts)
    const env = { ...process.env, [RETRAIN_PARENT_ENV]: String(process.pid) };
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    logger.info('scheduled retrain starting', { model: modelHome, pid: child.pid });
    let settled!: () => void;
    const logged = new Promise<void>((r) => (settled = r));
    const closed = new Promise<void>((r) => child.once('close', () => r()));
    const entry = { child, done: Promise.all([logged, closed]).then(() => {}), stopped: false };
    running = entry;
    child.on('error', (e) => {
      // only a child that never started ends here (it emits no 'exit'); a failed kill is not the end of one
      if (child.pid !== undefined) return;
      logger.error(`scheduled retrain could not start: ${e.message}`);
      settled();
    });
    child.on('exit', (code, signal) => void settle(entry, serving, code, signal).then(settled));
    return entry.done.then(() => {
      if (running === entry) running = undefined;
    });
  };

  const stop = async (): Promise<void> => {
    shutDown = true;
    shutdownBegins();
    const r = running;
    if (!r) return;
    let kill: NodeJS.Timeout | undefined;
    // a child that already died (of the same Ctrl-C, say) is not signalled again; its line is awaited all the same
    if (r.child.exitCode === null && r.child.signalCode === null) {
      r.stopped = true;
      r.child.kill('SIGTERM');
      kill = setTimeout(() => r.child.kill('SIGKILL'), graceMs);
    }
    await r.done;
    clearTimeout(kill);
  };
  return Object.assign(run, { stop });
}
