/** Scheduled retrains as a child `bot retrain` process. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../core/project-root.ts';
import type { Logger } from '../core/log.ts';
import { currentVersion } from '../agents/model-pointer.ts';

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

/**
 * A scheduled retrain run as a child `bot retrain` process: a crash, a tfjs abort or running out of memory there
 * cannot take the trader down. The child promotes through the model pointer; the trader picks it up at its next tick.
 * `stop()` (the trader is shutting down) sends the running child SIGTERM, then SIGKILL after a grace period, and
 * resolves once it has exited, so that nothing of the bot keeps running (or promotes) after it stopped. A child
 * killed before its one atomic pointer switch leaves CURRENT, and so the serving model, untouched.
 */
export function retrainChildRunner(
  flags: RetrainFlags,
  modelHome: string,
  logger: Logger,
  graceMs = STOP_GRACE_MS,
): RetrainChildRunner {
  let running: { child: ChildProcess; exited: Promise<void>; stopped: boolean } | undefined;
  let shutDown = false;
  const run = () =>
    new Promise<void>((resolve) => {
      if (shutDown) return resolve();
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
      logger.info('scheduled retrain starting', { model: modelHome });
      const serving = servingVersion(modelHome);
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
      const entry = { child, exited: new Promise<void>((r) => child.once('close', () => r())), stopped: false };
      running = entry;
      child.on('error', (e) => {
        // only a child that never started ends here (it emits no 'exit'); a failed kill is not the end of one
        if (child.pid !== undefined) return;
        if (running === entry) running = undefined;
        logger.error(`scheduled retrain could not start: ${e.message}`);
        resolve();
      });
      child.on('exit', (code, signal) => {
        if (running === entry) running = undefined;
        if (code === 0) logger.info('scheduled retrain finished');
        else if (entry.stopped) {
          const now = servingVersion(modelHome);
          logger.warn(
            now === serving
              ? `scheduled retrain stopped by the shutdown (${signal ?? `exit ${code}`}); nothing was promoted, ` +
                  'the current model keeps serving'
              : `scheduled retrain stopped by the shutdown (${signal ?? `exit ${code}`}) after promoting ${now}`,
          );
        } else
          logger.error(
            `scheduled retrain failed (${signal ?? `exit ${code}`}); trading continues with the current model`,
          );
        resolve();
      });
    });
  const stop = async (): Promise<void> => {
    shutDown = true;
    const r = running;
    if (!r || r.child.exitCode !== null || r.child.signalCode !== null) return;
    r.stopped = true;
    r.child.kill('SIGTERM');
    const kill = setTimeout(() => r.child.kill('SIGKILL'), graceMs);
    await r.exited;
    clearTimeout(kill);
  };
  return Object.assign(run, { stop });
}
