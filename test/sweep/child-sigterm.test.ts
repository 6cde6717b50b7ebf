/**
 * A SIGTERM sent to one of `bot sweep`'s worker children itself (a user, a supervisor), as real processes: the child
 * says so in one line, finishes its job in hand and exits while the sweep goes on; a second SIGTERM to another child
 * makes it exit at once, its job put back in line without a try. The sweep completes, every job's result stored once.
 * Before, children ignored SIGTERM and left only when the coordinator was gone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { childrenOf, exitWithin, startBot, stopBot, sweepFolder, TINY_SWEEP } from './helpers.ts';

const { dir, csv, config } = sweepFolder('sweep-child-sigterm-', 600);

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Resolves once `pid` has exited; fails if it is still running after `ms` (a hang detector, not a speed check). */
async function gone(pid: number, ms: number): Promise<void> {
  for (let waited = 0; alive(pid); waited += 50) {
    if (waited > ms) throw new Error(`process ${pid} still running after ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test(`SIGTERM to a sweep worker child: it finishes its job and exits, a second SIGTERM to another exits it at once, \
and the sweep completes with every result stored once`, async () => {
  const db = path.join(dir, 'sweep.db');
  const small = '--grid window=3,5 --seeds 16 --epochs 10 --workers 2'.split(' ');
  const files = ['--data', csv, '--db', db, '--config', config, '--out', path.join(dir, 'out')];
  const sweep = startBot(['sweep', ...TINY_SWEEP, ...small, ...files]);
  try {
    // one job done: both children are up and each has a job in hand, or is about to
    await sweep.waitFor(/\[1\/32\] done /, 300_000);
    const [first, second] = childrenOf(sweep.child.pid!);
    assert.ok(first !== undefined && second !== undefined, `two children expected:\n${sweep.output()}`);
    process.kill(first, 'SIGTERM');
    // before: no line, and the child went on taking jobs until the sweep ended
    await sweep.waitFor(new RegExp(`sweep worker process ${first}: SIGTERM: (finishing its job in hand|exiting)`));
    await gone(first, 300_000);
    assert.equal(sweep.child.exitCode, null, `the child left while the sweep went on:\n${sweep.output()}`);

    process.kill(second, 'SIGTERM');
    await sweep.waitFor(new RegExp(`sweep worker process ${second}: SIGTERM`));
    if (alive(second)) process.kill(second, 'SIGTERM');
    await gone(second, 300_000);

    assert.equal(await exitWithin(sweep, 600_000), 0, sweep.output());
    const out = sweep.output();
    assert.match(out, /32\/32 jobs finished, 0 failed/);
    // a job in hand at a SIGTERM is finished or put back in line, never counted as a failed try
    assert.doesNotMatch(out, /worker process died|trying again|EPIPE|Error:/, out);
    const sqlite = new Database(db, { readonly: true });
    const rows = sqlite.prepare('SELECT job_id FROM sweep_results').pluck().all() as string[];
    const planned = sqlite.prepare('SELECT count(*) FROM sweep_jobs').pluck().get() as number;
    sqlite.close();
    assert.equal(planned, 32);
    assert.equal(rows.length, 32);
    assert.equal(new Set(rows).size, 32, 'each job stored once');
  } finally {
    await stopBot(sweep, 'SIGKILL');
  }
});
