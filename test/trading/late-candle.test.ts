/**
 * A candle the exchange publishes seconds after it closes, against the fake Upbit (real ccxt, real SQLite): the tick
 * looks again for it (trading.lateCandleWaitSeconds) and decides on it in the same tick, its order filling at the next
 * open as an on-time run's does; a candle that never comes ends the tick at the bound and the next tick catches up.
 * A portfolio run (`--symbols`) waits likewise for any market's candle and decides the time once all are in.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { log, setLogger } from '../../src/core/log.ts';
import { openTradingSession, type TradingSession } from '../../src/trading/session.ts';
import { openPortfolioSession } from '../../src/trading/portfolio-session.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { capturingLogger } from '../helpers/log.ts';
import { quietLogger, tempDir } from './helpers.ts';
import { alwaysBuy, HOUR, liveSetup } from './live-setup.ts';

const candles = syntheticCandles({
  seed: 23,
  count: 160,
  timeframe: '1h',
  start: Date.UTC(2024, 0, 1),
  tick: 1000,
  symbol: 'KRW-BTC',
});
const eth = syntheticCandles({
  seed: 24,
  count: 160,
  timeframe: '1h',
  start: Date.UTC(2024, 0, 1),
  tick: 100,
  symbol: 'KRW-ETH',
  startPrice: 3_000_000,
});
/**
 * A market open 00:00–15:00 UTC (hourly candles of 15:00 to 23:00 never exist), with more than a week of history
 * before the ticks that read it.
 */
const sessions = syntheticCandles({
  seed: 25,
  count: 300,
  timeframe: '1h',
  start: Date.UTC(2024, 0, 1),
  tick: 1,
  symbol: 'KRW-XRP',
  startPrice: 800,
});
const closedHour = (ts: number) => new Date(ts).getUTCHours() >= 15;
/** Ten seconds after candle i closes: the tick for it (the default trading.tickDelaySeconds). */
const tickAfter = (i: number) => candles.ts[i] + HOUR + 10_000;
const tmp = tempDir('bot-late-candle-');
const clock = { now: tickAfter(110) };
const fake: FakeUpbit = await startFakeUpbit({
  now: () => clock.now,
  series: [
    { market: 'KRW-BTC', candles },
    { market: 'KRW-ETH', candles: eth },
    { market: 'KRW-XRP', candles: sessions },
  ],
});
fake.dropCandles('KRW-XRP', '1h', closedHour);
const timers = new Set<NodeJS.Timeout>();
after(async () => {
  for (const t of timers) clearTimeout(t);
  await fake.close();
  tmp.cleanup();
});

/**
 * The exchange leaves KRW-BTC's candle `i` out of its replies (as if not yet published); `publish` puts it back,
 * `afterMs` of real time from now when given.
 */
function withhold(i: number, afterMs?: number): { publish(): void } {
  fake.dropCandles('KRW-BTC', '1h', (ts) => ts === candles.ts[i]);
  const publish = () => fake.setSeries('KRW-BTC', candles);
  if (afterMs !== undefined) {
    const t = setTimeout(() => (timers.delete(t), publish()), afterMs);
    timers.add(t);
  }
  return { publish };
}

/** A paper run of `random` on the fake exchange from candle 100, waiting up to `waitSeconds` for a late candle. */
function paperSession(db: string, waitSeconds: number, lines?: string[]): Promise<TradingSession> {
  return openTradingSession({
    ...sessionBase(db, waitSeconds, lines),
    policy: { strategy: 'random' },
  });
}

/**
 * A portfolio paper run of BTC and ETH on the fake exchange from candle 100, equal weights restored every candle (so
 * every candle time fills the last decision's moves in both markets), waiting up to `waitSeconds` for a late candle.
 */
function portfolioSession(db: string, waitSeconds: number, lines?: string[]): Promise<TradingSession> {
  return openPortfolioSession({
    ...sessionBase(db, waitSeconds, lines),
    symbols: ['BTC/KRW', 'ETH/KRW'],
    strategy: 'equal-weight',
    every: 1,
    band: 0,
  });
}

/** What a paper session of either kind is opened with: the fake exchange, a database in the temp folder, the clock. */
function sessionBase(
  db: string,
  waitSeconds: number,
  lines?: string[],
  market: { symbol?: string; historyCandles?: number } = {},
) {
  const url = fake.url;
  const config = loadConfig({
    overrides: {
      exchange: { ccxt: { urls: { api: { public: url, private: url } } }, retries: 2, backoffMs: 1, maxBackoffMs: 5 },
      data: { database: path.join(tmp.dir, db) },
      log: { file: '' },
      trading: { historyCandles: market.historyCandles ?? 60, lateCandleWaitSeconds: waitSeconds },
      ...(market.symbol ? { symbol: market.symbol } : {}),
    },
  });
  const logger = lines ? capturingLogger(lines) : quietLogger();
  return { config, logger, mode: 'paper' as const, name: 'late', start: candles.ts[100], clock: () => clock.now };
}

/** The run's decisions, orders and fills, for comparing two runs. */
function record(s: TradingSession) {
  const run = s.repo.find(s.key);
  assert.ok(run, 'the run exists');
  const orders = s.repo.orders(run.id).map(({ decisionTs, side, quantity, status }) => ({
    decisionTs,
    side,
    quantity,
    status,
  }));
  const decisions = s.repo.decisions(run.id).map(({ ts, action, price }) => ({ ts, action, price }));
  return { decisions, orders, fills: s.repo.trades(run.id).map(({ orderId: _id, ...f }) => f) };
}

/**
 * Ticks `s` at candle 110, then at 111 with KRW-BTC's candle 111 withheld (`held.publish()` puts it back). Returns
 * the second tick's report, and how many candle requests it made.
 */
async function tickWith111Withheld(s: TradingSession, shouldStop?: (requests: number) => boolean) {
  clock.now = tickAfter(110);
  await s.trader.tick();
  clock.now = tickAfter(111);
  const held = withhold(111);
  const asked = fake.candleRequests().length;
  const requests = () => fake.candleRequests().length - asked;
  const report = await s.trader.tick({ shouldStop: shouldStop && (() => shouldStop(requests())) });
  return { report, held, requests: requests() };
}

test(`a candle published 1.5 s after the tick asks for it is decided in that tick, and its order fills at the next \
open exactly as an on-time run's`, async () => {
  // the on-time run: every candle there at its tick
  const onTime = await paperSession('on-time.db', 5);
  const late = await paperSession('late.db', 5);
  try {
    for (clock.now = tickAfter(110); clock.now <= tickAfter(125); clock.now += HOUR) await onTime.trader.tick();
    const filled = record(onTime).fills.map((f) => f.decisionTs);
    const k = candles.ts.findIndex((ts) => ts > candles.ts[111] && filled.includes(ts));
    assert.ok(k > 111 && k < 125, "the on-time run's order of some candle after 111 is filled");

    for (clock.now = tickAfter(110); clock.now <= tickAfter(125); clock.now += HOUR) {
      const i = Math.round((clock.now - 10_000 - HOUR - candles.ts[0]) / HOUR);
      if (i === k) withhold(k, 1500);
      const report = await late.trader.tick();
      if (i === k) {
        assert.deepEqual(
          report.decisions.map((d) => isoTime(d.ts)),
          [isoTime(candles.ts[k])],
          'the late candle is decided in the tick that asked for it',
        );
      }
    }
    const got = record(late);
    assert.deepEqual(got, record(onTime), 'the same decisions, orders and fills as the on-time run');
    const fill = got.fills.find((f) => f.decisionTs === candles.ts[k]);
    assert.ok(fill, "the late candle's order is filled");
    assert.equal(fill.ts, candles.ts[k + 1], 'at the next candle (its open)');
  } finally {
    onTime.close();
    late.close();
  }
});

test(`a candle that never comes: the tick ends at the bound with one line naming it, and the next tick acts on it and \
on the candle after`, async () => {
  const lines: string[] = [];
  const s = await paperSession('never.db', 2, lines);
  try {
    const { report, held } = await tickWith111Withheld(s);
    assert.equal(report.acted, 0, 'nothing to act on');
    const said = lines.filter((l) => l.includes('has not published it'));
    assert.equal(said.length, 1, lines.join(''));
    assert.match(said[0], new RegExp(`the candle ${isoTime(candles.ts[111])} has closed .* after 2 s`));
    held.publish();
    clock.now = tickAfter(112);
    const next = await s.trader.tick();
    assert.deepEqual(
      next.decisions.map((d) => isoTime(d.ts)),
      [isoTime(candles.ts[111]), isoTime(candles.ts[112])],
    );
  } finally {
    s.close();
  }
});

test(`a look at the bound that meets an exchange fault makes no retry past the bound: one request, no backoff, and the \
tick ends with its one line naming the candle and the fault`, async () => {
  const lines: string[] = [];
  const dataLines: string[] = [];
  // a 1 s bound: the first look is the one at the bound, so every retry of its request would start past it
  const s = await paperSession('fault-late.db', 1, lines);
  const before = log();
  setLogger(capturingLogger(dataLines));
  try {
    let armed = false;
    // after the tick's fetch (which finds the candle missing) every candle request fails with a retryable 503
    const { report, requests } = await tickWith111Withheld(s, () => {
      if (!armed) fake.addFault({ kind: '503', times: 100 });
      armed = true;
      return false;
    });
    assert.ok(armed, 'the tick looked again for the late candle');
    assert.equal(report.acted, 0, 'the next tick acts on it');
    assert.equal(requests, 2, "the tick's fetch and the look's one try: no retry past the bound (exchange.retries 2)");
    assert.deepEqual(
      fake
        .candleRequests()
        .slice(-2)
        .map((r) => r.fault),
      [undefined, '503'],
    );
    assert.deepEqual(
      dataLines.filter((l) => /retry \d+\/\d+/.test(l)),
      [],
      'no backoff wait',
    );
    const said = lines.filter((l) => l.includes('has not published'));
    assert.equal(said.length, 1, lines.join(''));
    assert.match(said[0], new RegExp(`the candle ${isoTime(candles.ts[111])} has closed .* after 1 s`));
    assert.match(said[0], /the last look failed: .*503.*not retried past the deadline/);
  } finally {
    fake.state.faults.length = 0;
    setLogger(before);
    s.close();
  }
});

test(`a late candle the exchange shows still open when it comes (its clock behind the machine's): the feed's own \
wait for it to close is not made past the look's bound, and the tick ends at the bound`, async () => {
  const lines: string[] = [];
  const feedLines: string[] = [];
  const s = await paperSession('open-late.db', 2, lines);
  const before = log();
  setLogger(capturingLogger(feedLines));
  const fixed = fake.state.now;
  try {
    let published = false;
    // asked between the looks: inside the wait, before the first look, the candle comes, on an exchange whose clock
    // stands 3 s before it closes (the feed would wait those and the 10 s tick delay, past the 2 s bound)
    const { report } = await tickWith111Withheld(s, () => {
      if (!published) {
        published = true;
        fake.setSeries('KRW-BTC', candles);
        const closes = candles.ts[111] + HOUR;
        fake.state.now = () => closes - 3_000;
      }
      return false;
    });
    assert.ok(published, 'the tick waited for the late candle');
    assert.ok(
      feedLines.some((l) => l.includes('still open on the exchange')),
      `the looks saw the candle still open: ${feedLines.join('')}`,
    );
    assert.deepEqual(
      feedLines.filter((l) => /waiting \d+ s for the exchange to close/.test(l)),
      [],
      "no wait of the feed's own inside the look",
    );
    assert.equal(report.acted, 0, 'still open on the exchange at the bound: the next tick acts on it');
    const said = lines.filter((l) => l.includes('has not published it'));
    assert.equal(said.length, 1, lines.join(''));
    assert.match(said[0], /after 2 s \(trading\.lateCandleWaitSeconds\)/);
  } finally {
    fake.state.now = fixed;
    setLogger(before);
    s.close();
  }
});

test(`a slot the market keeps closed every week (stored a week before as missing) is not waited for: no look, no \
warning at the session's close; an open hour's missing candle is still waited for`, async () => {
  const lines: string[] = [];
  const base = sessionBase('sessions.db', 2, lines, { symbol: 'XRP/KRW' });
  // the run starts at day 8's 12:00 with 100 candles of history, so its store holds the day-4 session a week before
  // the ticks below
  const s = await openTradingSession({ ...base, start: sessions.ts[180], policy: { strategy: 'random' } });
  const tickAt = (i: number) => {
    clock.now = sessions.ts[i] + HOUR + 10_000;
    const asked = fake.candleRequests().length;
    return s.trader.tick().then((report) => ({ report, requests: fake.candleRequests().length - asked }));
  };
  try {
    await tickAt(254);
    assert.ok(closedHour(sessions.ts[255]) && !closedHour(sessions.ts[254]), 'candle 255 is the first closed hour');
    const closed = await tickAt(255);
    assert.equal(closed.requests, 1, 'one fetch, no look again for a candle the market never publishes');
    assert.deepEqual(
      lines.filter((l) => l.includes('has not published')),
      [],
      'no warning at the close of a session',
    );
    // the next day's 12:00 candle, an open hour, withheld: the tick looks again and warns at the bound
    const open = 255 + 24 - 3;
    for (let i = 256; i < open; i++) await tickAt(i);
    fake.dropCandles('KRW-XRP', '1h', (ts) => ts === sessions.ts[open]);
    const late = await tickAt(open);
    assert.ok(late.requests > 1, `an open hour's missing candle is looked for again (${late.requests} requests)`);
    assert.equal(lines.filter((l) => l.includes('has not published')).length, 1, lines.join(''));
  } finally {
    fake.setSeries('KRW-XRP', sessions);
    fake.dropCandles('KRW-XRP', '1h', closedHour);
    s.close();
  }
});

test('a stop asked while the tick waits for a late candle ends the wait: no look after it', async () => {
  const s = await paperSession('stop.db', 5);
  try {
    // the stop is asked once the tick has fetched and looked again once (a Ctrl-C during the wait)
    const { report, held, requests } = await tickWith111Withheld(s, (n) => n >= 2);
    assert.equal(report.acted, 0);
    assert.equal(requests, 2, 'the fetch and one look, then the stop ended the tick');
    held.publish();
  } finally {
    s.close();
  }
});

test(`live: a candle published 1.5 s late is decided and ordered in the tick that asked for it (the live trader acts \
on the newest candle only, so the next tick passed it over for good)`, async () => {
  const s = await liveSetup({ maxOrderValue: 100_000, maxDailyLoss: 1e12 }, { policies: alwaysBuy() });
  try {
    const trader = s.make(undefined, undefined, 5000);
    await trader.tick();
    s.clock.now += HOUR;
    s.fake.dropCandles('KRW-BTC', '1h', (ts) => ts === s.candles.ts[101]);
    const t = setTimeout(() => s.fake.setSeries('KRW-BTC', s.candles), 1500);
    timers.add(t);
    const report = await trader.tick();
    assert.deepEqual(
      report.decisions.map((d) => isoTime(d.ts)),
      [isoTime(s.candles.ts[101])],
    );
    const run = s.repo.find(s.key);
    assert.ok(run);
    const fill = s.repo.trades(run.id).find((f) => f.decisionTs === s.candles.ts[101]);
    assert.ok(fill, 'its order was placed and filled');
    assert.ok(
      fill.ts >= s.candles.ts[102] && fill.ts < s.candles.ts[102] + HOUR,
      `filled in the next candle, at its open: ${isoTime(fill.ts)}`,
    );
  } finally {
    await s.cleanup();
  }
});

test(`portfolio: BTC's candle published 1.5 s after the tick asks for it: the time is decided in that tick once both \
markets' candles are in, with the same decisions, orders and fills as an on-time run`, async () => {
  const lines: string[] = [];
  const onTime = await portfolioSession('pf-on-time.db', 5);
  const late = await portfolioSession('pf-late.db', 5, lines);
  try {
    for (clock.now = tickAfter(110); clock.now <= tickAfter(120); clock.now += HOUR) await onTime.trader.tick();
    const k = 115;
    assert.ok(
      record(onTime).fills.some((f) => f.ts === candles.ts[k] && f.market === 'BTC/KRW'),
      "the on-time run fills a BTC move at candle k's open (a late run that decided k without it could not)",
    );
    for (clock.now = tickAfter(110); clock.now <= tickAfter(120); clock.now += HOUR) {
      const i = Math.round((clock.now - 10_000 - HOUR - candles.ts[0]) / HOUR);
      if (i === k) withhold(k, 1500);
      const report = await late.trader.tick();
      if (i === k)
        assert.deepEqual(
          report.decisions.map((d) => isoTime(d.ts)),
          [isoTime(candles.ts[k])],
          'the time of the late candle is decided in the tick that asked for it',
        );
    }
    assert.deepEqual(record(late), record(onTime), 'the same decisions, orders and fills as the on-time run');
    const said = lines.filter((l) => l.includes('published late'));
    assert.equal(said.length, 1, lines.join(''));
    assert.match(said[0], new RegExp(`BTC/KRW 1h: the candle ${isoTime(candles.ts[k])} was published late`));
  } finally {
    onTime.close();
    late.close();
  }
});

test(`portfolio: a candle that never comes ends the wait at the bound with one line naming the market still \
missing; the time is decided once, without it`, async () => {
  const lines: string[] = [];
  const s = await portfolioSession('pf-never.db', 2, lines);
  try {
    const { report, held } = await tickWith111Withheld(s);
    assert.deepEqual(
      report.decisions.map((d) => isoTime(d.ts)),
      [isoTime(candles.ts[111])],
      "ETH's candle is there: the time is decided, BTC valued at its last close",
    );
    const said = lines.filter((l) => l.includes('has not published'));
    assert.equal(said.length, 1, lines.join(''));
    assert.match(said[0], new RegExp(`^.*BTC/KRW 1h: the candle ${isoTime(candles.ts[111])} has closed .* after 2 s`));
    assert.doesNotMatch(said[0], /ETH/);
    held.publish();
    clock.now = tickAfter(112);
    const next = await s.trader.tick();
    assert.deepEqual(
      next.decisions.map((d) => isoTime(d.ts)),
      [isoTime(candles.ts[112])],
      'the late candle is history: no second decision at its time',
    );
  } finally {
    s.close();
  }
});

test('portfolio: a stop asked while the tick waits for a late candle ends the wait', async () => {
  const s = await portfolioSession('pf-stop.db', 5);
  try {
    // both markets fetched, then one look for BTC's candle, then a Ctrl-C
    const { report, held, requests } = await tickWith111Withheld(s, (n) => n >= 3);
    assert.equal(requests, 3, 'the two fetches and one look, then the stop ended it');
    assert.deepEqual(
      report.decisions.map((d) => isoTime(d.ts)),
      [isoTime(candles.ts[111])],
    );
    held.publish();
  } finally {
    s.close();
  }
});
