/** `bot worker`: takes sweep jobs from the BullMQ queue in Redis; run it on any number of machines. */
import { markRunUnderWay } from '../../core/log.ts';
import type { Command } from 'commander';
import { checkRedisUrl } from '../../sweep/redis-url.ts';
import { addCommonOptions, setupCommand, type CommonFlags } from '../context.ts';
import { checkBackend, jobProcesses } from './sweep.ts';

export function registerWorker(program: Command): void {
  const cmd = program
    .command('worker')
    .description('take sweep jobs from the BullMQ queue at redis://host:port (run on any number of machines)')
    .requiredOption('--queue <url>', 'Redis URL, e.g. redis://10.0.0.5:6379')
    .option('--concurrency <n>', 'jobs at a time, each in its own process (default: the cores; at most 4 × the cores)')
    .option(
      '--gpu',
      'take only the jobs that want a GPU (the GPU queue), on the node-gpu backend unless --backend says otherwise',
    );
  addCommonOptions(cmd, { market: false, db: false, backend: true }).action(
    async (flags: CommonFlags & { queue: string; concurrency?: string; gpu?: boolean }) => {
      const { config, logger } = await setupCommand(flags);
      const url = checkRedisUrl(flags.queue);
      const concurrency = jobProcesses(flags.concurrency, '--concurrency');
      const backend = flags.backend !== undefined ? config.ml.backend : flags.gpu ? 'node-gpu' : config.ml.backend;
      // a worker on a backend it cannot start would take jobs and fail each of them
      if (backend !== 'auto') await checkBackend(backend);
      // the flags are checked: an error from here on ends a run and goes to the log file too
      markRunUnderWay();
      await (await import('../../sweep/redis.ts')).assertReachable(url);
      const { startWorker } = await import('../../sweep/worker.ts');
      const w = startWorker({ url, concurrency, gpu: flags.gpu === true, backend, settings: config.sweep, logger });
      await new Promise<void>((resolve, reject) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) {
            // a second signal while the jobs in hand finish: the user wants out now (bot exits, its processor
            // children follow their parent; the jobs' locks expire and other workers take them)
            logger.info(`${signal} again: stopping now; the jobs in hand go back to the queue`);
            return resolve();
          }
          stopping = true;
          const now = w.down();
          logger.info(
            now
              ? `${signal}: Redis is down, stopping now; the jobs in hand go back to the queue`
              : `${signal}: finishing the jobs in hand, then stopping (${signal} again: stop now)`,
          );
          w.close(now).then(resolve, reject);
        };
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGTERM', () => stop('SIGTERM'));
      });
    },
  );
}
