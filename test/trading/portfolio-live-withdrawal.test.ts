/**
 * Funds the user withdraws from the exchange under a `bot live --symbols` run (fake Upbit serving BTC/KRW and ETH/KRW
 * through real ccxt, real SQLite): the run's cash and each market's coins are cut to what the exchange holds free
 * before it decides, with one warning line; `bot status` and the dashboard's API show what was taken out and do not
 * count it as a loss, nor does the daily-loss cap; the next orders are sized from what is there. A shortfall seen in
 * one balance reply only cuts nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DashboardReader } from '../../src/server/reader.ts';
import type { AccountState } from '../../src/market/account.ts';
import { formatStatus, runStatus } from '../../src/trading/status.ts';
import { shrinkPortfolioToExchange } from '../../src/trading/withdrawals.ts';
import { capturingLogger } from '../helpers/log.ts';
import { loadPortfolioStrategy } from '../../src/agents/portfolio-strategy.ts';
import { portfolioRuleSource, type PortfolioPolicySource } from '../../src/trading/portfolio-policy-source.ts';
import { assertStartedFromWhatIsThere, errorLines, ticks, withdrawnBeforeFirstDecision } from './live-setup.ts';
import { assertBooksAgree, assertHeldByRun, setup, SYMBOLS } from './portfolio-live-setup.ts';

// a daily-loss cap far below the withdrawal: taking the withdrawal out must not halt the run
const CAPS = { maxOrderValue: 3_000_000, maxDailyLoss: 1_000_000 };

const withdrawals = (lines: string[]) => lines.filter((l) => l.includes('withdrawal:'));

test(`live portfolio: KRW and ETH withdrawn between ticks are taken out of the run exactly, with one line; status and \
the API show them, not as a loss; the next rebalance is sized to what is there and fills`, async () => {
  const lines: string[] = [];
  // equal-weight every 3 candles: the tick after the withdrawal keeps, so the cut is what its account shows
  const s = await setup(CAPS, 3, capturingLogger(lines));
  try {
    await ticks(s, s.make(), 1); // the run (10,000,000 KRW of the 20,000,000) buys 3,000,000 of each market
    const runId = s.repo.list()[0].id;
    const before = s.repo.get(runId).portfolio?.account;
    assert.ok(before && before.books.every((b) => b.units > 0), 'both buys filled');
    // the user withdraws: 2,000,000 KRW and half the ETH stay on the exchange
    s.book.balances.set('KRW', 2_000_000);
    const eth = Math.floor(before.books[1].units * 0.5e8) / 1e8;
    s.book.balances.set('ETH', eth);
    const trader = s.make(); // a restarted trader, as after a config change
    await ticks(s, trader, 1);

    const after = s.repo.get(runId);
    const pf = after.portfolio?.account;
    assert.ok(pf);
    assert.equal(after.halted, undefined, 'the withdrawal is not a loss for the daily-loss cap');
    assert.ok(Math.abs(pf.cash - 2_000_000) < 1e-6, `cash cut to what is free: ${pf.cash}`);
    assert.equal(pf.books[0].units, before.books[0].units, 'BTC was all there: kept');
    assert.equal(pf.books[1].units, eth, 'ETH cut to what is free');
    const ethPrice = s.repo.lastPositions(runId).find((p) => p.market === 'ETH/KRW')?.price ?? NaN;
    const taken = before.cash - 2_000_000 + (before.books[1].units - eth) * ethPrice;
    assert.ok(Math.abs((pf.withdrawn ?? 0) - taken) < 1e-3, `withdrawn ${pf.withdrawn} vs ${taken}`);
    assert.equal(after.account.withdrawn, pf.withdrawn, "the run's summary carries it for its readers");

    const warns = withdrawals(lines);
    assert.equal(warns.length, 1, 'one line says what was taken out');
    assert.match(warns[0], /the exchange holds 2000000 KRW, [0-9.]+ BTC and [0-9.]+ ETH free/);
    // amounts to 12 significant digits, not a subtraction's float noise (1997000.0087522706, 0.44323491000000004)
    assert.doesNotMatch(warns[0], /\d\.\d{13,}/, warns[0]);
    assert.match(warns[0], /taken out of the run: [0-9.]+ KRW, 0 BTC and [0-9.]+ ETH, worth [0-9.]+ KRW/);
    for (const l of lines) assert.ok(!/test-access-key-123|test-secret-key-456/.test(l), `no key in: ${l}`);

    const status = runStatus(s.repo, after, s.clock.now, 5, { tickDelaySeconds: 0, lockStaleSeconds: 120 });
    assert.ok(status);
    assert.ok(Math.abs(status.withdrawn - taken) < 1e-3, `status shows what was taken out: ${status.withdrawn}`);
    assert.ok(status.pnl > -0.05, `the withdrawal is not counted in the P&L: ${status.pnl}`);
    assert.match(formatStatus(status), /\nwithdrawn {4}[0-9,.]+ taken out of the run/);
    const api = new DashboardReader(s.store.db, { tickDelaySeconds: 0, lockStaleSeconds: 120 }).run(runId, s.clock.now);
    assert.ok(api && Math.abs(api.withdrawn - taken) < 1e-3, `the API shows it: ${api?.withdrawn}`);

    await ticks(s, trader, 2); // keep, then rebalance toward equal weights from what is there
    const orders = s.repo.orders(runId);
    assert.ok(orders.length > 2, 'the rebalance placed orders');
    assert.deepEqual(
      orders.map((o) => o.status),
      orders.map(() => 'filled'),
      'nothing refused or held: sized to what the exchange holds',
    );
    assert.deepEqual(errorLines(lines), []);
    assert.equal(withdrawals(lines).length, 1, 'no new withdrawal');
    assertHeldByRun(s, runId);
    assert.equal(s.repo.get(runId).halted, undefined);
  } finally {
    await s.cleanup();
  }
});

test(`live portfolio: a shortfall seen in one balance reply only (a lagging or glitching balance) cuts \
nothing`, async () => {
  const lines: string[] = [];
  const s = await setup(CAPS, 1, capturingLogger(lines));
  try {
    const trader = s.make();
    await ticks(s, trader, 1);
    const runId = s.repo.list()[0].id;
    const before = s.repo.get(runId).portfolio?.account;
    // the next reply shows almost nothing; the one after it is whole again
    const kept = new Map(s.book.balances);
    s.book.balances.set('KRW', 1_000);
    s.book.balances.set('ETH', 0);
    s.book.afterBalanceRead = () => kept.forEach((v, k) => s.book.balances.set(k, v));
    await ticks(s, trader, 1);
    assert.deepEqual(withdrawals(lines), [], 'no withdrawal was taken out');
    const pf = s.repo.get(runId).portfolio?.account;
    assert.ok(pf && before);
    assert.equal(pf.withdrawn, undefined);
    assert.ok(
      pf.books.every((b, m) => b.units > before.books[m].units),
      'the next buys went out as before',
    );
    assert.deepEqual(
      s.repo.orders(runId).map((o) => o.status),
      ['filled', 'filled', 'filled', 'filled'],
    );
    assert.deepEqual(errorLines(lines), []);
    assertBooksAgree(s, runId);
  } finally {
    await s.cleanup();
  }
});

const book = (units: number): AccountState => ({
  initialBalance: 0,
  cash: 0,
  units,
  avgBuyPrice: 10,
  avgCost: 10,
  feesPaid: 0,
  taxPaid: 0,
  buys: 1,
  sells: 0,
  rejected: { below_min_order: 0, no_cash: 0, no_position: 0, below_precision: 0 },
});

test(`shrinkPortfolioToExchange: markets that share a base split what is free of it in proportion to their units; \
the cash is compared once with the quote; nothing short, nothing cut`, () => {
  const a = {
    symbols: ['BTC/KRW', 'BTC/USDT', 'ETH/KRW'],
    initialBalance: 1000,
    cash: 100,
    books: [book(1), book(3), book(2)],
    skips: [0, 0, 0],
  };
  const free = (held: Record<string, number>) => (code: string) => held[code] ?? NaN;
  const cut = shrinkPortfolioToExchange(a, 'KRW', free({ KRW: 100, BTC: 2, ETH: 2 }), [10, 10, 5]);
  assert.ok(cut);
  assert.deepEqual(
    cut.account.books.map((b) => b.units),
    [0.5, 1.5, 2],
  );
  assert.deepEqual(cut.taken, { cash: 0, units: [0.5, 1.5, 0], value: 20 });
  assert.equal(cut.account.cash, 100);
  assert.equal(cut.account.withdrawn, 20);
  const cash = shrinkPortfolioToExchange(cut.account, 'KRW', free({ KRW: 40, BTC: 2, ETH: 0 }), [10, 10, 5]);
  assert.ok(cash);
  assert.equal(cash.account.cash, 40);
  assert.deepEqual(cash.taken, { cash: 60, units: [0, 0, 2], value: 70 });
  assert.deepEqual(cash.account.books[2], { ...book(0), avgBuyPrice: 0, avgCost: 0 }, 'an emptied book has no cost');
  assert.equal(cash.account.withdrawn, 90);
  assert.equal(shrinkPortfolioToExchange(a, 'KRW', free({ KRW: 500, BTC: 9, ETH: 2 }), [10, 10, 5]), undefined);
  const unsaid = shrinkPortfolioToExchange(a, 'KRW', free({}), [10, 10, 5]);
  assert.equal(unsaid, undefined, 'a reply that does not say what is free cuts nothing');
});

test(`live portfolio: a withdrawal taken out before the run's first decision is not counted as the run's after a \
restart: the restarted run starts from what is there, with nothing withdrawn and no made-up profit`, async () => {
  const s = await setup(CAPS, 3, capturingLogger([]));
  try {
    // a policy that cannot be served yet (a model that does not load): the ticks fail after the withdrawal check
    let broken = true;
    const rule = portfolioRuleSource(await loadPortfolioStrategy('equal-weight'), {
      symbols: SYMBOLS,
      seed: 1,
      every: 3,
    });
    const policies: PortfolioPolicySource = {
      label: rule.label,
      forSeries(traded, informative) {
        if (broken) throw new Error('the model cannot be loaded');
        return rule.forSeries(traded, informative);
      },
    };
    const runId = await withdrawnBeforeFirstDecision(s, s.make(undefined, policies));
    broken = false;
    await ticks(s, s.make(undefined, policies), 1); // restarted: the run's first decision
    const run = s.repo.get(runId);
    assertStartedFromWhatIsThere(
      runStatus(s.repo, run, s.clock.now, 5, { tickDelaySeconds: 0, lockStaleSeconds: 120 }),
    );
    assert.equal(run.portfolio?.account.withdrawn ?? 0, 0);
    assert.equal(s.repo.decisionCount(runId), 1);
  } finally {
    await s.cleanup();
  }
});
