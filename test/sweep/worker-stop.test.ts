/**
 * `bot worker` as a real process against a real redis-server: SIGTERM and SIGINT (Ctrl-C) stop it with exit code 0,
 * also while its Redis is down and it is reconnecting (one line for the lost connection, not one per attempt), and
 * a second signal stops it at once while it waits for a job in hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { codeFingerprint } from '../../src/sweep/fingerprint.ts';
import { bullConnection, putMarket } from '../../src/sweep/redis.ts';
import { exitWithin, startBot, startRedis, stopBot, sweepFolder, tinyPlan } from './helpers.ts';

const { config } = sweepFolder('sweep-worker-stop-', 10);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} stops bot worker while its Redis is down (exit 0, one line saying so)`, async () => {
    const redis = await startRedis();
    const worker = startBot(['worker', '--queue', redis.url, '--concurrency', '1', '--config', config]);
    try {
      await worker.waitFor(/worker on queue bot-sweep/);
      await redis.stop();
      // the worker has seen the outage (the old code said so once per reconnect attempt)
      await worker.waitFor(/lost Redis at redis:\/\/127\.0\.0\.1:\d+ \(|worker: .*ECONN/);
      worker.child.kill(signal);
      // before: the worker kept reconnecting and never exited (a hang detector, not a speed check)
      assert.equal(await exitWithin(worker, 30_000), 0, worker.output());
      const out = worker.output();
      assert.match(out, new RegExp(`${signal}: Redis is down, stopping now`));
      // before: a warning per reconnect attempt of each connection, several a second
      assert.equal((out.match(/lost Redis at/g) ?? []).length, 1, out);
      assert.doesNotMatch(out, /warn worker: /);
    } finally {
      await stopBot(worker, 'SIGKILL');
      await redis.stop();
    }
  });
}

test('a second SIGTERM stops bot worker at once while it waits for a job in hand (exit 0)', async () => {
  const redis = await startRedis();
  const worker = startBot(['worker', '--queue', redis.url, '--concurrency', '1', '--config', config]);
  const connection = bullConnection(redis.url);
  const queue = new Queue('bot-sweep', { connection });
  try {
    await worker.waitFor(/worker on queue bot-sweep/);
    const { plan, markets } = await tinyPlan(codeFingerprint());
    for (const [key, candles] of markets) await putMarket(connection, key, candles);
    // a long job, so the first signal finds it in hand
    await queue.add('sweep-job', { ...plan.jobs[0], epochs: 10_000 }, { jobId: plan.jobs[0].id });
    await worker.waitFor(new RegExp(`job ${plan.jobs[0].id} started`));
    worker.child.kill('SIGTERM');
    await worker.waitFor(/SIGTERM: finishing the jobs in hand, then stopping/);
    worker.child.kill('SIGTERM');
    // before: the second signal met no handler and killed the process (no exit code)
    assert.equal(await exitWithin(worker, 30_000), 0, worker.output());
    assert.match(worker.output(), /then stopping \(SIGTERM again: stop now\)/);
    assert.match(worker.output(), /SIGTERM again: stopping now; the jobs in hand go back to the queue/);
  } finally {
    await stopBot(worker, 'SIGKILL');
    await queue.close();
    connection.disconnect();
    await redis.stop();
  }
});
