/**
 * The in-process pool with real forked children: a child whose backend cannot start ends the sweep with one line
 * instead of being forked again (bot sweep refuses such a backend first; this is the pool's own guard for a child
 * that fails where the coordinator's check passed).
 */
import { test } from 'node:test';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { UserError } from '../../src/core/errors.ts';
import { runInProcess } from '../../src/sweep/pool.ts';
import { pathWithoutGpu, tinyPlan } from './helpers.ts';
import type { DyingResult } from './dying-child.ts';

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

test(`a child that dies as the next job is sent (EPIPE / ERR_IPC_CHANNEL_CLOSED) costs that job one try and does not \
crash the coordinator`, async () => {
  const { plan, markets } = await tinyPlan();
  const outcomes: string[] = [];
  await runInProcess(plan.jobs, {
    workers: 1,
    backend: 'wasm',
    attempts: 3,
    markets,
    childFile: fileURLToPath(new URL('./dying-child.ts', import.meta.url)),
    onResult: (job, result) => {
      outcomes.push(`result ${job.id}`);
      // hold the coordinator (it sends the next job when this returns) until the child's channel is closed
      const { closedMarker } = result as unknown as DyingResult;
      while (!existsSync(closedMarker)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      rmSync(closedMarker);
    },
    onFailure: (job, error) => outcomes.push(`failure ${job.id}: ${error}`),
    onRetry: (job, error) => outcomes.push(`retry ${job.id}: ${error}`),
  });
  const [first, second] = plan.jobs.map((j) => j.id);
  // the child exits by itself, or, when the failed send comes first (a loaded machine), the pool kills it
  const died = /^retry (\w+): worker process died \((exit 0|SIGKILL)\)$/.exec(outcomes[1] ?? '');
  assert.equal(died?.[1], second, outcomes.join('\n'));
  assert.deepEqual([outcomes[0], outcomes[2], outcomes.length], [`result ${first}`, `result ${second}`, 3]);
});
