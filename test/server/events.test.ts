/**
 * The database watcher behind the dashboard's server-sent events and a trader's notifications
 * (src/server/events.ts): a fill booked after a newer order's fill (a live order whose outcome was unknown, settled at
 * a later tick) is news all the same, on a real SQLite file written through the run repository.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'node:test';
import { CandleStore } from '../../src/data/store.ts';
import { Account } from '../../src/market/account.ts';
import { DbWatcher } from '../../src/server/events.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { tempDir } from '../trading/helpers.ts';

const T0 = Date.UTC(2025, 2, 1);
const HOUR = 3_600_000;

test('a fill booked later for an older order is emitted, as is the newer order’s fill before it', () => {
  const tmp = tempDir();
  const store = CandleStore.open(path.join(tmp.dir, 'a.db'));
  try {
    const repo = new RunRepository(store.db);
    const account = new Account(1_000_000, {
      feeRate: 0,
      sellTax: 0,
      slippageBps: 0,
      minOrderValue: 0,
      quantityPrecision: 8,
    }).snapshot();
    const run = repo.create(
      { mode: 'live', name: 'default', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' },
      { policy: 'strategy:sma-cross', historyFrom: T0, startTs: T0, initialBalance: 1_000_000, account, now: T0 },
    );
    // its own connection, as the server's and a trader's: data_version tells of other connections' commits
    const reader = new Database(path.join(tmp.dir, 'a.db'), { readonly: true });
    const watcher = new DbWatcher(reader);
    const fill = (side: 'buy' | 'sell', value: number) => ({ side, price: 100, units: value / 100, value, fee: 1 });
    // tick 1: an order sent, its outcome unknown
    const older = repo.insertOrder(run.id, T0, 'buy', 100_000, 'submitting', T0);
    assert.deepEqual(watcher.poll(), []);
    // tick 2: a newer order placed and filled
    const newer = repo.insertOrder(run.id, T0 + HOUR, 'sell', 1, 'submitting', T0 + HOUR);
    repo.insertFill(run.id, newer, T0 + HOUR, fill('sell', 50_000));
    repo.updateOrder(newer, 'filled', { quantity: 500 });
    const second = watcher.poll().filter((e) => e.type === 'fill');
    assert.deepEqual(
      second.map((e) => e.orderId),
      [newer],
    );
    // tick 3: the older order settles: it had filled
    repo.insertFill(run.id, older, T0 + 2 * HOUR, fill('buy', 99_000));
    repo.updateOrder(older, 'filled', { quantity: 990 });
    const third = watcher.poll().filter((e) => e.type === 'fill');
    assert.deepEqual(
      third.map((e) => [e.orderId, e.value]),
      [[older, 99_000]],
      'the older order’s fill, booked after the newer one’s',
    );
    assert.deepEqual(watcher.poll(), [], 'and only once');
    reader.close();
  } finally {
    store.close();
    tmp.cleanup();
  }
});
