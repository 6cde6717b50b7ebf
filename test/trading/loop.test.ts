import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HaltError, ModelRefusedError, RunRefusedError, UserError } from '../../src/core/errors.ts';
import { ExchangeRefusedError } from '../../src/data/exchange.ts';
import { OffGridError } from '../../src/data/grid.ts';
import { startTraderLoop } from '../../src/trading/loop.ts';
import { cronForTimeframe, tickSchedule } from '../../src/trading/schedule.ts';
import type { Trader, TickReport } from '../../src/trading/trader.ts';
import { nextTickTime } from '../../src/trading/trader.ts';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { quietLogger, tempDir } from './helpers.ts';
import { capturingLogger } from '../helpers/log.ts';

/** A trader stand-in whose ticks follow a script; the loop only sees `tick()`. */
function scriptedTrader(script: (n: number) => Promise<TickReport>): { trader: Trader; calls: () => number } {
  let n = 0;
  const trader = { tick: () => script(n++) } as unknown as Trader;
  return { trader, calls: () => n };
}

function manualSchedule() {
  const fns: (() => Promise<void>)[] = [];
  return {
    fire: () => Promise.all(fns.map((f) => f())),
    schedule: (_expr: string, _name: string, fn: () => Promise<void>) => {
      fns.push(fn);
      return { stop: async () => {}, nextRun: () => null };
    },
  };
}

const ok: TickReport = { fetched: 0, acted: 0, decisions: [] };

/** The loop on `trader`, ticking when `schedule` fires (default: never), a failed tick tried again after 1 ms. */
function retryingLoop(trader: Trader, schedule = manualSchedule().schedule) {
  return startTraderLoop({
    trader,
    expression: '* * * * * *',
    logger: quietLogger(),
    handleSignals: false,
    schedule,
    retryFailedTick: { firstMs: 1, maxMs: 1 },
  });
}

test(`the loop survives failing ticks, never overlaps them, stops after the tick in flight, and ends on a \
halt`, async () => {
  const clock = manualSchedule();
  let release!: () => void;
  const slow = new Promise<void>((r) => (release = r));
  const { trader, calls } = scriptedTrader(async (n) => {
    if (n === 0) throw new Error('exchange down after all retries');
    if (n === 2) await slow;
    return ok;
  });
  const loop = startTraderLoop({
    trader,
    expression: '* * * * * *',
    logger: quietLogger(),
    handleSignals: false,
    schedule: clock.schedule,
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(calls(), 1, 'a tick runs at start');
  await clock.fire();
  assert.equal(calls(), 2, 'the loop lived through the failed tick');
  const third = clock.fire();
  await new Promise((r) => setImmediate(r));
  await clock.fire(); // fires while tick 3 is still running: skipped
  assert.equal(calls(), 3);
  let stopped = false;
  const stopping = loop.stop().then(() => (stopped = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(stopped, false, 'stop waits for the tick in flight');
  release();
  await third;
  await stopping;
  assert.deepEqual(await loop.done, { reason: 'stopped', message: undefined });

  const halting = scriptedTrader(async () => {
    throw new HaltError('daily loss over the cap');
  });
  const loop2 = startTraderLoop({
    trader: halting.trader,
    expression: '* * * * * *',
    logger: quietLogger(),
    handleSignals: false,
    schedule: manualSchedule().schedule,
  });
  assert.deepEqual(await loop2.done, { reason: 'halted', message: 'daily loss over the cap' });
});

test(`a tick refused in a way no retry changes (RunRefusedError) ends the loop at once; an exchange fault, even a \
UserError, is tried again`, async () => {
  const refused = scriptedTrader(async () => {
    throw new RunRefusedError('the paper run "default" trades strategy:a, not strategy:b');
  });
  const loop = retryingLoop(refused.trader);
  assert.deepEqual(await loop.done, {
    reason: 'refused',
    message: 'the paper run "default" trades strategy:a, not strategy:b',
  });
  assert.equal(refused.calls(), 1, 'tried once, not again');

  const down = scriptedTrader(async (n) => {
    if (n < 2) throw new UserError('upbit cannot be reached');
    return ok;
  });
  const loop2 = retryingLoop(down.trader);
  while (down.calls() < 3) await new Promise((r) => setTimeout(r, 5));
  await loop2.stop();
  assert.equal((await loop2.done).reason, 'stopped');
});

test(`a first tick the exchange refuses (bad keys, no such market), whose candles are off the stored grid or whose \
model cannot serve the candles ends the loop as refused; after a tick succeeded, each is tried again`, async () => {
  for (const refusal of [
    new ExchangeRefusedError('upbit: balance failed: AuthenticationError: invalid access key'),
    new OffGridError(
      "the exchange's upbit BTC/KRW 1h candle 2024-01-04T08:00:00Z is off the grid of the stored series",
    ),
    new ModelRefusedError("model models/x: version initial cannot be loaded over the run's candles (scaler …)"),
  ]) {
    const first = scriptedTrader(async () => {
      throw refusal;
    });
    const loop = retryingLoop(first.trader);
    // the loop's end, or nothing once the tick was tried again (it used to be, for good)
    let ended = false;
    void loop.done.then(() => (ended = true));
    const triedAgain = (async () => {
      while (first.calls() < 2 && !ended) await new Promise((r) => setTimeout(r, 5));
    })();
    const end = await Promise.race([loop.done, triedAgain.then(() => undefined)]);
    await loop.stop();
    assert.deepEqual(end, { reason: 'refused', message: refusal.message });
    assert.equal(first.calls(), 1, 'tried once, not again');

    const later = scriptedTrader(async (n) => {
      if (n === 1 || n === 2) throw refusal;
      return ok;
    });
    const clock = manualSchedule();
    const loop2 = retryingLoop(later.trader, clock.schedule);
    await new Promise((r) => setImmediate(r));
    // an off-grid fetch waits for the next scheduled tick (below), the others are tried again sooner
    while (later.calls() < 4) {
      await clock.fire();
      await new Promise((r) => setTimeout(r, 5));
    }
    await loop2.stop();
    assert.equal((await loop2.done).reason, 'stopped');
  }
});

test(`after a tick succeeded, fetched candles off the stored grid are one error line until a tick succeeds again \
(then one line says so), and the loop waits for its scheduled ticks instead of trying again in seconds`, async () => {
  const logged: string[] = [];
  const logger = capturingLogger(logged);
  // what the loop said above debug: its level and message
  const lines = () =>
    logged
      .map((l) => JSON.parse(l) as { level: string; message: string })
      .filter((l) => l.level !== 'debug')
      .map(({ level, message }) => ({ level, message }));
  const offGrid = new OffGridError(
    "the exchange's upbit BTC/KRW 1h candle 2024-01-04T08:30:00Z is off the grid of the stored series",
  );
  // the first tick succeeds, the next three meet the off-grid candles, the fifth finds them mended
  const trader = scriptedTrader(async (n) => {
    if (n >= 1 && n <= 3) throw offGrid;
    return ok;
  });
  const clock = manualSchedule();
  const notified: string[] = [];
  let succeeded = 0;
  const loop = startTraderLoop({
    trader: trader.trader,
    expression: '* * * * * *',
    logger,
    handleSignals: false,
    schedule: clock.schedule,
    retryFailedTick: { firstMs: 1, maxMs: 1 },
    onTickError: (m) => notified.push(m),
    onTick: () => succeeded++,
  });
  while (succeeded < 1) await new Promise((r) => setTimeout(r, 1));
  for (let fired = 1; fired <= 4; fired++) {
    await clock.fire();
    // a retry storm would tick again on its own within these milliseconds (it used to, every time)
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(trader.calls(), fired + 1, `tick ${fired}: only the scheduled firing ticks`);
  }
  await loop.stop();
  assert.equal((await loop.done).reason, 'stopped');
  const said = lines().filter((l) => l.level !== 'info');
  assert.deepEqual(said, [
    { level: 'error', message: `tick decided nothing, the next scheduled tick looks again: ${offGrid.message}` },
  ]);
  assert.deepEqual(notified, [offGrid.message], 'one notification');
  assert.match(
    lines().at(-1)?.message ?? '',
    /^tick: the fetched candles are stored and decided on again \(after: the exchange's upbit BTC\/KRW 1h candle/,
  );
});

test('ticks fire just after each candle closes', () => {
  assert.equal(cronForTimeframe('1h', 10), '10 0 * * * *');
  assert.equal(cronForTimeframe('15m', 70), '10 1-59/15 * * * *');
  assert.equal(cronForTimeframe('4h', 5), '5 0 0-23/4 * * *');
  assert.equal(cronForTimeframe('1d', 30), '30 0 0 * * *');
  assert.equal(nextTickTime(Date.UTC(2024, 0, 1, 5, 30), '1h', 10), Date.UTC(2024, 0, 1, 6, 0, 10));
  assert.equal(nextTickTime(Date.UTC(2024, 0, 1, 6, 0, 5), '1h', 10), Date.UTC(2024, 0, 1, 6, 0, 10));
});

test('ticks follow candles that open off the UTC grid: hourly at :30, 4-hourly from 01:00, daily at 15:00, weekly on \
Sunday', () => {
  const follow = (tf: string, ts: number) => tickSchedule(tf, 10, 30_000).followCandles(ts);
  assert.equal(follow('1h', Date.UTC(2024, 0, 1, 9, 30)), '10 30 * * * *');
  assert.equal(follow('1h', Date.UTC(2024, 0, 1, 9)), tickSchedule('1h', 10, 30_000).expression);
  assert.equal(follow('4h', Date.UTC(2024, 0, 1, 5)), '10 0 1-23/4 * * *');
  assert.equal(follow('1d', Date.UTC(2024, 0, 1, 15)), '10 0 15 * * *');
  assert.equal(follow('1w', Date.UTC(2024, 0, 1)), '10 0 0 * * 1'); // a Monday
  assert.equal(follow('1w', Date.UTC(2024, 0, 7, 15)), '10 0 15 * * 0'); // a Sunday
  // bot status's next tick, on the grid of the last candle acted on
  const at0930 = Date.UTC(2024, 0, 1, 9, 30);
  assert.equal(nextTickTime(Date.UTC(2024, 0, 1, 11, 40), '1h', 10, at0930), Date.UTC(2024, 0, 1, 12, 30, 10));
  assert.equal(nextTickTime(Date.UTC(2024, 0, 1, 11, 20), '1h', 10, at0930), Date.UTC(2024, 0, 1, 11, 30, 10));
});

test('a scheduled retrain runs as a child process: its crash is logged and the trader process carries on', async () => {
  const { retrainChildRunner } = await import('../../src/trading/retrain-child.ts');
  const errors: string[] = [];
  const logger = quietLogger();
  logger.error = ((msg: string) => (errors.push(msg), logger)) as typeof logger.error;
  const tmp = tempDir();
  try {
    // the child finds no exchange (a closed local port) and no stored candles: its retrain fails
    const config = path.join(tmp.dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        exchange: {
          ccxt: { urls: { api: { public: 'http://127.0.0.1:9', private: 'http://127.0.0.1:9' } } },
          retries: 0,
        },
        log: { file: '' },
      }),
    );
    const run = retrainChildRunner(
      { retrainStrategy: 'dqn-dnn', db: path.join(tmp.dir, 'bot.db'), config },
      path.join(tmp.dir, 'models', 'x'),
      logger,
    );
    await run();
  } finally {
    tmp.cleanup();
  }
  assert.equal(errors.length, 1);
  assert.match(errors[0], /scheduled retrain failed \(exit 1\); trading continues with the current model/);
});
