/**
 * What a live run books of an order the exchange took, against the fake Upbit through real ccxt: never an order still
 * open (Upbit carries a cancel out later, and the order executes more until then: it stays in flight until it ends),
 * and an order its look-up by id misses right after placing (the exchange shows it late) is in flight, never
 * "failed": settled by the exchange's id for it at the next tick, placed once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTime } from '../../src/data/timeframe.ts';
import { capturingLogger } from '../helpers/log.ts';
import { runBot } from './cli.ts';
import { assertBooksAgree as assertPortfolioBooksAgree, setup } from './portfolio-live-setup.ts';
import {
  assertBooksAgree,
  assertFilledOnce,
  buyingSetup,
  HOUR,
  liveCliSetup,
  orderStatuses,
  ordersIn,
} from './live-setup.ts';

const ENV = { UPBIT_API_KEY: 'settle-test-access-key', UPBIT_API_SECRET: 'settle-test-secret-key', NO_COLOR: '1' };

/** `bot live --once` of a buy-and-hold run in `db` at `now`. */
function liveArgs(db: string, cfg: string, now: number): string[] {
  const clock = ['--now', isoTime(now), '--db', db, '--config', cfg, '--log-level', 'warn'];
  return ['live', '--strategy', 'buy-and-hold', '--confirm-live', '--once', ...clock];
}

test(`live: a partly executed market order whose cancel Upbit carries out later is booked once it ended, with \
everything it executed; one still open after the polls stays in flight and the next tick books all of it (no \
made-up withdrawal)`, async () => {
  const lines: string[] = [];
  const s = await buyingSetup(lines);
  try {
    const trader = s.make();
    s.book.partialFill = 0.4;
    s.book.cancelLag = 2;
    s.book.fillWhileCancelling = 0.2;
    await trader.tick();
    const run = s.repo.list()[0];
    assert.deepEqual(orderStatuses(s.repo, run.id), ['filled']);
    assert.equal(s.book.orders[0].state, 'cancel', 'booked after the cancel was carried out');
    assertBooksAgree(s, run.id);

    // the cancel lands only after more look-ups than the polls make: the order is left in flight, not booked
    s.book.cancelLag = 1000;
    s.book.fillWhileCancelling = 0.05;
    s.clock.now += HOUR;
    await trader.tick();
    const second = s.repo.orders(run.id)[1];
    assert.equal(second.status, 'submitting', 'an order still open is not booked');
    assert.equal(second.exchangeId, s.book.orders[1].uuid, "the exchange's id for it is kept");
    assert.ok(
      lines.some((l) => /accepted by the exchange as its order .*still open after its cancel was accepted/.test(l)),
      lines.join('\n'),
    );
    s.book.endCancels();
    s.book.cancelLag = 0;
    s.book.partialFill = 1;
    s.clock.now += HOUR;
    await trader.tick();
    const orders = s.repo.orders(run.id);
    assert.equal(orders[1].status, 'filled');
    assert.ok(Math.abs(orders[1].quantity - Number(s.book.orders[1].executed_volume)) < 1e-12, 'all it executed');
    assert.equal(s.repo.get(run.id).account.withdrawn ?? 0, 0, 'nothing taken out as a withdrawal');
    assertBooksAgree(s, run.id);
  } finally {
    await s.cleanup();
  }
});

test(`bot live: an order the look-up by its id misses right after placing is not "failed": a short lag is waited \
out and the order booked; a longer one leaves it in flight under the exchange's id, which the next tick finds it by \
(the exchange shows it only by that id), placed once; bot status shows it accepted and waiting to settle, with no \
settle-by-hand command`, async () => {
  for (const lag of [1, 1000]) {
    const { tmp, now, fake, book, cfg, db } = await liveCliSetup(48, 5_000_000);
    try {
      const cli = liveArgs(db, cfg, now);
      book.lookupLag = lag;
      if (lag > 1) book.onlyByUuid = 1;
      const first = await runBot(cli, ENV);
      assert.equal(first.code, 0, first.stderr);
      assert.doesNotMatch(first.stderr, /fail/i);
      if (lag === 1) {
        assertFilledOnce(db, book, 5_000_000);
        continue;
      }
      const uuid = book.orders[0].uuid;
      const line = new RegExp(`accepted by the exchange as its order ${uuid}, .*left in flight \\(submitting\\)`);
      assert.match(first.stderr, line);
      assert.deepEqual(
        ordersIn(db).map((o) => [o.status, o.exchangeId]),
        [['submitting', uuid]],
      );
      // bot status says the exchange has it and the next tick settles it: no settle-by-hand invitation
      const status = await runBot(['status', '--live', '--db', db, '--config', cfg], ENV);
      assert.equal(status.code, 0, status.stderr);
      const waiting = `accepted by upbit as order ${uuid}, waiting to settle (the next tick settles it)`;
      assert.ok(status.stdout.includes(waiting), status.stdout);
      assert.doesNotMatch(status.stdout, /outcome unknown|settle by hand/);
      const json = await runBot(['status', '--live', '--json', '--db', db, '--config', cfg], ENV);
      assert.equal(json.code, 0, json.stderr);
      const [inFlight] = (JSON.parse(json.stdout) as { inFlight: Record<string, unknown>[] }).inFlight;
      assert.deepEqual([inFlight.exchangeOrderId, inFlight.settle], [uuid, null]);
      book.lookupLag = 0;
      book.endLags();
      const next = await runBot(cli, ENV);
      assert.equal(next.code, 0, next.stderr);
      assert.match(next.stderr, /found on the exchange \(canceled\), recorded/);
      assertFilledOnce(db, book, 5_000_000);
    } finally {
      await fake.close();
      tmp.cleanup();
    }
  }
});

test(`live portfolio: orders partly executed and still open after their cancel are left in flight, each under the \
exchange's id, and the next tick books all they executed`, async () => {
  const lines: string[] = [];
  const s = await setup({ maxOrderValue: 1e9, maxDailyLoss: 1e12 }, 1, capturingLogger(lines));
  try {
    const trader = s.make();
    s.book.partialFill = 0.4;
    s.book.cancelLag = 1000;
    s.book.fillWhileCancelling = 0.05;
    await trader.tick(); // buys both markets: each partly executed, its cancel not carried out within the polls
    const run = s.repo.list()[0];
    assert.deepEqual(
      s.repo.orders(run.id).map((o) => [o.status, o.exchangeId]),
      s.book.orders.map((o) => ['submitting', o.uuid]),
    );
    const inFlight = lines.filter((l) => /accepted by the exchange as its order .*still open after its cancel/.test(l));
    assert.equal(inFlight.length, 2, lines.join('\n'));
    s.book.endCancels();
    s.book.cancelLag = 0;
    s.book.partialFill = 1;
    s.clock.now += HOUR;
    await trader.tick();
    const [btc, eth] = s.repo.orders(run.id);
    for (const [row, o] of [
      [btc, s.book.orders[0]],
      [eth, s.book.orders[1]],
    ] as const) {
      assert.equal(row.status, 'filled');
      assert.ok(Math.abs(row.quantity - Number(o.executed_volume)) < 1e-12, `${o.market}: all it executed`);
    }
    assert.equal(s.repo.get(run.id).account.withdrawn ?? 0, 0, 'nothing taken out as a withdrawal');
    assertPortfolioBooksAgree(s, run.id);
  } finally {
    await s.cleanup();
  }
});

/**
 * A `bot live --once` run (seed `seed`, 5,000,000 KRW) whose first order the exchange took but shows in no look-up
 * (its lookupLag never runs out unless the test ends it): left in flight under the exchange's id. Returns the setup,
 * the order's row and that id.
 */
async function acceptedUnshown(seed: number) {
  const s = await liveCliSetup(seed, 5_000_000);
  s.book.lookupLag = 1_000_000;
  const first = await runBot(liveArgs(s.db, s.cfg, s.now), ENV);
  assert.equal(first.code, 0, first.stderr);
  const [row] = ordersIn(s.db);
  const uuid = s.book.orders[0].uuid;
  assert.deepEqual([row.status, row.exchangeId], ['submitting', uuid]);
  return { ...s, row, uuid };
}

test(`bot live --settle-order books an order left in flight by the exchange's id it was accepted as, which the \
order's row keeps (not refused as booked already)`, async () => {
  const { tmp, fake, book, cfg, db, row, uuid } = await acceptedUnshown(49);
  try {
    book.lookupLag = 0;
    book.endLags();
    const by = ['--settle-order', row.clientId ?? '', '--exchange-order-id', uuid];
    const settled = await runBot(['live', '--db', db, '--config', cfg, '--log-level', 'warn', ...by], ENV);
    assert.equal(settled.code, 0, settled.stderr);
    assert.match(settled.stdout, new RegExp(`the exchange's order ${uuid} .*recorded as filled`));
    assertFilledOnce(db, book, 5_000_000);
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`bot status: an order the exchange accepted (its id kept) that no later look-up shows, past the grace since the \
first miss, says since when it is missing and names the --settle-order command with that id; plain and \
--json`, async () => {
  const { tmp, now, setExchangeNow, fake, book, cfg, db, row, uuid } = await acceptedUnshown(50);
  try {
    const later = now + 20 * 60_000;
    setExchangeNow(later);
    const next = await runBot(liveArgs(db, cfg, later), ENV);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, /outcome unknown, not found yet, but the exchange has it/);
    assert.equal(book.orders.length, 1, 'held back, never sent again');
    // bot status runs at the wall clock, long past the trader's grace after that miss
    const status = await runBot(['status', '--live', '--db', db, '--config', cfg], ENV);
    assert.equal(status.code, 0, status.stderr);
    const missing = `accepted by upbit as order ${uuid}, missing since ${isoTime(later)}: no look-up shows it`;
    assert.ok(status.stdout.includes(missing), status.stdout);
    const command =
      'bot live --name default --exchange upbit --symbol BTC/KRW --timeframe 1h ' +
      `--settle-order ${row.clientId} --exchange-order-id ${uuid} (once its history shows it; ` +
      '--never-placed if it executed nothing)';
    assert.ok(status.stdout.includes(`settle by hand once checked on the exchange: ${command}`), status.stdout);
    const json = await runBot(['status', '--live', '--json', '--db', db, '--config', cfg], ENV);
    assert.equal(json.code, 0, json.stderr);
    const [inFlight] = (JSON.parse(json.stdout) as { inFlight: Record<string, unknown>[] }).inFlight;
    assert.deepEqual([inFlight.exchangeOrderId, inFlight.settle], [uuid, command]);
    assert.ok(String(inFlight.state).includes(missing), String(inFlight.state));
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});
