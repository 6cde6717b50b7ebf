/**
 * Control commands (issue 15) through the database: the paper and live traders apply pause / resume, halt /
 * clear-halt and exit at their next tick and record who asked, when and what was done.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { CandleStore } from '../../src/data/store.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { listCommands, requestCommand } from '../../src/trading/commands.ts';
import { HaltError } from '../../src/core/errors.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { Trader } from '../../src/trading/trader.ts';
import { formatStatus, runStatus } from '../../src/trading/status.ts';
import type { Policy } from '../../src/core/policy.ts';
import type { PolicySource, RunKey } from '../../src/trading/types.ts';
import { ObservationBuilder } from '../../src/market/observation.ts';
import { quietLogger, seriesFeed, tempDir } from './helpers.ts';
import { HOUR, liveSetup } from './live-setup.ts';

const COSTS = { feeRate: 0.0005, sellTax: 0, slippageBps: 5, minOrderValue: 5000, quantityPrecision: 8 };
const KEY: RunKey = { mode: 'paper', name: 'default', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' };
const candles = syntheticCandles({ seed: 5, count: 120, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000 });
const START = candles.ts[40];

/** Buys when flat, then holds: a position to exit, and no sell of its own. */
function buyAndKeep(): PolicySource {
  return {
    label: 'strategy:buy-and-keep',
    forCandles(c) {
      const builder = new ObservationBuilder({ candles: c, window: 0 });
      const policy: Policy = {
        name: 'buy-and-keep',
        decide: (obs) => (obs.state[0] < 0.5 ? { action: 'buy', confidence: 1 } : { action: 'hold', confidence: 0 }),
      };
      return { policy, label: 'strategy:buy-and-keep', warmup: 0, observe: (t, a) => builder.build(t, a) };
    },
  };
}

function paper(file: string, clock: () => number) {
  const store = CandleStore.open(file);
  const repo = new RunRepository(store.db);
  const trader = new Trader({
    repo,
    store,
    feed: seriesFeed(candles, HOUR),
    market: new PaperMarket(COSTS, { kind: 'all' }),
    policies: buyAndKeep(),
    key: KEY,
    balance: 10_000_000,
    historyCandles: 10,
    start: START,
    clock,
    logger: quietLogger(),
  });
  return { store, repo, trader };
}

const ask = (repo: RunRepository, runId: number, kind: Parameters<typeof requestCommand>[1]['kind'], now: number) =>
  requestCommand(repo.db, { runId, kind, requestedBy: 'token:ci@127.0.0.1', reason: `test ${kind}`, now });

/** A paper run (buy-and-keep) that decided START and START+1h (its buy filled at START+1h's open), on `clock`. */
async function started(body: (s: ReturnType<typeof paper>, clock: { now: number }) => Promise<void>) {
  const tmp = tempDir();
  try {
    const clock = { now: START + 2 * HOUR + 10_000 };
    const s = paper(path.join(tmp.dir, 'a.db'), () => clock.now);
    await s.trader.tick();
    try {
      await body(s, clock);
    } finally {
      s.store.close();
    }
  } finally {
    tmp.cleanup();
  }
}

test(`paper: pause passes candles over and cancels the waiting order, resume trades only new candles; exit sells at \
the next open`, async () => {
  await started(async (s, clock) => {
    const run = s.repo.list()[0];
    assert.equal(s.repo.decisionCount(run.id), 2);
    assert.ok(s.repo.list()[0].account.units > 0, 'bought');
    const before = s.repo.decisionCount(run.id);

    // pause: no decision while paused, however many candles close
    ask(s.repo, run.id, 'pause', clock.now);
    clock.now += 3 * HOUR;
    const paused = await s.trader.tick();
    assert.equal(paused.paused, true);
    assert.equal(paused.acted, 0);
    assert.equal(s.repo.decisionCount(run.id), before);
    const state = s.repo.list()[0];
    assert.match(state.paused ?? '', /paused by token:ci@127\.0\.0\.1 at .*: test pause/);
    assert.equal(state.lastTs, candles.ts[candles.ts.indexOf(START) + 4], 'the cursor moved past the paused candles');
    const [pauseRow] = listCommands(s.repo.db, run.id);
    assert.equal(pauseRow.status, 'applied');
    assert.equal(pauseRow.requestedBy, 'token:ci@127.0.0.1');
    assert.ok(pauseRow.appliedAt !== null && pauseRow.appliedAt >= pauseRow.requestedAt);

    // a second pause is recorded as ignored; resume → the next tick acts on the one new candle only
    ask(s.repo, run.id, 'pause', clock.now);
    ask(s.repo, run.id, 'resume', clock.now);
    clock.now += HOUR;
    const resumed = await s.trader.tick();
    assert.equal(resumed.acted, 1, 'no catch-up of the paused candles');
    const rows = listCommands(s.repo.db, run.id);
    assert.deepEqual(
      rows.slice(0, 2).map((c) => [c.kind, c.status, c.note]),
      [
        ['resume', 'applied', 'resume applied'],
        ['pause', 'ignored', 'already paused'],
      ],
    );

    // exit: the next candle's decision is a manual sell of every unit, filled at the following open
    const units = s.repo.list()[0].account.units;
    ask(s.repo, run.id, 'exit', clock.now);
    clock.now += HOUR;
    await s.trader.tick();
    const decisions = s.repo.decisions(run.id);
    const exitDecision = decisions[decisions.length - 1];
    assert.deepEqual([exitDecision.action, exitDecision.policy], ['sell', 'manual-exit']);
    assert.equal(listCommands(s.repo.db, run.id)[0].status, 'applied');
    clock.now += HOUR;
    await s.trader.tick();
    const fills = s.repo.trades(run.id);
    const sell = fills[fills.length - 1];
    const i = candles.ts.indexOf(exitDecision.ts);
    assert.equal(sell.side, 'sell');
    assert.equal(sell.units, units);
    assert.equal(sell.ts, candles.ts[i + 1], 'filled at the open after the exit decision');
    assert.ok(Math.abs(sell.price - candles.open[i + 1] * (1 - 5 / 10_000)) < 1e-6, 'at that open less slippage');
  });
});

test(`paper: a pause cancels the order waiting for the next open; halt stops the trader, clear-halt lets it trade \
again`, async () => {
  const tmp = tempDir();
  try {
    let now = START + HOUR + 10_000;
    const s = paper(path.join(tmp.dir, 'a.db'), () => now);
    await s.trader.tick();
    const run = s.repo.list()[0];
    const waiting = s.repo.list()[0].pending;
    assert.ok(waiting, 'the first buy waits for the next open');
    ask(s.repo, run.id, 'pause', now);
    now += HOUR;
    await s.trader.tick();
    assert.equal(s.repo.list()[0].pending, undefined);
    assert.equal(s.repo.orders(run.id).find((o) => o.id === waiting.orderId)?.status, 'cancelled');
    assert.equal(s.repo.trades(run.id).length, 0, 'nothing filled while paused');

    ask(s.repo, run.id, 'resume', now);
    ask(s.repo, run.id, 'halt', now);
    now += HOUR;
    await assert.rejects(
      () => s.trader.tick(),
      (e: unknown) => e instanceof HaltError && /halted by token:ci/.test(e.message),
    );
    assert.match(s.repo.list()[0].halted ?? '', /test halt/);
    // its trader stopped: bot status and the dashboard show no next tick, not one that will never come
    const status = runStatus(s.repo, KEY, now, 5, { tickDelaySeconds: 10, lockStaleSeconds: 120 });
    assert.equal(status?.nextTick, null);
    assert.match(formatStatus(status!), /next tick — \(halted\)/);
    // a restarted trader stays halted until the clear-halt command is picked up
    s.store.close();
    const again = paper(path.join(tmp.dir, 'a.db'), () => now);
    await assert.rejects(() => again.trader.tick(), HaltError);
    ask(again.repo, run.id, 'clear-halt', now);
    now += HOUR;
    const r = await again.trader.tick();
    assert.ok(r.acted >= 1);
    assert.equal(again.repo.list()[0].halted, undefined);
    again.store.close();
  } finally {
    tmp.cleanup();
  }
});

test('live: exit sells the whole position through the exchange at the next tick; pause places no order', async () => {
  const buying = buyAndKeep();
  const s = await liveSetup({ maxOrderValue: 1e9, maxDailyLoss: 1e12 }, { policies: buying });
  try {
    const trader = s.make();
    await trader.tick();
    s.clock.now += HOUR;
    await trader.tick();
    const run = s.repo.list()[0];
    const held = s.repo.list()[0].account.units;
    assert.ok(held > 0, 'bought through the exchange');
    const orders = s.book.orders.length;
    ask(s.repo, run.id, 'pause', s.clock.now);
    s.clock.now += HOUR;
    const paused = await trader.tick();
    assert.equal(paused.paused, true);
    assert.equal(s.book.orders.length, orders, 'no order while paused');
    ask(s.repo, run.id, 'resume', s.clock.now);
    ask(s.repo, run.id, 'exit', s.clock.now);
    s.clock.now += HOUR;
    await trader.tick();
    const last = s.book.orders[s.book.orders.length - 1];
    assert.equal(last.side, 'ask', 'a market sell went out');
    assert.equal(Number(last.volume), held);
    assert.equal(s.repo.list()[0].account.units, 0);
    const decisions = s.repo.decisions(run.id);
    assert.equal(decisions[decisions.length - 1].policy, 'manual-exit');
    assert.equal(listCommands(s.repo.db, run.id)[0].status, 'applied');
  } finally {
    await s.cleanup();
  }
});

/**
 * A restart's catch-up over the candles START+2h … START+5h (closing at START+3h … START+6h), after the run decided
 * START and START+1h (a buy filled at START+1h's open): the commands asked at `asks` (time after START, kind).
 */
async function catchUpWith(
  asks: [number, Parameters<typeof ask>[2]][],
  body: (s: ReturnType<typeof paper>) => unknown,
) {
  await started(async (s, clock) => {
    const run = s.repo.list()[0];
    for (const [at, kind] of asks) ask(s.repo, run.id, kind, START + at);
    clock.now = START + 6 * HOUR + 10_000;
    await body(s);
  });
}

/** A catch-up tick of `s`'s run, and the candles it decided from START+2h on (their times after START). */
async function tickDecided(s: ReturnType<typeof paper>) {
  const run = s.repo.list()[0];
  const report = await s.trader.tick();
  const decided = s.repo.decisions(run.id).flatMap((d) => (d.ts >= START + 2 * HOUR ? [d.ts - START] : []));
  return { report, decided };
}

test(`paper: an exit asked during the downtime a catch-up decides applies from the first candle closing after it \
was asked; the candles before are decided as if it had not been`, async () => {
  await catchUpWith([[4 * HOUR + 30 * 60_000, 'exit']], async (s) => {
    const run = s.repo.list()[0];
    const units = run.account.units;
    assert.ok(units > 0, 'bought');
    const report = await s.trader.tick();
    assert.equal(report.acted, 4);
    const decided = s.repo.decisions(run.id).filter((d) => d.ts >= START + 2 * HOUR);
    assert.deepEqual(
      decided.map((d) => [d.ts - START, d.policy]),
      [
        [2 * HOUR, 'buy-and-keep'],
        [3 * HOUR, 'buy-and-keep'],
        [4 * HOUR, 'manual-exit'],
        [5 * HOUR, 'buy-and-keep'],
      ],
      'the exit asked at START+4h30 sells at the candle closing at START+5h',
    );
    const sell = s.repo.trades(run.id).find((t) => t.side === 'sell');
    assert.equal(sell?.ts, START + 5 * HOUR, 'filled at the open after that candle, after the exit was asked');
    assert.equal(sell?.units, units);
  });
});

test(`paper: a pause asked during the downtime passes over the candles from the first closing after it, a resume \
decides again from the first closing after it; a halt stops the catch-up at its candle`, async () => {
  await catchUpWith(
    [
      [3 * HOUR + 30 * 60_000, 'pause'],
      [4 * HOUR + 30 * 60_000, 'resume'],
    ],
    async (s) => {
      const { report, decided } = await tickDecided(s);
      assert.deepEqual(
        decided,
        [2 * HOUR, 4 * HOUR, 5 * HOUR],
        'START+2h (closed before the pause) decided, START+3h passed over, the candles after the resume decided',
      );
      assert.equal(report.acted, 3);
      assert.equal(s.repo.list()[0].paused, undefined);
    },
  );
  await catchUpWith([[4 * HOUR + 30 * 60_000, 'halt']], async (s) => {
    const run = s.repo.list()[0];
    await assert.rejects(() => s.trader.tick(), HaltError);
    const decided = s.repo.decisions(run.id).filter((d) => d.ts >= START + 2 * HOUR);
    assert.deepEqual(
      decided.map((d) => d.ts - START),
      [2 * HOUR, 3 * HOUR],
      'the candles that closed before the halt was asked are decided',
    );
    assert.equal(s.repo.list()[0].lastTs, START + 3 * HOUR);
  });
  // asked after the newest candle closed, before the tick: that candle is decided, the pause holds from the next
  await catchUpWith([[6 * HOUR + 5_000, 'pause']], async (s) => {
    const run = s.repo.list()[0];
    const report = await s.trader.tick();
    assert.equal(report.acted, 4);
    assert.equal(report.paused, true);
    assert.match(s.repo.list()[0].paused ?? '', /paused by/);
    assert.equal(s.repo.decisions(run.id).at(-1)?.ts, START + 5 * HOUR);
  });
});

test(`bot status of a paused run: the last candle decided beside its own price, and the candles passed over since \
said apart`, async () => {
  await catchUpWith([[2 * HOUR + 10_000, 'pause']], async (s) => {
    await s.trader.tick();
    const decided = START + HOUR;
    const status = runStatus(s.repo, KEY, START + 6 * HOUR + 10_000, 5, {
      tickDelaySeconds: 10,
      lockStaleSeconds: 120,
    })!;
    assert.equal(status.lastCandle, isoTime(decided), 'the last candle decided, not the last passed over');
    assert.equal(status.lastPrice, candles.close[candles.ts.indexOf(decided)], "at that candle's close");
    const { account } = s.repo.list()[0];
    assert.equal(status.equity, account.cash + account.units * (status.lastPrice ?? NaN));
    assert.equal(status.passedOver, isoTime(START + 5 * HOUR));
    assert.match(
      formatStatus(status),
      new RegExp(`last candle ${isoTime(decided)} \\(passed over up to ${isoTime(START + 5 * HOUR)}\\)`),
    );
  });
});

test(`paper: a halt and a clear-halt asked during the downtime let the catch-up decide on; a pause asked after them \
still waits for the first candle closing after it was asked`, async () => {
  await catchUpWith(
    [
      [2 * HOUR + 30 * 60_000, 'halt'],
      [3 * HOUR + 30 * 60_000, 'clear-halt'],
      [4 * HOUR + 30 * 60_000, 'pause'],
    ],
    async (s) => {
      const { report, decided } = await tickDecided(s);
      assert.deepEqual(
        decided,
        [2 * HOUR, 3 * HOUR],
        'the clear-halt lifts the halt; the pause asked at START+4h30 passes over from the candle closing at START+5h',
      );
      assert.equal(report.paused, true);
      assert.equal(s.repo.list()[0].halted, undefined);
    },
  );
});
