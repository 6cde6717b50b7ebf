/**
 * An in-process sweep worker: a child process the coordinator forks (`bot sweep --workers N`). It receives markets
 * once and then jobs one at a time over IPC, runs each with runSweepJob (the code the BullMQ processor runs), and
 * answers with the result or the error. It exits when the coordinator goes away.
 */
import type { Candles } from '../core/candles.ts';
import { createLogger } from '../core/log.ts';
import type { BackendChoice } from '../nn/backend/backend.ts';
import { initBackend } from '../nn/backend/backend.ts';
import { codeFingerprint } from './fingerprint.ts';
import type { JobResult, JobSpec } from './jobs.ts';
import { runSweepJob } from './run-job.ts';

export type ToChild =
  { type: 'init'; backend: string } | { type: 'market'; key: string; candles: Candles } | { type: 'job'; job: JobSpec };
export type FromChild =
  | { type: 'ready'; backend: string }
  | { type: 'result'; jobId: string; result: JobResult }
  | { type: 'error'; jobId: string; message: string }
  /** The process cannot run any job (its backend did not start): the pool stops instead of forking it again. */
  | { type: 'fatal'; message: string };

const markets = new Map<string, Candles>();
const logger = createLogger({ level: 'warn', file: '' });
let backend = 'unknown';
// hashed as the modules are loaded, so a result records the code that actually ran it
const code = codeFingerprint();
const send = (m: FromChild) => process.send?.(m);

// one message at a time: jobs run one after another in this process
let chain: Promise<void> = Promise.resolve();
process.on('message', (msg: ToChild) => {
  chain = chain.then(() => handle(msg));
});
process.on('disconnect', () => process.exit(0));

async function handle(msg: ToChild): Promise<void> {
  if (msg.type === 'init') {
    try {
      backend = (await initBackend(msg.backend as BackendChoice, logger)).name;
    } catch (e) {
      send({ type: 'fatal', message: (e as Error).message.split('\n')[0] });
      return;
    }
    send({ type: 'ready', backend });
  } else if (msg.type === 'market') {
    markets.set(msg.key, msg.candles);
  } else {
    const candles = markets.get(msg.job.market.dataKey);
    try {
      if (!candles) throw new Error(`market ${msg.job.market.label} was not sent to this worker`);
      send({ type: 'result', jobId: msg.job.id, result: await runSweepJob(msg.job, candles, logger, backend, code) });
    } catch (e) {
      send({ type: 'error', jobId: msg.job.id, message: (e as Error).message.split('\n')[0] });
    }
  }
}
