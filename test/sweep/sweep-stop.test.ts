/**
 * `bot sweep` as a real process stopped by a signal to its pid: its worker children end without a stack trace, it
 * says in one line how many results are stored and that a re-run resumes, and exits 128 + the signal's number; the
 * re-run runs only the jobs without a result. Before, the coordinator died at once (exit 143) and each child crashed
 * on `Error: write EPIPE … at send (src/sweep/child.ts)` with the wasm backend's minified source on stderr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runBot } from '../cli/run.ts';
import type { SweepReport } from '../../src/sweep/summary.ts';
import { childrenOf, exitWithin, startBot, stopBot, sweepFolder, TINY_SWEEP } from './helpers.ts';

const { dir, csv, config } = sweepFolder('sweep-stop-', 600);

function sweepArgs(name: string, small = '--grid window=3,5 --seeds 3 --epochs 2 --workers 2'.split(' ')): string[] {
  const files = [
    '--data',
    csv,
    '--db',
    path.join(dir, `${name}.db`),
    '--config',
    config,
    '--out',
    path.join(dir, name),
  ];
  return ['sweep', ...TINY_SWEEP, ...small, ...files];
}

function storedResults(name: string): number {
  const sqlite = new Database(path.join(dir, `${name}.db`), { readonly: true });
  const n = sqlite.prepare('SELECT count(*) FROM sweep_results').pluck().get() as number;
  sqlite.close();
  return n;
}

/** Nothing on the output of a crash: no error line, stack frame or EPIPE. */
function assertClean(out: string): void {
  assert.doesNotMatch(out, /EPIPE|Error:|^\s+at |^error:/m, out);
}

for (const [signal, code] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const) {
  test(`${signal} to bot sweep's pid: the jobs in hand finish, one line says what is stored, a re-run \
resumes`, async () => {
    const name = `stop-${signal}`;
    const sweep = startBot(sweepArgs(name));
    try {
      // one job done: the other child has one in hand, and the first has taken the next
      await sweep.waitFor(/\[1\/6\] done /, 300_000);
      sweep.child.kill(signal);
      assert.equal(await exitWithin(sweep, 300_000), code, sweep.output());
      const out = sweep.output();
      assertClean(out);
      assert.match(
        out,
        new RegExp(`${signal}: finishing the jobs in hand, then stopping \\(${signal} again: stop now\\)`),
      );
      const line = new RegExp(
        `${signal}: sweep stopped; (\\d) of 6 job results stored; run the same command again to resume`,
      ).exec(out);
      assert.ok(line, out);
      const stored = Number(line[1]);
      assert.equal(storedResults(name), stored);
      assert.ok(stored >= 2 && stored < 6, `${stored} stored: the job done and those in hand, not the rest`);
      assert.equal(existsSync(path.join(dir, name, 'report.json')), false, 'no report of a stopped sweep');
      if (signal === 'SIGTERM') {
        const again = await runBot(sweepArgs(name));
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stderr, new RegExp(`6 jobs; ${stored} already stored, ${6 - stored} to run`));
        assert.equal(storedResults(name), 6);
      }
    } finally {
      await stopBot(sweep, 'SIGKILL');
    }
  });
}

test('a second SIGTERM stops bot sweep at once: the jobs in hand are not stored, and still no crash', async () => {
  const name = 'stop-twice';
  const sweep = startBot(sweepArgs(name));
  try {
    await sweep.waitFor(/\[1\/6\] done /, 300_000);
    sweep.child.kill('SIGTERM');
    await sweep.waitFor(/SIGTERM: finishing the jobs in hand/);
    sweep.child.kill('SIGTERM');
    assert.equal(await exitWithin(sweep, 300_000), 143, sweep.output());
    const out = sweep.output();
    assertClean(out);
    assert.match(out, /SIGTERM again: stopping now; the jobs in hand are not stored/);
    assert.match(out, /SIGTERM: sweep stopped; \d of 6 job results stored; run the same command again to resume/);
  } finally {
    await stopBot(sweep, 'SIGKILL');
  }
});

test(`a sweep stopped after a job that took two tries (its worker process killed mid-job), then resumed: the \
report counts the earlier run's retry`, async () => {
  const name = 'stop-retried';
  const args = sweepArgs(name, '--grid window=3,5 --seeds 2 --epochs 1 --workers 1'.split(' '));
  const sweep = startBot(args);
  try {
    // the one child is handed the next job in the same turn as the first one's result is logged
    await sweep.waitFor(/\[1\/4\] done /, 300_000);
    const [child] = childrenOf(sweep.child.pid!);
    assert.ok(child !== undefined, `a child expected:\n${sweep.output()}`);
    process.kill(child, 'SIGKILL');
    await sweep.waitFor(/try 1 of .* failed \(worker process died \(SIGKILL\)\); trying again/, 300_000);
    await sweep.waitFor(/\[2\/4\] done /, 300_000);
    sweep.child.kill('SIGTERM');
    assert.equal(await exitWithin(sweep, 300_000), 143, sweep.output());
    const again = await runBot(args);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /trying again/, 'the resumed run retried nothing itself');
    // before: 0 retried, the earlier run's retry forgotten
    assert.match(again.stdout, /: 4\/4 jobs finished, 0 failed, 1 retried$/m);
    const report = JSON.parse(readFileSync(path.join(dir, name, 'report.json'), 'utf8')) as SweepReport;
    assert.equal(report.jobs.retried, 1);
  } finally {
    await stopBot(sweep, 'SIGKILL');
  }
});
