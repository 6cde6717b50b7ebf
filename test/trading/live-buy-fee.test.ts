/**
 * A live buy spends what a paper buy of the same decision spends, fee included: it sends the exchange the value it
 * buys (Upbit's cost), the fee charged on top, not the paper order's spend (fee included), which paid a fee on the fee.
 * The fake Upbit (which charges its 0.05% on top of the cost) through real ccxt, real SQLite.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SizingOptions } from '../../src/market/execution.ts';
import type { RunRepository } from '../../src/trading/run-repository.ts';
import { alwaysBuy, assertBooksAgree, HOUR, liveSetup } from './live-setup.ts';

/** What run `runId`'s first buy took from its cash: the value bought and its fee. */
function firstBuySpend(repo: RunRepository, runId: number): number {
  const [buy] = repo.trades(runId);
  assert.equal(buy?.side, 'buy', 'the run bought');
  return buy.value + buy.fee;
}

/**
 * One live tick and two paper ticks (the paper buy fills at the next candle's open) of a policy that buys, sized by
 * `sizing`: what the exchange's KRW fell by, and what the live and paper runs' first buys spent.
 */
async function liveAndPaper(sizing: SizingOptions) {
  const s = await liveSetup({ maxOrderValue: 1e12, maxDailyLoss: 1e12 }, { policies: alwaysBuy(), sizing });
  try {
    await s.make().tick();
    const live = s.repo.list().find((r) => r.mode === 'live');
    assert.ok(live, 'a live run');
    const exchangeSpent = s.startKrw - (s.book.balances.get('KRW') ?? 0);
    assertBooksAgree(s, live.id);
    const paper = s.makePaper(alwaysBuy());
    await paper.tick();
    s.clock.now += HOUR;
    await paper.tick();
    const paperRun = s.repo.list().find((r) => r.mode === 'paper');
    assert.ok(paperRun, 'a paper run');
    return { exchangeSpent, live: firstBuySpend(s.repo, live.id), paper: firstBuySpend(s.repo, paperRun.id) };
  } finally {
    await s.cleanup();
  }
}

test(`live: a buy of 1,000,000 KRW (fee included, as paper plans it) spends 1,000,000 KRW with Upbit's fee, as \
the paper run's buy of the same decision does, not 1,000,500 (a fee on a cost that already held it)`, async () => {
  const r = await liveAndPaper({ kind: 'confidence', minTradeValue: 1_000_000, maxTradeValue: 1_000_000 });
  // whole satoshis: what they do not buy stays (less than one satoshi's worth, under 1 KRW here)
  assert.ok(r.exchangeSpent <= 1_000_000 && r.exchangeSpent > 1_000_000 - 1, `exchange spent ${r.exchangeSpent}`);
  assert.ok(Math.abs(r.live - r.exchangeSpent) < 1e-6, `the run booked ${r.live}`);
  assert.ok(Math.abs(r.live - r.paper) < 1, `live spent ${r.live}, paper ${r.paper}`);
});

test("live: a buy of all the cash spends the run's 10,000,000 KRW with the fee, not more, as paper does", async () => {
  const r = await liveAndPaper({ kind: 'all' });
  assert.ok(r.exchangeSpent <= 10_000_000 && r.exchangeSpent > 10_000_000 - 1, `exchange spent ${r.exchangeSpent}`);
  assert.ok(Math.abs(r.live - r.paper) < 1, `live spent ${r.live}, paper ${r.paper}`);
});
