/**
 * A stand-in for src/sweep/child.ts that answers its job, closes its IPC channel and dies, so the coordinator's next
 * message meets a closed channel (the race pool.ts must survive: a child dying just as the next job is sent). The
 * result names a file the child writes once its end of the channel is closed: the test holds the coordinator until
 * then, so the send fails every time instead of now and then.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FromChild, ToChild } from '../../src/sweep/child.ts';
import type { JobResult } from '../../src/sweep/jobs.ts';

export interface DyingResult {
  closedMarker: string;
}

process.on('message', (msg: ToChild) => {
  if (msg.type === 'init') process.send?.({ type: 'ready', backend: msg.backend } satisfies FromChild);
  else if (msg.type === 'job') {
    const closedMarker = path.join(tmpdir(), `dying-child-${process.pid}`);
    // the pool reads nothing from a result but hands it on
    const result = { closedMarker } satisfies DyingResult as unknown as JobResult;
    process.send?.({ type: 'result', jobId: msg.job.id, result } satisfies FromChild, undefined, {}, () => {
      process.disconnect();
      // the channel's handle closes at the end of this loop turn; a timer runs after that
      setTimeout(() => {
        writeFileSync(closedMarker, '');
        process.exit(0);
      }, 0);
    });
  }
});
