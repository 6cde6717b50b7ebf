/**
 * A live run's commits are synced to disk before it acts on them: its order is committed as `submitting` before it
 * is sent, and a power cut must not take that commit back (the store's WAL with synchronous=NORMAL may lose the last
 * commits; a paper run loses nothing it cannot redo the same way).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { openTradingSession } from '../../src/trading/session.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { quietLogger, tempDir } from './helpers.ts';

test('a live session syncs every commit (synchronous=FULL); a paper session keeps the faster NORMAL', async () => {
  const tmp = tempDir();
  // a live session's start checks its clock against the exchange's (src/trading/live-start.ts): the fake's agrees
  const now = Date.UTC(2025, 0, 1);
  const fake = await startFakeUpbit({ now: () => now });
  try {
    const config = loadConfig({
      overrides: {
        exchange: { ccxt: fake.ccxtOptions() },
        data: { database: path.join(tmp.dir, 'bot.db') },
        log: { file: '' },
      },
    });
    for (const [mode, level] of [
      ['live', 2],
      ['paper', 1],
    ] as const) {
      const session = await openTradingSession({
        config,
        logger: quietLogger(),
        mode,
        name: 'durable',
        policy: { strategy: 'sma-cross' },
        clock: () => now,
      });
      try {
        assert.equal(session.store.db.pragma('synchronous', { simple: true }), level, mode);
      } finally {
        session.close();
      }
    }
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});
