/**
 * The live broker against an exchange in the wild (fake Upbit through real ccxt, real SQLite, real `bot` processes):
 * a second `bot live` on a run whose trader idles between candles, an order the exchange shows only after a lag, and
 * a client order id used again by a run created after --reset.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { addOrderEndpoints } from '../fake-exchange/orders.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { startBot } from './cli.ts';
import { tempDir, waitFor } from './helpers.ts';

test(`bot live: a second process on the same run is refused while the first idles between candles (longer than \
trading.lockStaleSeconds)`, async () => {
  const tmp = tempDir('bot-live-lock-');
  // the wall clock on both sides: the first trader ticks once, then waits for the next hourly candle
  const fake = await startFakeUpbit();
  const book = addOrderEndpoints(fake, { KRW: 2_000_000 });
  const cfg = path.join(tmp.dir, 'config.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      exchange: { ccxt: fake.ccxtOptions(), retries: 2, backoffMs: 10, maxBackoffMs: 50 },
      log: { file: '' },
      trading: { lockStaleSeconds: 1 },
    }),
  );
  const env = { UPBIT_API_KEY: 'lock-test-access-key', UPBIT_API_SECRET: 'lock-test-secret-key', NO_COLOR: '1' };
  const args = ['live', '--strategy', 'buy-and-hold', '--confirm-live', '--db', path.join(tmp.dir, 'bot.db')];
  const first = startBot([...args, '--config', cfg, '--log-level', 'warn'], env);
  let firstExited = false;
  void first.done.then(() => (firstExited = true));
  try {
    await waitFor(
      () => (book.orders.length > 0 ? true : undefined),
      60_000,
      'the first order',
      () => firstExited,
    );
    // idle well past the stale time, then a second trader on the same run
    await new Promise((r) => setTimeout(r, 3000));
    const second = startBot([...args, '--config', cfg, '--log-level', 'warn'], env);
    let stderr = '';
    second.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let secondExit: { code: number | null } | undefined;
    void second.done.then((r) => (secondExit = r));
    await waitFor(
      () => (secondExit || /LIVE trading/.test(stderr) ? true : undefined),
      60_000,
      'the second trader to start or stop',
    );
    if (!secondExit) second.child.kill('SIGTERM');
    const r = await second.done;
    assert.equal(r.code, 1, `the second trader was let in beside the first:\n${r.stderr}`);
    assert.match(r.stderr, /^error: live:default:upbit:BTC\/KRW:1h is already running \(pid \d+/m);
    assert.equal(firstExited, false, 'the first trader still runs');
  } finally {
    first.child.kill('SIGTERM');
    await first.done;
    await fake.close();
    tmp.cleanup();
  }
});
