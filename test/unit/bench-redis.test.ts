/**
 * The bench's redis-server (src/bench/redis-server.ts) against a real one: a port already taken by another server
 * makes it exit before it is ready, and the start fails with one line naming why (before: it waited forever).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import '../helpers/state-dir.ts';
import { startRedis } from '../../src/bench/redis-server.ts';

test(
  'a redis-server whose port is taken fails the start with one line naming the cause',
  { timeout: 60_000 },
  async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      // before: the promise never settled, and the test timed out
      await assert.rejects(startRedis(port), (e: Error) => {
        assert.match(
          e.message,
          new RegExp(
            `^redis-server on port ${port} exited \\(code 1\\) before it was ready: .*Address already in use.*` +
              `Failed listening on port ${port}`,
          ),
        );
        assert.doesNotMatch(e.message, /\n/, 'one line');
        return true;
      });
    } finally {
      taken.close();
    }
  },
);

test('a free port gives a redis-server that answers, and stop ends it', { timeout: 60_000 }, async () => {
  const redis = await startRedis();
  assert.ok(redis, 'redis-server is on the PATH (node scripts/ensure-system-tools.mjs)');
  const port = Number(new URL(redis.url).port);
  const answers = () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.end(), resolve(true)));
      s.once('error', () => resolve(false));
    });
  assert.equal(await answers(), true);
  await redis.stop();
  assert.equal(await answers(), false);
});
