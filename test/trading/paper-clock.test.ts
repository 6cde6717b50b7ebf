/**
 * A paper trader left running for weeks, as real `bot paper` processes against the fake exchange: candles stored by
 * another run after a stop (a hole before the newest stored candle), the machine's clock off the exchange's, and
 * markets whose candles open off the hour.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { runBot, startBot, writeFakeExchangeConfig } from './cli.ts';
import { tempDir, waitFor } from './helpers.ts';

const HOUR = 3_600_000;
const candles = syntheticCandles({
  seed: 7,
  count: 400,
  timeframe: '1h',
  start: Date.UTC(2024, 0, 1),
  tick: 1000,
  symbol: 'KRW-BTC',
});
/** Hourly candles at 00:30, 01:30, …: a market whose sessions open on the half hour. */
const halfHour = syntheticCandles({
  seed: 8,
  count: 300,
  timeframe: '1h',
  start: Date.UTC(2024, 0, 1, 0, 30),
  tick: 1000,
  symbol: 'KRW-ETH',
});
/** Ten seconds after candle i of `series` closes (the default trading.tickDelaySeconds). */
const tickAfter = (i: number, series = candles) => series.ts[i] + HOUR + 10_000;
const tmp = tempDir('bot-paper-clock-');
let fake: FakeUpbit;
let cfg: string;

before(async () => {
  fake = await startFakeUpbit({
    now: () => tickAfter(candles.ts.length - 1),
    series: [
      { market: 'KRW-BTC', candles },
      { market: 'KRW-ETH', candles: halfHour },
    ],
  });
  cfg = writeFakeExchangeConfig(tmp.dir, fake);
});
after(async () => {
  await fake.close();
  tmp.cleanup();
});

async function paperOnce(db: string, name: string, now: number, extra: string[] = []): Promise<void> {
  const args = ['paper', '--strategy', 'sma-cross', '--name', name, '--now', isoTime(now), '--once'];
  const r = await runBot([...args, '--db', db, '--config', cfg, '--log-level', 'warn', ...extra]);
  assert.equal(r.code, 0, r.stderr);
}

function decisionTimes(db: string, name: string): number[] {
  const store = CandleStore.open(db);
  try {
    const repo = new RunRepository(store.db);
    const run = repo.list().find((r) => r.name === name);
    assert.ok(run, `run ${name}`);
    return repo.decisions(run.id).map((d) => d.ts);
  } finally {
    store.close();
  }
}

test(`a run stopped for days, restarted after another run on the market stored the newest candles: it fetches the \
hole between its last candle and theirs and acts on every candle in it`, async () => {
  const db = path.join(tmp.dir, 'hole.db');
  await paperOnce(db, 'a', tickAfter(180), ['--start', isoTime(candles.ts[150])]);
  // run b starts fresh days later: it stores its 100 candles of history and the newest, nothing before
  await paperOnce(db, 'b', tickAfter(380));
  await paperOnce(db, 'a', tickAfter(380));
  assert.deepEqual(
    decisionTimes(db, 'a').map(isoTime),
    Array.from(candles.ts.slice(150, 381), isoTime),
    'one decision per candle the exchange has, none skipped',
  );
});

test(`hourly candles that open at :30: the run acts on a candle ten seconds after it closes, and the loop's ticks \
move to :30:10 past the hour`, async () => {
  const db = path.join(tmp.dir, 'half-hour.db');
  const eth = ['--symbol', 'ETH/KRW', '--start', isoTime(halfHour.ts[150])];
  await paperOnce(db, 'default', tickAfter(200, halfHour), eth);
  assert.deepEqual(
    decisionTimes(db, 'default').map(isoTime),
    Array.from(halfHour.ts.slice(150, 201), isoTime),
    'up to the candle that closed ten seconds ago, not the one before it',
  );
  const args = ['paper', '--strategy', 'sma-cross', ...eth, '--now', isoTime(tickAfter(201, halfHour))];
  const bot = startBot([...args, '--db', db, '--config', cfg, '--log-level', 'info']);
  let out = '';
  bot.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  bot.child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  void bot.done.then(() => (exited = true));
  try {
    const line = await waitFor(
      () => out.split('\n').find((l) => l.includes("ticks follow the market's candles")),
      30_000,
      'the loop to follow the candles',
      () => exited,
    );
    assert.match(line, new RegExp(`newest opened at ${isoTime(halfHour.ts[201])}`));
    assert.match(line, /10 30 \* \* \* \*/, line);
  } finally {
    bot.child.kill('SIGTERM');
  }
  const r = await bot.done;
  assert.equal(r.code, 0, r.stderr);
});

test(`the machine's clock 13 s ahead of the exchange's (tickDelaySeconds 1): the tick waits for the exchange to close \
the candle and acts on it, with its full close and volume, not an interval later`, async () => {
  const db = path.join(tmp.dir, 'skew.db');
  const dir = path.join(tmp.dir, 'skew');
  mkdirSync(dir);
  const skewCfg = writeFakeExchangeConfig(dir, fake, { trading: { tickDelaySeconds: 1 } });
  const fixed = fake.state.now;
  const closes = candles.ts[300] + HOUR;
  // the exchange's clock stands 3 s before candle 300 closes until the bot's first request, then runs
  let started: number | undefined;
  fake.state.now = () => closes - 3_000 + (Date.now() - (started ??= Date.now()));
  try {
    const args = ['paper', '--strategy', 'sma-cross', '--start', isoTime(candles.ts[290]), '--once'];
    const r = await runBot([...args, '--now', isoTime(closes + 10_000), '--db', db, '--config', skewCfg]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /still open on the exchange/, 'the skew is named');
  } finally {
    fake.state.now = fixed;
  }
  assert.deepEqual(decisionTimes(db, 'default').map(isoTime), Array.from(candles.ts.slice(290, 301), isoTime));
  const store = CandleStore.open(db);
  try {
    const stored = store.load('upbit', 'BTC/KRW', '1h', candles.ts[300], candles.ts[300] + 1);
    assert.deepEqual([stored.close[0], stored.volume[0]], [candles.close[300], candles.volume[300]]);
  } finally {
    store.close();
  }
});

test(`the exchange failing every try of the first tick: the loop tries the tick again soon, not at the next candle \
(a day away for daily candles), and acts on the candles`, async () => {
  const db = path.join(tmp.dir, 'outage.db');
  fake.addFault({ kind: '500', times: 10 });
  const args = ['paper', '--strategy', 'sma-cross', '--timeframe', '1d', '--start', '2024-01-10'];
  const bot = startBot([...args, '--now', isoTime(tickAfter(380)), '--db', db, '--config', cfg, '--log-level', 'warn']);
  let exited = false;
  void bot.done.then(() => (exited = true));
  // the run's last candle acted on, once the bot has made its database (polled while it writes)
  const decided = () => {
    if (!existsSync(db)) return undefined;
    try {
      const store = CandleStore.open(db);
      try {
        return new RunRepository(store.db).list()[0]?.lastTs;
      } finally {
        store.close();
      }
    } catch {
      return undefined;
    }
  };
  try {
    await waitFor(decided, 30_000, 'a decision after the failed tick', () => exited);
  } finally {
    bot.child.kill('SIGTERM');
  }
  const r = await bot.done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /tick failed, the next tick catches up/);
  assert.match(r.stderr, /trying the tick again in 0 s/);
  assert.deepEqual(fake.state.faults, [], 'every injected failure was met');
});
