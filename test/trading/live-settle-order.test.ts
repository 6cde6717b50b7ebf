/**
 * `bot live --settle-order` against the fake Upbit: an order the exchange proved it has (a resend refused for its id)
 * that no look-up by its client id finds (archived: shown only by its uuid) holds its market back at every tick; the
 * user settles it by hand, with the exchange's id for it (fetched, checked against the order sent, booked once) or as
 * never placed (their statement, kept as the reason), and the refusals are one line each.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import test from 'node:test';
import { isoTime } from '../../src/data/timeframe.ts';
import { CandleStore } from '../../src/data/store.ts';
import { acquireLock, runLockName } from '../../src/trading/lock.ts';
import { legacyOrderId } from '../../src/trading/order-desk.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import type { FakeOrder } from '../fake-exchange/orders.ts';
import { runBot } from './cli.ts';
import { assertFilledOnce, HOUR, liveCliSetup, ordersIn } from './live-setup.ts';
import { assertBooksAgree as assertPfBooksAgree, setup as pfSetup, SYMBOLS } from './portfolio-live-setup.ts';

const ENV = { UPBIT_API_KEY: 'settle-test-access-key', UPBIT_API_SECRET: 'settle-test-secret-key', NO_COLOR: '1' };
const MINUTE = 60_000;

function liveArgs(db: string, cfg: string, now: number): string[] {
  const clock = ['--now', isoTime(now), '--db', db, '--config', cfg, '--log-level', 'warn'];
  return ['live', '--strategy', 'buy-and-hold', '--confirm-live', '--once', ...clock];
}

/** `bot live --settle-order id` with `extra`, against the run of `db`. */
function settleArgs(db: string, cfg: string, id: string, extra: string[]): string[] {
  return ['live', '--db', db, '--config', cfg, '--log-level', 'warn', '--settle-order', id, ...extra];
}

/**
 * A run whose first order was taken with its reply lost and archived at once (shown only by its uuid): the resend is
 * refused for its id, so it stays `submitting` with that proof, and a tick 20 minutes on still finds nothing and
 * sends nothing. Returns the setup, the order's client id and the exchange's order.
 */
async function archivedUnknownOrder(seed: number) {
  const s = await liveCliSetup(seed, 2_000_000);
  s.book.loseRepliesAfterAccept = 1;
  s.book.onlyByUuid = 1;
  const first = await runBot(liveArgs(s.db, s.cfg, s.now), ENV);
  assert.equal(first.code, 0, first.stderr);
  const [sent] = ordersIn(s.db);
  assert.equal(sent.status, 'submitting');
  assert.match(sent.existsProof ?? '', /is already used/);
  s.setExchangeNow(s.now + 20 * MINUTE);
  const later = await runBot(liveArgs(s.db, s.cfg, s.now + 20 * MINUTE), ENV);
  assert.equal(later.code, 0, later.stderr);
  assert.match(later.stderr, /outcome unknown, not found yet, but the exchange has it.*no new order in BTC\/KRW/);
  assert.equal(ordersIn(s.db)[0].status, 'submitting', 'no look-up finds it');
  assert.equal(s.book.orders.length, 1, 'the market is held back');
  return { ...s, clientId: sent.clientId ?? '', taken: s.book.orders[0] };
}

/** The single line a refused command printed (its stderr), checked to be one line. */
function oneLine(r: { code: number | null; stderr: string }): string {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  return lines[0];
}

test(`bot live --settle-order with the exchange's order id books an order no look-up finds, once; an order of \
another size or side, an open one or none under that id is refused and nothing booked`, async () => {
  const { tmp, fake, book, cfg, db, clientId, taken } = await archivedUnknownOrder(61);
  try {
    const status = await runBot(['status', '--live', '--db', db, '--config', cfg], ENV);
    assert.equal(status.code, 0, status.stderr);
    const wayOut = `--settle-order ${clientId} --exchange-order-id ID`;
    assert.ok(
      status.stdout.includes(`settle by hand once checked on the exchange: bot live --name default`),
      status.stdout,
    );
    assert.ok(status.stdout.includes(wayOut), status.stdout);
    // the exchange's other orders the user may name by mistake
    const other = (o: Partial<FakeOrder>): string => {
      const uuid = randomUUID();
      book.orders.push({ ...taken, identifier: undefined, ...o, uuid });
      return uuid;
    };
    const refusals: [string, RegExp][] = [
      [other({ price: '1500000' }), /a buy of 1500000, this run sent a buy of 1000000: not booked$/],
      [other({ side: 'ask', ord_type: 'market', volume: '0.01' }), /is a sell of 0\.01, this run sent a buy of/],
      [other({ state: 'wait' }), /is still open: settle it after it ends; nothing booked$/],
      [randomUUID(), /upbit has no order [0-9a-f-]+ in BTC\/KRW: nothing booked$/],
    ];
    for (const [uuid, why] of refusals) {
      const r = await runBot(settleArgs(db, cfg, clientId, ['--exchange-order-id', uuid]), ENV);
      assert.match(oneLine(r), why);
      assert.equal(ordersIn(db)[0].status, 'submitting', 'nothing booked');
    }
    book.orders.splice(1);
    const settled = await runBot(settleArgs(db, cfg, clientId, ['--exchange-order-id', taken.uuid]), ENV);
    assert.equal(settled.code, 0, settled.stderr);
    assert.match(
      settled.stdout,
      new RegExp(`order ${clientId}: the exchange's order ${taken.uuid} .*recorded as filled`),
    );
    assertFilledOnce(db, book, 2_000_000);
    const again = await runBot(settleArgs(db, cfg, clientId, ['--exchange-order-id', taken.uuid]), ENV);
    assert.match(oneLine(again), new RegExp(`order ${clientId} is filled, not unknown: nothing to settle`));
    assertFilledOnce(db, book, 2_000_000);
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot live --settle-order --never-placed writes off an order the exchange proved it has, on the user's word \
(a warning; bot status shows who decided), and the next tick trades that market again`, async () => {
  const { tmp, fake, book, now, setExchangeNow, cfg, db, clientId } = await archivedUnknownOrder(62);
  try {
    const r = await runBot(settleArgs(db, cfg, clientId, ['--never-placed']), ENV);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /--never-placed: order .* is written off on your statement that upbit has no such order/);
    assert.match(r.stdout, /written off as never placed \(written off by hand: --never-placed\)/);
    const [off] = ordersIn(db);
    assert.deepEqual([off.status, off.reason], ['cancelled', 'written off by hand: --never-placed']);
    const status = await runBot(['status', '--live', '--db', db, '--config', cfg], ENV);
    assert.match(
      status.stdout,
      new RegExp(`written off +buy 1,000,000 BTC/KRW as order ${clientId}: written off by hand`),
    );
    setExchangeNow(now + HOUR);
    const next = await runBot(liveArgs(db, cfg, now + HOUR), ENV);
    assert.equal(next.code, 0, next.stderr);
    assert.equal(book.orders.length, 2, 'a new order in BTC/KRW');
    assert.deepEqual(
      ordersIn(db).map((o) => o.status),
      ['cancelled', 'filled'],
    );
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot live --settle-order refusals, one line each before any request: an unknown client id, flags missing or \
given together, a flag that starts or trades the run, and a run whose trader is running`, async () => {
  const { tmp, fake, cfg, db, clientId } = await archivedUnknownOrder(63);
  try {
    const requests = fake.state.requests.length;
    const cases: [string[], RegExp][] = [
      [settleArgs(db, cfg, 'bot9-nosuch-1', ['--never-placed']), /the live run "default" has no order bot9-nosuch-1$/],
      [settleArgs(db, cfg, clientId, []), /add --exchange-order-id ID .* or --never-placed/],
      [settleArgs(db, cfg, clientId, ['--never-placed', '--exchange-order-id', 'x']), /not both$/],
      [
        settleArgs(db, cfg, clientId, ['--never-placed', '--strategy', 'buy-and-hold']),
        /starts nothing: drop --strategy$/,
      ],
      [settleArgs(db, cfg, clientId, ['--never-placed', '--confirm-live']), /drop --confirm-live$/],
      [settleArgs(db, cfg, clientId, ['--never-placed', '--end']), /settle the order first, then --end$/],
      [['live', '--db', db, '--config', cfg, '--never-placed'], /--never-placed goes with --settle-order/],
    ];
    for (const [args, why] of cases) assert.match(oneLine(await runBot(args, ENV)), why, args.join(' '));
    // a running trader holds the run's lock (this process stands in for it)
    const store = CandleStore.open(db);
    try {
      const run = new RunRepository(store.db).list()[0];
      const lock = acquireLock(store.db, runLockName(run), 120_000);
      try {
        const r = await runBot(settleArgs(db, cfg, clientId, ['--exchange-order-id', 'x']), ENV);
        assert.match(oneLine(r), /is already running \(pid/);
      } finally {
        lock.release();
      }
    } finally {
      store.close();
    }
    assert.equal(fake.state.requests.length, requests, 'no request reached the exchange');
    assert.equal(ordersIn(db)[0].status, 'submitting');
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot live --symbols --settle-order books a portfolio order no look-up finds into its market's book, and writes \
off another with --never-placed; the books agree with the exchange`, async () => {
  const s = await pfSetup({ maxOrderValue: 3_000_000, maxDailyLoss: 1e12 }, 3);
  try {
    s.book.loseRepliesAfterAccept = 2;
    s.book.onlyByUuid = 2;
    await s.make().tick();
    const run = s.repo.list()[0];
    const unknown = s.repo.orders(run.id, 'submitting');
    assert.equal(unknown.length, 2, 'both buys unknown');
    assert.ok(unknown.every((o) => /is already used/.test(o.existsProof ?? '')));
    const flags = ['--symbols', SYMBOLS.join(','), '--db', s.db, '--config', s.cfg, '--log-level', 'warn'];
    const [btc, eth] = SYMBOLS.map((sym) => unknown.find((o) => o.market === sym));
    const taken = s.book.orders.find((o) => o.identifier === btc?.clientId);
    assert.ok(btc?.clientId && eth?.clientId && taken);
    const wrong = await runBot(
      ['live', ...flags, '--settle-order', eth.clientId, '--exchange-order-id', taken.uuid],
      s.env,
    );
    assert.match(oneLine(wrong), /is in BTC\/KRW, order .* in ETH\/KRW: not booked$/);
    const booked = await runBot(
      ['live', ...flags, '--settle-order', btc.clientId, '--exchange-order-id', taken.uuid],
      s.env,
    );
    assert.equal(booked.code, 0, booked.stderr);
    assert.match(booked.stdout, /recorded as filled/);
    // the ETH order the exchange has too: written off on the user's (here mistaken) word, and its fill undone on the
    // exchange's side so that the books can be compared
    const off = await runBot(['live', ...flags, '--settle-order', eth.clientId, '--never-placed'], s.env);
    assert.equal(off.code, 0, off.stderr);
    const ethOrder = s.book.orders.find((o) => o.identifier === eth.clientId);
    assert.ok(ethOrder);
    s.book.balances.set('ETH', 0);
    s.book.balances.set('KRW', (s.book.balances.get('KRW') ?? 0) + Number(ethOrder.executed_funds) * 1.0005);
    assert.deepEqual(
      s.repo.orders(run.id).map((o) => o.status),
      ['filled', 'cancelled'],
    );
    assertPfBooksAgree(s, run.id);
  } finally {
    await s.cleanup();
  }
});

test(`bot status --live prints the settle-by-hand command for an unknown order from before trading schema 4 (no \
stored client id) with the legacy id it was sent under, which --settle-order takes`, async () => {
  const { tmp, fake, cfg, db } = await archivedUnknownOrder(64);
  try {
    // the row as an order in flight across the schema 4 upgrade has it: sent under the legacy id, none stored
    const store = CandleStore.open(db);
    let legacy: string;
    try {
      const repo = new RunRepository(store.db);
      const run = repo.list()[0];
      const [o] = repo.orders(run.id);
      store.db.prepare('UPDATE trading_orders SET client_id = NULL WHERE id = ?').run(o.id);
      legacy = legacyOrderId(run.id, o.decisionTs);
    } finally {
      store.close();
    }
    const status = await runBot(['status', '--live', '--db', db, '--config', cfg], ENV);
    assert.equal(status.code, 0, status.stderr);
    // before: `as order ?` and no way out
    assert.ok(status.stdout.includes(`as order ${legacy} (submitting: outcome unknown`), status.stdout);
    assert.ok(
      status.stdout.includes(
        `settle by hand once checked on the exchange: bot live --name default --exchange upbit --symbol BTC/KRW ` +
          `--timeframe 1h --settle-order ${legacy} --exchange-order-id ID`,
      ),
      status.stdout,
    );
    const off = await runBot(settleArgs(db, cfg, legacy, ['--never-placed']), ENV);
    assert.equal(off.code, 0, off.stderr);
    assert.deepEqual(
      ordersIn(db).map((o) => o.status),
      ['cancelled'],
    );
    const after = await runBot(['status', '--live', '--db', db, '--config', cfg], ENV);
    assert.match(
      after.stdout,
      new RegExp(`written off +buy 1,000,000 BTC/KRW as order ${legacy}: written off by hand`),
    );
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});
