/**
 * A live exit bigger than trading.live.maxOrderValue: it stays pending while more than the minimum order is left
 * (each candle sells again, capped, and the policy is not asked), and is applied once what is left is dust, its note
 * saying how much; a sell of all that is left refused as below the exchange's minimum is that dust. A capped sell's
 * refusal for another reason keeps the exit pending, `bot status` saying why. And a capped sell stays within the cap
 * when the market fills above the decision candle's close. One market and a portfolio, against the fake Upbit
 * through real ccxt and a real SQLite file.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listCommands, requestCommand } from '../../src/trading/commands.ts';
import type { LiveCaps } from '../../src/trading/live-orders.ts';
import type { RunRepository } from '../../src/trading/run-repository.ts';
import { formatStatus, runStatus } from '../../src/trading/status.ts';
import { capturingLogger } from '../helpers/log.ts';
import type { FakeOrderBook } from '../fake-exchange/orders.ts';
import { alwaysBuy, assertBooksAgree, errorLines, HOUR, liveSetup, ticks } from './live-setup.ts';
import { assertBooksAgree as assertPortfolioBooksAgree, setup } from './portfolio-live-setup.ts';

const CAP = 1_000_000;
const TIMING = { tickDelaySeconds: 10, lockStaleSeconds: 60 };

const askExit = (repo: RunRepository, runId: number, now: number) =>
  requestCommand(repo.db, { runId, kind: 'exit', requestedBy: 'token:ci@127.0.0.1', reason: 'test exit', now });

const exitRow = (repo: RunRepository, runId: number, id: number) =>
  listCommands(repo.db, runId).find((c) => c.id === id);

/** Sets the caps of a live trader made by the setups (what `--max-order-value` would have set at its start). */
const setCaps = (trader: object, caps: LiveCaps) => ((trader as { live: { caps: LiveCaps } }).live.caps = caps);

/** A single-market run of the buying policy holding about 3 × CAP of BTC after three capped buys. */
async function holdingThreeCaps(lines: string[] = []) {
  const s = await liveSetup(
    { maxOrderValue: CAP, maxDailyLoss: 1e12 },
    { policies: alwaysBuy(), logger: capturingLogger(lines) },
  );
  const trader = s.make();
  for (let k = 0; k < 3; k++) {
    await trader.tick();
    s.clock.now += HOUR;
  }
  const runId = s.repo.list()[0].id;
  assert.equal(s.book.orders.length, 3, 'three buys');
  return { s, trader, runId };
}

/**
 * Asks run `runId` to exit with the market `rise` above each decision candle's close (the ticker and the fills), then
 * ticks: the first candle's capped sells leave the exit pending (its note matching `leftNote`), the next ones sell
 * again until it is applied; only sells go out meanwhile, each filled within CAP.
 */
async function exitThroughCappedSells(
  s: { repo: RunRepository; clock: { now: number }; book: FakeOrderBook },
  trader: { tick(): Promise<unknown> },
  runId: number,
  o: { rise: number; leftNote: RegExp },
): Promise<void> {
  const cmd = askExit(s.repo, runId, s.clock.now);
  const placed = s.book.orders.length;
  s.book.priceRise = o.rise;
  await ticks(s, trader, 1);
  const first = exitRow(s.repo, runId, cmd.id);
  assert.equal(first?.status, 'pending', `more than the minimum order is left: ${JSON.stringify(first)}`);
  assert.match(first?.note ?? '', o.leftNote);
  for (let k = 0; k < 6 && exitRow(s.repo, runId, cmd.id)?.status === 'pending'; k++) await ticks(s, trader, 1);
  const done = exitRow(s.repo, runId, cmd.id);
  assert.equal(done?.status, 'applied', `the exit is done once the position is sold: ${JSON.stringify(done)}`);
  const after = s.book.orders.slice(placed);
  assert.ok(after.length >= 3, `a sell per candle, each within the cap: ${after.length}`);
  assert.ok(
    after.every((x) => x.side === 'ask'),
    'only sells while the exit was pending: the policy bought nothing',
  );
  for (const f of s.repo.trades(runId).filter((t) => t.side === 'sell'))
    assert.ok(f.value <= CAP, `a ${f.market} sell filled at ${f.value}, over trading.live.maxOrderValue ${CAP}`);
}

test(`live: an exit three times maxOrderValue stays pending after its first capped sell (no buy), sells again at each \
candle within the cap even as the market fills 5% above the close, and is applied once nothing an order can take \
is left`, async () => {
  const { s, trader, runId } = await holdingThreeCaps();
  try {
    const leftNote = /^market sell of 0\.\d+ after .*; 0\.\d+ BTC left, sold at the next candle$/;
    await exitThroughCappedSells(s, trader, runId, { rise: 0.05, leftNote });
    const left = s.repo.get(runId).account.units;
    assert.ok(left * s.book.priceOf('KRW-BTC') < 5000, `what is left is below the minimum order: ${left} BTC`);
    assertBooksAgree(s, runId);
  } finally {
    await s.cleanup();
  }
});

/**
 * One tick of a setup's trader (a capped buy of about CAP in each market), then the cap lifted, so that an exit's sell
 * takes all a market holds at once. The trader and the run's id.
 */
async function boughtOnceThenUncapped(s: {
  make(): { tick(): Promise<unknown> };
  clock: { now: number };
  repo: RunRepository;
}) {
  const trader = s.make();
  await ticks(s, trader, 1);
  setCaps(trader, { maxOrderValue: 1e9, maxDailyLoss: 1e12 });
  return { trader, runId: s.repo.list()[0].id };
}

test(`live: an exit whose sell of all the run holds the exchange refuses as below its minimum order is applied, its \
note saying the dust left (it used to stay pending for good, the sells held back after the refusal)`, async () => {
  const s = await liveSetup({ maxOrderValue: CAP, maxDailyLoss: 1e12 }, { policies: alwaysBuy() });
  try {
    const { trader, runId } = await boughtOnceThenUncapped(s);
    const units = s.repo.get(runId).account.units;
    assert.ok(units > 0);
    // the exchange's minimum is now above what the run holds
    s.book.minOrderValue = 5 * CAP;
    const cmd = askExit(s.repo, runId, s.clock.now);
    await trader.tick();
    const done = exitRow(s.repo, runId, cmd.id);
    assert.equal(done?.status, 'applied', `the exchange will not take what is left: ${JSON.stringify(done)}`);
    assert.match(done?.note ?? '', /under_min_total_ask/);
    assert.ok(done?.note?.includes(`dust left: ${units} BTC`), `the note says the dust left: ${done?.note}`);
    assert.equal(s.repo.get(runId).account.units, units, 'nothing was sold');
  } finally {
    await s.cleanup();
  }
});

test(`live: an exit whose sell executes only in part stays pending while more than the minimum order is left, and \
is applied by the sale that leaves dust, its note saying how much`, async () => {
  const s = await liveSetup({ maxOrderValue: CAP, maxDailyLoss: 1e12 }, { policies: alwaysBuy() });
  try {
    const { trader, runId } = await boughtOnceThenUncapped(s);
    const cmd = askExit(s.repo, runId, s.clock.now);
    s.book.partialFill = 0.5; // a thin book: half of the sell executes, the rest is cancelled
    await trader.tick();
    s.clock.now += HOUR;
    assert.equal(exitRow(s.repo, runId, cmd.id)?.status, 'pending', 'half the position is left');
    s.book.partialFill = 0.995; // all but 0.5% of what is left: a few thousand KRW, below the 5000 KRW minimum
    await trader.tick();
    const done = exitRow(s.repo, runId, cmd.id);
    assert.equal(done?.status, 'applied', `what is left is dust: ${JSON.stringify(done)}`);
    const left = s.repo.get(runId).account.units;
    assert.ok(left > 0, 'some BTC is left');
    assert.match(done?.note ?? '', /^market sell of 0\.\d+ after .*; dust left: 0\.\d+ BTC, below the minimum order$/);
    assert.ok(done?.note?.includes(`dust left: ${left} BTC`), `the note names the units left: ${done?.note}`);
    assert.deepEqual(
      s.book.orders.slice(1).map((o) => o.side),
      ['ask', 'ask'],
      'two sells, no buy while the exit was pending',
    );
    assertBooksAgree(s, runId);
  } finally {
    await s.cleanup();
  }
});

test(`live: an exit whose capped sell the exchange refuses (its minimum above the cap) stays pending with the policy \
idle, one error line for the refusal, and bot status (text and --json) says why it waits`, async () => {
  const lines: string[] = [];
  const { s, trader, runId } = await holdingThreeCaps(lines);
  try {
    s.book.minOrderValue = 2 * CAP;
    const cmd = askExit(s.repo, runId, s.clock.now);
    const placed = s.book.orders.length;
    const logged = lines.length;
    for (let k = 0; k < 3; k++) {
      await trader.tick();
      s.clock.now += HOUR;
    }
    assert.equal(s.book.orders.length, placed, 'nothing went through: no sell, and no buy by the policy');
    const row = exitRow(s.repo, runId, cmd.id);
    assert.equal(row?.status, 'pending', `more than the minimum order is left: ${JSON.stringify(row)}`);
    assert.match(row?.note ?? '', /under_min_total_ask/);
    assert.equal(errorLines(lines.slice(logged)).length, 1, 'the refusal is one error line, not one per candle');
    const status = runStatus(s.repo, s.key, s.clock.now, 3, TIMING);
    assert.equal(status?.pendingExit?.requestedBy, 'token:ci@127.0.0.1');
    assert.match(status?.pendingExit?.waiting ?? '', /refused the last sell \(.*under_min_total_ask/);
    const text = formatStatus(status!);
    assert.match(text, /^EXITING: asked by token:ci@127\.0\.0\.1 at .*under_min_total_ask/m);
    assert.equal(text.match(/^EXITING/gm)?.length, 1, 'said once');
    assertBooksAgree(s, runId);
  } finally {
    await s.cleanup();
  }
});

test(`live portfolio: an exit bigger than maxOrderValue in each market sells within the cap at every candle (the \
market filling 3% above the close), buys nothing, and is applied once every market is sold`, async () => {
  const s = await setup({ maxOrderValue: CAP, maxDailyLoss: 1e12 }, 1);
  try {
    const trader = s.make();
    for (let k = 0; k < 3; k++) {
      await trader.tick(); // equal weights, a capped buy per market per candle
      s.clock.now += HOUR;
    }
    const runId = s.repo.list()[0].id;
    const held = s.repo.get(runId).portfolio?.account.books.map((b) => b.units) ?? [];
    assert.ok(held[0] * s.book.priceOf('KRW-BTC') > 2 * CAP, `BTC held: ${held[0]}`);
    const leftNote = /left 0\.\d+ BTC, 0\.\d+ ETH: sold at the next candle/;
    await exitThroughCappedSells(s, trader, runId, { rise: 0.03, leftNote });
    assertPortfolioBooksAgree(s, runId);
  } finally {
    await s.cleanup();
  }
});

test(`live portfolio: an exit whose sells leave dust (executed but for 0.2%) is applied, its note saying the dust left \
in each market`, async () => {
  const s = await setup({ maxOrderValue: CAP, maxDailyLoss: 1e12 }, 1);
  try {
    const { trader, runId } = await boughtOnceThenUncapped(s);
    const cmd = askExit(s.repo, runId, s.clock.now);
    s.book.partialFill = 0.998;
    await trader.tick();
    const done = exitRow(s.repo, runId, cmd.id);
    assert.equal(done?.status, 'applied', `what is left is dust: ${JSON.stringify(done)}`);
    const books = s.repo.get(runId).portfolio?.account.books ?? [];
    assert.ok(books[0].units > 0 && books[1].units > 0, 'some of each is left');
    assert.ok(
      done?.note?.endsWith(
        `; BTC/KRW dust left: ${books[0].units} BTC, below the minimum order; ` +
          `ETH/KRW dust left: ${books[1].units} ETH, below the minimum order`,
      ),
      `the note names the dust left: ${done?.note}`,
    );
    assertPortfolioBooksAgree(s, runId);
  } finally {
    await s.cleanup();
  }
});

test(`live portfolio: an exit whose sells of all each market holds the exchange refuses as below its minimum order is \
applied, its note saying the dust left`, async () => {
  const s = await setup({ maxOrderValue: CAP, maxDailyLoss: 1e12 }, 1);
  try {
    const { trader, runId } = await boughtOnceThenUncapped(s);
    const held = s.repo.get(runId).portfolio?.account.books.map((b) => b.units) ?? [];
    s.book.minOrderValue = 5 * CAP;
    const cmd = askExit(s.repo, runId, s.clock.now);
    await trader.tick();
    const done = exitRow(s.repo, runId, cmd.id);
    assert.equal(done?.status, 'applied', `the exchange will not take what is left: ${JSON.stringify(done)}`);
    assert.ok(
      done?.note?.includes(`BTC/KRW dust left: ${held[0]} BTC`) &&
        done.note.includes(`ETH/KRW dust left: ${held[1]} ETH`),
      `the note says the dust left: ${done?.note}`,
    );
  } finally {
    await s.cleanup();
  }
});
