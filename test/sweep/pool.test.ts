/**
 * The in-process pool with real forked children: a child whose backend cannot start ends the sweep with one line
 * instead of being forked again (bot sweep refuses such a backend first; this is the pool's own guard for a child
 * that fails where the coordinator's check passed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/core/errors.ts';
import { runInProcess } from '../../src/sweep/pool.ts';
import { pathWithoutGpu, tinyPlan } from './helpers.ts';

test('children that cannot start their backend end the pool with one line, not a loop of forks', async () => {
  const { plan, markets } = await tinyPlan();
  const outcomes: string[] = [];
  const path = process.env.PATH;
  // the children inherit this PATH at fork (runInProcess forks before it returns)
  process.env.PATH = pathWithoutGpu();
  let run: Promise<void>;
  try {
    run = runInProcess(plan.jobs, {
      workers: 2,
      backend: 'node-gpu',
      attempts: 3,
      markets,
      onResult: (job) => outcomes.push(`result ${job.id}`),
      onFailure: (job) => outcomes.push(`failure ${job.id}`),
      onRetry: (job) => outcomes.push(`retry ${job.id}`),
    });
  } finally {
    process.env.PATH = path;
  }
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.match(e.message, /^a sweep worker process could not start: backend 'node-gpu' is not available: /);
    assert.ok(!e.message.includes('\n'), e.message);
    return true;
  });
  assert.deepEqual(outcomes, [], 'no job was tried');
});
