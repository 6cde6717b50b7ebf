/**
 * An in-process sweep worker: a child process the coordinator forks (`bot sweep --workers N`). It receives markets
 * once and then jobs one at a time over IPC, runs each with runSweepJob (the code the BullMQ processor runs), and
 * answers with the result or the error. It exits when the coordinator goes away, and leaves SIGINT to the
 * coordinator (src/sweep/stop.ts): Ctrl-C reaches the whole process group, and the coordinator decides whether the
 * job in hand is finished or the child killed. A SIGTERM sent to the child itself (a user, a supervisor) stops it as
 * `bot worker` stops: it tells the coordinator it is leaving, so no job is handed to it, finishes and answers its job
 * in hand, says so in one line and exits 143; a second SIGTERM exits at once, and the coordinator puts that job back
 * in line without counting a try (src/sweep/pool.ts). An answer the coordinator can no longer read (it was killed)
 * ends the child quietly: it used to crash with EPIPE, a stack trace and the wasm backend's minified source.
 */
import type { Candles } from '../core/candles.ts';
import { createLogger } from '../core/log.ts';
import type { BackendChoice } from '../nn/backend/backend.ts';
import { initBackend } from '../nn/backend/backend.ts';
import { codeFingerprint } from './fingerprint.ts';
import type { JobResult, JobSpec } from './jobs.ts';
import { runSweepJob } from './run-job.ts';
import { STOPPED_BY_SIGTERM } from './stop.ts';

export type ToChild =
  { type: 'init'; backend: string } | { type: 'market'; key: string; candles: Candles } | { type: 'job'; job: JobSpec };
export type FromChild =
  | { type: 'ready'; backend: string }
  | { type: 'result'; jobId: string; result: JobResult }
  | { type: 'error'; jobId: string; message: string }
  /** The process cannot run any job (its backend did not start): the pool stops instead of forking it again. */
  | { type: 'fatal'; message: string }
  /** SIGTERM: hand this process no more jobs; it exits STOPPED_BY_SIGTERM once its job in hand is answered. */
  | { type: 'leaving' };

const markets = new Map<string, Candles>();
const logger = createLogger({ level: 'warn', file: '' });
let backend = 'unknown';
// hashed as the modules are loaded, so a result records the code that actually ran it
const code = codeFingerprint();
/** Sends `m`; `then` runs once it is written (an unreadable channel: the coordinator is gone, so exit quietly). */
const send = (m: FromChild, then?: () => void) => {
  if (!process.connected) process.exit(0);
  process.send?.(m, undefined, {}, (e: Error | null) => {
    if (e) process.exit(0);
    then?.();
  });
};

// one message at a time: jobs run one after another in this process
let chain: Promise<void> = Promise.resolve();
process.on('message', (msg: ToChild) => {
  chain = chain.then(() => handle(msg));
});
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => undefined);

let busy = false;
let leaving = false;
const say = (line: string) => process.stderr.write(`sweep worker process ${process.pid}: ${line}\n`);
process.on('SIGTERM', () => {
  if (leaving) {
    say('SIGTERM again: exiting now; its job goes back in line');
    process.exit(STOPPED_BY_SIGTERM);
  }
  leaving = true;
  say(busy ? 'SIGTERM: finishing its job in hand, then exiting (SIGTERM again: now)' : 'SIGTERM: exiting');
  send({ type: 'leaving' }, () => {
    if (!busy) process.exit(STOPPED_BY_SIGTERM);
  });
});

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
  } else if (!leaving) {
    // a job sent before the coordinator read 'leaving' is not started: the exit puts it back in line
    const candles = markets.get(msg.job.market.dataKey);
    busy = true;
    let answer: FromChild;
    try {
      if (!candles) throw new Error(`market ${msg.job.market.label} was not sent to this worker`);
      answer = {
        type: 'result',
        jobId: msg.job.id,
        result: await runSweepJob(msg.job, candles, logger, backend, code),
      };
    } catch (e) {
      answer = { type: 'error', jobId: msg.job.id, message: (e as Error).message.split('\n')[0] };
    }
    busy = false;
    send(answer, () => {
      if (leaving) process.exit(STOPPED_BY_SIGTERM);
    });
  }
}
