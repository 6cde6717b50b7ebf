/**
 * A live run's clock checked against the exchange's before each tick decides (src/trading/live-start.ts), against the
 * fake Upbit with real ccxt and SQLite: a machine clock that drifted since the start (a VM suspended and resumed, time
 * sync stopped) decides nothing and places no order, says so in one line naming both clocks, and trades again once
 * the clocks agree.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capturingLogger } from '../helpers/log.ts';
import { alwaysBuy, buyingSetup, errorLines, HOUR, liveSetup, orderPosts } from './live-setup.ts';
import { setup as portfolioSetup } from './portfolio-live-setup.ts';

const MINUTE = 60_000;

test(`a live tick whose clock stands more than 60 s from the exchange's (an hour behind, two minutes ahead) decides \
nothing and places no order, in one error line naming both clocks; the next tick checks again and trades`, async () => {
  const lines: string[] = [];
  const s = await buyingSetup(lines);
  try {
    const trader = s.make();
    const start = s.clock.now;
    await trader.tick();
    const runId = s.repo.list()[0].id;
    assert.equal(orderPosts(s).length, 1, 'the clocks agree at the start: it trades');
    const marketLoads = () => s.fake.state.requests.filter((r) => r.path === '/v1/market/all').length;
    const loadsBefore = marketLoads();

    // three hours later by the exchange, two by this machine's clock, which stopped for an hour: the candle it takes
    // for the newest closed one closed an hour ago
    s.clock.now = start + 2 * HOUR;
    s.exchangeSkew.ms = HOUR;
    const behind = await trader.tick();
    assert.equal(behind.acted, 0, 'nothing decided');
    assert.equal(orderPosts(s).length, 1, 'no order');
    assert.equal(s.repo.decisionCount(runId), 1);
    const [line, ...more] = errorLines(lines);
    assert.deepEqual(more, [], 'one error line');
    assert.match(line, /^this machine's clock \(\S+\) is 3600 s behind upbit's clock \(\S+\): /);
    assert.match(line, /: no decision or order this tick, the next tick checks again \(sync the clock of this \w+\)$/);

    // the clock was set right: the next tick decides the candle that closed last, and orders
    s.clock.now = start + 3 * HOUR;
    s.exchangeSkew.ms = 0;
    const fixed = await trader.tick();
    assert.equal(fixed.acted, 1);
    assert.equal(fixed.lastTs, s.candles.ts[103]);
    assert.equal(orderPosts(s).length, 2);

    // two minutes ahead, past the candle's close by both clocks: still no order
    lines.length = 0;
    s.clock.now = start + 4 * HOUR + 3 * MINUTE;
    s.exchangeSkew.ms = -2 * MINUTE;
    const ahead = await trader.tick();
    assert.equal(ahead.acted, 0);
    assert.equal(orderPosts(s).length, 2);
    assert.equal(errorLines(lines).length, 1);
    assert.match(errorLines(lines)[0], /is 120 s ahead of upbit's clock/);
    assert.equal(marketLoads(), loadsBefore, "the ticks' own replies carried the exchange's clock: no request added");
  } finally {
    await s.cleanup();
  }
});

test(`a portfolio live tick (bot live --symbols) whose clock stands an hour behind the exchange's decides nothing and \
places no order, in one error line; the next tick with the clocks agreeing rebalances`, async () => {
  const lines: string[] = [];
  const s = await portfolioSetup({ maxOrderValue: 1_000_000, maxDailyLoss: 1e12 }, 1, capturingLogger(lines));
  try {
    const trader = s.make();
    const start = s.clock.now;
    await trader.tick();
    const runId = s.repo.list()[0].id;
    const placed = orderPosts(s).length;
    assert.ok(placed > 0, 'the clocks agree at the start: it trades');
    s.clock.now = start + 2 * HOUR;
    s.exchangeSkew.ms = HOUR;
    assert.equal((await trader.tick()).acted, 0);
    assert.equal(orderPosts(s).length, placed, 'no order');
    assert.equal(s.repo.decisionCount(runId), 1);
    assert.equal(errorLines(lines).length, 1);
    assert.match(errorLines(lines)[0], /^this machine's clock \(\S+\) is 3600 s behind upbit's clock/);
    s.clock.now = start + 3 * HOUR;
    s.exchangeSkew.ms = 0;
    assert.equal((await trader.tick()).acted, 1);
    assert.equal(s.repo.decisionCount(runId), 2);
  } finally {
    await s.cleanup();
  }
});

test(`a live tick whose clock went back before the run's last decided candle (a VM restored, a bad time sync) says so \
in one error line naming both clocks, one market or a portfolio; a tick with no new candle yet is quiet`, async () => {
  const lines: string[] = [];
  const caps = { maxOrderValue: 1_000_000, maxDailyLoss: 1e12 };
  const single = await liveSetup(caps, { policies: alwaysBuy(), logger: capturingLogger(lines) });
  const portfolio = await portfolioSetup(caps, 1, capturingLogger(lines));
  try {
    for (const s of [single, portfolio]) {
      lines.length = 0;
      const trader = s.make();
      const start = s.clock.now;
      await trader.tick();
      const runId = s.repo.list()[0].id;
      const placed = orderPosts(s).length;
      const marketLoads = () => s.fake.state.requests.filter((r) => r.path === '/v1/market/all').length;
      const loadsBefore = marketLoads();
      // ten minutes later: the candle decided is still the newest closed one, the normal case
      s.clock.now = start + 10 * MINUTE;
      s.exchangeSkew.ms = 0;
      assert.equal((await trader.tick()).acted, 0);
      assert.deepEqual(errorLines(lines), [], 'no new candle yet: quiet');
      assert.equal(marketLoads(), loadsBefore, 'no request added');

      // this machine's clock set three hours back while the exchange's went on: the tick used to be silent
      s.clock.now = start - 3 * HOUR;
      s.exchangeSkew.ms = 3 * HOUR + 10 * MINUTE;
      assert.equal((await trader.tick()).acted, 0);
      const [line, ...more] = errorLines(lines);
      assert.deepEqual(more, [], 'one error line');
      assert.match(
        line,
        new RegExp(
          "^this machine's clock \\(\\S+\\) puts the newest closed candle at \\S+, before \\S+, the run's last " +
            "decided candle; it is 11400 s behind upbit's clock \\(\\S+\\): sync the clock of this machine; no " +
            'decision or order until a candle after \\S+ closes$',
        ),
      );
      // both clocks back (the exchange's agrees): said too, naming both
      lines.length = 0;
      s.exchangeSkew.ms = 0;
      await trader.tick();
      assert.equal(errorLines(lines).length, 1);
      assert.match(errorLines(lines)[0], /; upbit's clock \(\S+\) agrees with it: the run decided those candles on/);
      assert.equal(orderPosts(s).length, placed, 'no order');
      assert.equal(s.repo.decisionCount(runId), 1);
    }
  } finally {
    await single.cleanup();
    await portfolio.cleanup();
  }
});
