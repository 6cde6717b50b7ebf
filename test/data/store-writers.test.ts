/**
 * The candle store's writers against another process writing the same SQLite file (a trader's tick beside a
 * `bot data download`): each takes the write lock up front and waits out busy_timeout, instead of failing with
 * SQLITE_BUSY when it upgrades a read it began inside its transaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { CandleStore } from '../../src/data/store.ts';
import { holdWriteLock, tempDir } from './helpers.ts';

const H = 3_600_000;
const t0 = Date.UTC(2024, 0, 1);

test(`a download page stored while another process holds the write lock waits for it (busy_timeout) and is stored, \
also a page without candles (it reads the coverage before it writes)`, async () => {
  const file = path.join(tempDir(), 'bot.db');
  const store = CandleStore.open(file);
  try {
    const rows = [0, 1].map((i) => ({ ts: t0 + i * H, open: 1, high: 2, low: 0.5, close: 1.5, volume: 1 }));
    for (const [page, range] of [
      [[], { from: t0 - 4 * H, to: t0 }],
      [rows, { from: t0, to: t0 + 2 * H }],
    ] as const) {
      const other = await holdWriteLock(file, 1_000);
      store.storeDownload('upbit', 'BTC/KRW', '1h', page, range);
      assert.equal(await other.exited, 0, 'the other writer committed');
    }
    assert.deepEqual(store.coverage('upbit', 'BTC/KRW', '1h'), [{ from: t0 - 4 * H, to: t0 + 2 * H }]);
    assert.equal(store.load('upbit', 'BTC/KRW', '1h').ts.length, 2);
    assert.deepEqual(store.coverage('other', 'X/KRW', '1h'), [{ from: 0, to: 1 }]);
  } finally {
    store.close();
  }
});
