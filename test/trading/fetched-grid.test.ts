/**
 * The paper and live traders store the candles they fetch only when they sit on the stored series' time grid
 * (src/data/grid.ts, as `bot data import` / `download` check): against the fake Upbit (real ccxt, real SQLite), a
 * store whose hourly candles open at :30 (imported in another time zone) refuses the exchange's candles at :00, and
 * the tick decides nothing, in one line naming the first such candle.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { candleRows } from '../../src/core/candles.ts';
import { alwaysBuy, HOUR, liveSetup, orderPosts } from './live-setup.ts';

/** Six stored candles of the series half an hour off the exchange's grid, before the run's history. */
function storeOffGrid(s: Awaited<ReturnType<typeof liveSetup>>): number {
  const rows = candleRows(s.candles)
    .slice(70, 76)
    .map((r) => ({ ...r, ts: r.ts + HOUR / 2 }));
  s.store.upsert('upbit', 'BTC/KRW', '1h', rows);
  return rows.length;
}

const REFUSAL = new RegExp(
  "the exchange's upbit BTC/KRW 1h candle (\\S+) is off the grid of the stored series \\(stored 1h " +
    'candles open at 00:30, 01:30, … UTC\\): .*; not stored, no decision this tick',
);

/**
 * The tick's refusal, naming an exchange candle on the :00 grid no later than the run's history start (`latest`):
 * the history is counted in stored candles (run-holder.ts historyStart), and the six off-grid ones leave it short, so
 * the fetch may start a few candles earlier than `latest`.
 */
async function refusedNaming(tick: () => Promise<unknown>, latest: number): Promise<void> {
  let said = '';
  await assert.rejects(tick, (e: Error) => ((said = e.message), REFUSAL.test(e.message)));
  const named = Date.parse(REFUSAL.exec(said)![1]);
  assert.equal(named % HOUR, 0, `the named candle is the exchange's, on the hour: ${said}`);
  assert.ok(named <= latest, `the named candle is the first fetched, not after the history start: ${said}`);
}

test(`a live tick fetching candles off the stored series' grid stores none, decides nothing and places no order, \
in one line naming the first such candle`, async () => {
  const s = await liveSetup({ maxOrderValue: 1_000_000, maxDailyLoss: 1e12 }, { policies: alwaysBuy() });
  try {
    const stored = storeOffGrid(s);
    const trader = s.make();
    // the history the run reads starts 20 candles before its first (trading.historyCandles in the setup)
    await refusedNaming(() => trader.tick(), s.candles.ts[80]);
    assert.equal(s.store.load('upbit', 'BTC/KRW', '1h').ts.length, stored, 'nothing stored beside them');
    assert.equal(orderPosts(s).length, 0, 'no order');
    const run = s.repo.list()[0];
    assert.equal(s.repo.decisionCount(run.id), 0, 'no decision');
  } finally {
    await s.cleanup();
  }
});

test(`a paper tick fetching candles off the stored series' grid stores none and decides nothing, in one line \
naming the first such candle`, async () => {
  const s = await liveSetup({ maxOrderValue: 1_000_000, maxDailyLoss: 1e12 });
  try {
    const stored = storeOffGrid(s);
    const trader = s.makePaper();
    await refusedNaming(() => trader.tick(), s.candles.ts[80]);
    assert.equal(s.store.load('upbit', 'BTC/KRW', '1h').ts.length, stored, 'nothing stored beside them');
    assert.deepEqual(s.repo.list(), [], 'the new run that decided nothing is not kept');
  } finally {
    await s.cleanup();
  }
});
