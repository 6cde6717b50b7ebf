/**
 * No writer of real prices fills a series `bot data derive` built (src/data/derived-target.ts): against the fake
 * Upbit (real ccxt, real SQLite), with upbit BTC/KRW 1h stored as a derived series, a paper tick, a live tick and
 * downloadToStore (which `bot data download`, `bot predict` and the retrain jobs call) are refused in one line before
 * the exchange is asked for candles, and the derived candles stay as they were.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { candleRows, candlesFromRows } from '../../src/core/candles.ts';
import { downloadToStore } from '../../src/data/download.ts';
import { liveSetup, orderPosts } from './live-setup.ts';

const LABEL = 'derived: 2× IDX/KRW rebalanced every 1h candle, fee 0%/yr';

/** upbit BTC/KRW 1h stored as a derived series: the exchange's first 90 candles at twice its prices; its closes. */
function storeDerived(s: Awaited<ReturnType<typeof liveSetup>>): number[] {
  const rows = candleRows(s.candles)
    .slice(0, 90)
    .map((r) => ({ ...r, open: 2 * r.open, high: 2 * r.high, low: 2 * r.low, close: 2 * r.close }));
  s.store.replaceDerived(candlesFromRows('upbit', 'BTC/KRW', '1h', rows), LABEL);
  return rows.map((r) => r.close);
}

/** DerivedTargetError, its line ending in `then`. */
const refusal = (then: string) => ({
  name: 'DerivedTargetError',
  message: new RegExp(
    `^upbit BTC/KRW 1h is ${LABEL.replace(/[()×%/]/g, '\\$&')}: a download into it would mix real prices with ` +
      `derived ones; nothing stored: ${then.replace(/[()`]/g, '\\$&')}$`,
  ),
});
const NOT_TRADED = refusal(
  'a derived series is for backtests (`bot backtest`): paper and live fetch their candles from the exchange',
);

/** The stored closes are the derived ones, and the exchange was not asked for candles. */
function assertUntouched(s: Awaited<ReturnType<typeof liveSetup>>, closes: number[]): void {
  assert.deepEqual([...s.store.load('upbit', 'BTC/KRW', '1h').close], closes, 'the derived candles as they were');
  assert.equal(s.store.label('upbit', 'BTC/KRW', '1h'), LABEL);
  assert.equal(s.fake.candleRequests().length, 0, 'refused before the exchange is asked');
}

test(`a paper tick on a derived series that shares a real market's name is refused before it fetches: the \
derived candles stay, no run is kept`, async () => {
  // the backfill stored the exchange's BTC/KRW candles into it, under the derived label
  const s = await liveSetup({ maxOrderValue: 1_000_000, maxDailyLoss: 1e12 });
  try {
    const closes = storeDerived(s);
    const trader = s.makePaper();
    await assert.rejects(() => trader.tick(), NOT_TRADED);
    assertUntouched(s, closes);
    assert.deepEqual(s.repo.list(), [], 'the new run that decided nothing is not kept');
  } finally {
    await s.cleanup();
  }
});

test('a live tick on a derived series is refused before it fetches; no order', async () => {
  const s = await liveSetup({ maxOrderValue: 1_000_000, maxDailyLoss: 1e12 });
  try {
    const closes = storeDerived(s);
    await assert.rejects(() => s.make().tick(), NOT_TRADED);
    assertUntouched(s, closes);
    assert.equal(orderPosts(s).length, 0, 'no order');
  } finally {
    await s.cleanup();
  }
});

test(`downloadToStore into a derived series is refused before the exchange is asked, in the line \`bot data \
download\` prints`, async () => {
  const s = await liveSetup({ maxOrderValue: 1_000_000, maxDailyLoss: 1e12 });
  try {
    const closes = storeDerived(s);
    const req = { exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h', since: s.candles.ts[0] };
    await assert.rejects(
      () => downloadToStore(s.store, s.exchange, req, { retry: { retries: 1, backoffMs: 1, maxBackoffMs: 1 } }),
      refusal('`bot data derive` rebuilds it from its index, or download under another --symbol'),
    );
    assertUntouched(s, closes);
  } finally {
    await s.cleanup();
  }
});
