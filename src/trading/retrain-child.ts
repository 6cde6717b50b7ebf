/** Scheduled retrains as a child `bot retrain` process. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../core/project-root.ts';
import type { Logger } from '../core/log.ts';

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

/**
 * A scheduled retrain run as a child `bot retrain` process: a crash, a tfjs abort or running out of memory there
 * cannot take the trader down. The child promotes through the model pointer; the trader picks it up at its next tick.
 */
export function retrainChildRunner(flags: RetrainFlags, modelHome: string, logger: Logger): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
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
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', (e) => {
        logger.error(`scheduled retrain could not start: ${e.message}`);
        resolve();
      });
      child.on('exit', (code, signal) => {
        if (code === 0) logger.info('scheduled retrain finished');
        else
          logger.error(
            `scheduled retrain failed (${signal ?? `exit ${code}`}); trading continues with the current model`,
          );
        resolve();
      });
    });
}
