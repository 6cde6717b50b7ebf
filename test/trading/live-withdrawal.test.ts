/**
 * Funds the user withdraws from the exchange under a live run (fake Upbit through real ccxt, real SQLite): the run's
 * account is cut to what the exchange holds before it decides, its next buy is sized from that and fills, the cut
 * survives a restart (a deposit is not added back), is not counted as a loss by the daily-loss cap or `bot status`,
 * and its one log line carries no API key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../src/core/errors.ts';
import { CandleStore } from '../../src/data/store.ts';
import type { AccountState } from '../../src/market/account.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { runStatus } from '../../src/trading/status.ts';
import { heldFree } from '../../src/trading/withdrawals.ts';
import { capturingLogger } from '../helpers/log.ts';
import type { PolicySource } from '../../src/trading/types.ts';
import {
  alwaysBuy,
  assertStartedFromWhatIsThere,
  errorLines,
  liveSetup,
  orderPosts,
  ticks,
  withdrawnBeforeFirstDecision,
} from './live-setup.ts';

// a daily-loss cap far below the withdrawal: taking the withdrawal out must not halt the run
const CAPS = { maxOrderValue: 3_000_000, maxDailyLoss: 1_000_000 };

test(`live: a withdrawal from the exchange is taken out of the run's account; the next buy is sized to what is \
there and fills; the cut survives a restart and is not a loss`, async () => {
  const lines: string[] = [];
  const s = await liveSetup(CAPS, { policies: alwaysBuy(), logger: capturingLogger(lines) });
  try {
    await ticks(s, s.make(), 1); // the run (10,000,000 KRW of the 20,000,000) buys 3,000,000
    const runId = s.repo.list()[0].id;
    const bought = s.repo.get(runId).account;
    assert.ok(bought.units > 0 && bought.cash > 6_900_000, 'the first buy filled');
    // the user withdraws: 2,000,000 KRW and half the coins stay on the exchange
    s.book.balances.set('KRW', 2_000_000);
    s.book.balances.set('BTC', Math.floor(bought.units * 0.5e8) / 1e8); // whole satoshis, as Upbit shows them
    const trader = s.make(); // a restarted trader, as after a config change
    await ticks(s, trader, 1);

    assert.deepEqual(errorLines(lines), [], 'no order was refused');
    const orders = s.repo.orders(runId);
    assert.deepEqual(
      orders.map((o) => o.status),
      ['filled', 'filled'],
    );
    const posted = orderPosts(s);
    assert.equal(posted.length, 2);
    const second = s.book.orders[1];
    const spent = Number(second.executed_funds) + Number(second.paid_fee);
    assert.ok(spent > 1_990_000 && spent <= 2_000_000 + 1e-6, `the buy spent what was there: ${spent}`);
    const after = s.repo.get(runId);
    assert.equal(after.halted, undefined, 'the withdrawal is not a loss for the daily-loss cap');
    assert.ok(Math.abs(after.account.cash - (s.book.balances.get('KRW') ?? 0)) < 1e-3, 'cash matches the exchange');
    assert.ok(
      Math.abs(after.account.units - (s.book.balances.get('BTC') ?? 0)) < 1e-9,
      `units match the exchange: ${after.account.units} vs ${s.book.balances.get('BTC')}`,
    );

    const warns = lines.filter((l) => l.includes('withdrawal:'));
    assert.equal(warns.length, 1, 'one line says what was taken out');
    assert.match(warns[0], /2000000 KRW/);
    for (const l of lines) assert.ok(!/test-access-key-123|test-secret-key-456/.test(l), `no key in: ${l}`);

    // a deposit afterwards is not the run's; a restart on a new connection keeps the cut
    s.book.balances.set('KRW', 30_000_000);
    const cash = after.account.cash;
    await ticks(s, s.make(), 1);
    const reopened = CandleStore.open(s.store.db.name);
    try {
      const repo = new RunRepository(reopened.db);
      const kept = repo.get(runId);
      assert.ok(kept.account.cash <= cash + 1e-6, `the deposit was not added: ${kept.account.cash} vs ${cash}`);
      // what is left is below the minimum order: a hold with its reason, not an order the exchange refuses
      const last = repo.orders(runId).at(-1);
      assert.equal(last?.status, 'skipped', JSON.stringify(last));
      assert.equal(orderPosts(s).length, 2, 'no order sent after the restart');
      assert.deepEqual(errorLines(lines), [], 'nothing refused');
      const status = runStatus(repo, s.key, s.clock.now, 5, { tickDelaySeconds: 0, lockStaleSeconds: 120 });
      assert.ok(status, 'the run has a status');
      assert.ok(status.withdrawn > 6_000_000, `status shows what was taken out: ${status.withdrawn}`);
      assert.ok(status.pnl > -0.05, `the withdrawal is not counted in the P&L: ${status.pnl}`);
    } finally {
      reopened.close();
    }
    assert.equal(lines.filter((l) => l.includes('withdrawal:')).length, 1, 'the restart logged no new withdrawal');
  } finally {
    await s.cleanup();
  }
});

type Setup = Awaited<ReturnType<typeof liveSetup>>;

/**
 * A live run that bought at its first tick, then `change` made to the exchange (its balance replies), then a second
 * tick of the same trader; `check` looks at what that tick left (the run's account before it: `before`).
 */
async function secondTick(
  change: (s: Setup) => void,
  check: (o: { s: Setup; lines: string[]; runId: number; before: AccountState }) => void,
): Promise<void> {
  const lines: string[] = [];
  const s = await liveSetup(CAPS, { policies: alwaysBuy(), logger: capturingLogger(lines) });
  try {
    const trader = s.make();
    await ticks(s, trader, 1);
    const runId = s.repo.list()[0].id;
    const before = s.repo.get(runId).account;
    change(s);
    await ticks(s, trader, 1);
    check({ s, lines, runId, before });
  } finally {
    await s.cleanup();
  }
}

/** Nothing was taken out of the run and its next buy went out as before. */
function nothingCut({ s, lines, runId, before }: { s: Setup; lines: string[]; runId: number; before: AccountState }) {
  assert.deepEqual(
    lines.filter((l) => l.includes('withdrawal:')),
    [],
    'no withdrawal was taken out',
  );
  const after = s.repo.get(runId).account;
  assert.equal(after.withdrawn ?? 0, 0);
  assert.deepEqual(
    s.repo.orders(runId).map((o) => o.status),
    ['filled', 'filled'],
    'the next buy went out as before',
  );
  assert.ok(after.units > before.units);
}

/** The next balance reply shows the exchange as `set` leaves it; the one after it is as before again. */
function forOneReply(s: Setup, set: () => void): void {
  const kept = new Map(s.book.balances);
  set();
  s.book.afterBalanceRead = () => kept.forEach((v, k) => s.book.balances.set(k, v));
}

test('live: a balance reply that lists no currency at all cuts nothing from the run', () =>
  secondTick((s) => forOneReply(s, () => s.book.balances.clear()), nothingCut));

test('live: a shortfall seen in one balance reply only (a lagging or glitching balance) cuts nothing', () =>
  // the next reply shows almost nothing; the one after it is whole again
  secondTick((s) => forOneReply(s, () => s.book.balances.set('KRW', 1_000)), nothingCut));

/** The next two balance replies (the check's two reads) leave out what `codes` have free. */
function freeUnsaid(s: Setup, codes: string[]): void {
  s.book.omitFree = new Set(codes);
  s.book.afterBalanceRead = () => {
    s.book.afterBalanceRead = () => s.book.omitFree.clear();
  };
}

test('live: a balance reply that does not say what is free cuts nothing from the run', () =>
  // every currency is listed, with what its orders lock, but not what is free (ccxt's free is undefined)
  secondTick((s) => freeUnsaid(s, ['KRW', 'BTC']), nothingCut));

test(`live: a withdrawal of coins is taken out when the reply does not say what cash is free; the cash is \
kept`, () =>
  secondTick(
    (s) => {
      const units = s.repo.get(s.repo.list()[0].id).account.units;
      s.book.balances.set('BTC', Math.floor(units * 0.5e8) / 1e8); // half the coins withdrawn
      freeUnsaid(s, ['KRW']);
    },
    ({ s, lines, runId, before }) => {
      const warns = lines.filter((l) => l.includes('withdrawal:'));
      assert.equal(warns.length, 1, 'one line says what was taken out');
      assert.match(warns[0], /holds an unknown amount of KRW and [0-9.]+ BTC free/);
      const cut = s.repo.get(runId).account;
      assert.ok(cut.withdrawn !== undefined && cut.withdrawn > 0, 'the coins were taken out');
      assert.equal(s.book.orders.length, 2, 'the next buy went out');
      const spent = Number(s.book.orders[1].executed_funds) + Number(s.book.orders[1].paid_fee);
      assert.ok(Math.abs(cut.cash - (before.cash - spent)) < 1e-6, `the cash was kept: ${cut.cash} vs ${before.cash}`);
    },
  ));

test(`heldFree: free when the reply says it, else the total (an exchange that reports only totals), else \
unknown`, () => {
  const reply = { KRW: { free: 5, used: 1, total: 6 }, BTC: { free: undefined, used: undefined, total: 0.5 }, ETH: {} };
  assert.equal(heldFree(reply, 'KRW'), 5);
  assert.equal(heldFree(reply, 'BTC'), 0.5);
  assert.ok(Number.isNaN(heldFree(reply, 'ETH')), 'neither said: unknown, which cuts nothing');
  assert.equal(heldFree(reply, 'XRP'), 0, 'a currency the reply does not list is empty');
});

test(`live: a new run on a balance reply that says neither what is free nor what is held stops with one line, \
instead of starting from 0 and never trading`, async () => {
  const s = await liveSetup(CAPS, { policies: alwaysBuy() });
  try {
    s.book.omitFree = new Set(['KRW']); // Upbit's 'balance' left out: ccxt has neither free nor total for KRW
    await assert.rejects(
      () => s.make().tick(),
      (e: Error) =>
        e instanceof UserError &&
        e.message ===
          "the exchange's balance reply says neither how much KRW is free nor how much is held: cannot " +
            'size a new live run',
    );
    assert.equal(orderPosts(s).length, 0, 'nothing was sent');
  } finally {
    await s.cleanup();
  }
});

test(`live: a withdrawal taken out before the run's first decision is not counted as the run's after a restart: \
the restarted run starts from what is there, with nothing withdrawn and no made-up profit`, async () => {
  const s = await liveSetup(CAPS, { logger: capturingLogger([]) });
  try {
    // a policy that cannot be served yet (a model that does not load): the ticks fail after the withdrawal check
    let broken = true;
    const buy = alwaysBuy();
    const policies: PolicySource = {
      label: buy.label,
      forCandles(candles) {
        if (broken) throw new Error('the model cannot be loaded');
        return buy.forCandles(candles);
      },
    };
    const runId = await withdrawnBeforeFirstDecision(s, s.make(policies));
    broken = false;
    await ticks(s, s.make(policies), 1); // restarted: the run's first decision
    assertStartedFromWhatIsThere(
      runStatus(s.repo, s.key, s.clock.now, 5, { tickDelaySeconds: 0, lockStaleSeconds: 120 }),
    );
    assert.equal(s.repo.decisionCount(runId), 1);
  } finally {
    await s.cleanup();
  }
});
