/** `bot status` of a single-market run: the pending order line (no order of 0 when a sell is decided while flat). */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { Trader } from '../../src/trading/trader.ts';
import { formatStatus, runStatus } from '../../src/trading/status.ts';
import type { PolicySource, RunKey } from '../../src/trading/types.ts';
import { ObservationBuilder } from '../../src/market/observation.ts';
import { quietLogger, seriesFeed, tempDir } from './helpers.ts';
import { HOUR } from './live-setup.ts';

const KEY: RunKey = { mode: 'paper', name: 'default', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' };
const candles = syntheticCandles({ seed: 5, count: 60, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000 });

/** Always takes `action`: an always-sell run is flat from the start, it has nothing to sell. */
const always = (action: 'buy' | 'sell'): PolicySource => ({
  label: `strategy:always-${action}`,
  forCandles(c) {
    const builder = new ObservationBuilder({ candles: c, window: 0 });
    return {
      policy: { name: `always-${action}`, decide: () => ({ action, confidence: 1 }) },
      label: `strategy:always-${action}`,
      warmup: 0,
      observe: (t, a) => builder.build(t, a),
    };
  },
});
const alwaysSell = always('sell');

/** A paper trader of the always-sell policy on an all-in account, ticking at `now`. */
function flatSeller(
  dir: string,
  now: number,
  policies = alwaysSell,
): { store: CandleStore; repo: RunRepository; trader: Trader } {
  const store = CandleStore.open(path.join(dir, 'a.db'));
  const repo = new RunRepository(store.db);
  const trader = new Trader({
    repo,
    store,
    feed: seriesFeed(candles, HOUR),
    market: new PaperMarket(
      { feeRate: 0.0005, sellTax: 0, slippageBps: 5, minOrderValue: 5000, quantityPrecision: 8 },
      { kind: 'all' },
    ),
    policies,
    key: KEY,
    balance: 10_000_000,
    historyCandles: 10,
    start: candles.ts[40],
    clock: () => now,
    logger: quietLogger(),
  });
  return { store, repo, trader };
}

test('bot status of a flat run that decided to sell shows no pending order, not "pending sell 0"', async () => {
  const tmp = tempDir();
  try {
    const now = candles.ts[40] + HOUR + 10_000;
    const { store, repo, trader } = flatSeller(tmp.dir, now);
    await trader.tick();
    const run = repo.list()[0];
    assert.equal(run.account.units, 0, 'the run is flat');
    assert.equal(repo.decisions(run.id).at(-1)?.action, 'sell');
    const status = runStatus(repo, KEY, now, 5, { tickDelaySeconds: 10, lockStaleSeconds: 120 });
    assert.equal(status?.pendingOrder, null);
    assert.match(formatStatus(status!), /^pending {6}none$/m);
    store.close();
  } finally {
    tmp.cleanup();
  }
});

test('a sell decided while flat is refused at once (skipped, no_position, counted), never pending', async () => {
  const tmp = tempDir();
  try {
    const { store, repo, trader } = flatSeller(tmp.dir, candles.ts[44] + HOUR + 10_000);
    await trader.tick();
    const run = repo.list()[0];
    const orders = repo.orders(run.id);
    assert.equal(orders.length, 5, 'one order row per sell decision (candles 40 to 44)');
    // the order of the last candle was left `pending` with quantity 0 until the next open (the orders API showed it)
    assert.deepEqual(
      orders.map((o) => [o.side, o.quantity, o.status, o.reason]),
      orders.map(() => ['sell', 0, 'skipped', 'no_position']),
    );
    assert.equal(run.pending, undefined, 'nothing waits for the next open');
    assert.equal(run.account.rejected.no_position, 5, 'counted as the backtest and live count a refused order');
    store.close();
  } finally {
    tmp.cleanup();
  }
});

test('bot status names a pending buy by the cash it spends, with its currency: "buy for 10,000,000 KRW"', async () => {
  const tmp = tempDir();
  try {
    const now = candles.ts[40] + HOUR + 10_000;
    const { store, repo, trader } = flatSeller(tmp.dir, now, always('buy'));
    await trader.tick();
    const status = runStatus(repo, KEY, now, 5, { tickDelaySeconds: 10, lockStaleSeconds: 120 });
    assert.deepEqual([status?.pendingOrder?.side, status?.pendingOrder?.quantity], ['buy', 10_000_000]);
    assert.match(
      formatStatus(status!),
      /^pending {6}buy for 10,000,000 KRW \(decided at .* close, fills at the next open\)$/m,
    );
    store.close();
  } finally {
    tmp.cleanup();
  }
});
