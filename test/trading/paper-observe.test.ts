/**
 * What a paper run says of itself when it decides nothing, through the session `bot paper` opens (real ccxt against
 * the fake Upbit, real SQLite): a clock gone back before the run's last decided candle is one error line naming both
 * clocks, as a live tick's (TickClockCheck.behindRun, one code path); fetched candles off the stored grid are recorded
 * with the run, and `bot status` (runStatus / formatStatus, which the dashboard's REST run view serves) shows them
 * until a tick succeeds again.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import '../helpers/state-dir.ts';
import { capturingLogger } from '../helpers/log.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Candles } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { openPortfolioSession } from '../../src/trading/portfolio-session.ts';
import { openTradingSession, type TradingSession } from '../../src/trading/session.ts';
import { formatRunTable, formatStatus, runStatus } from '../../src/trading/status.ts';
import { DashboardReader } from '../../src/server/reader.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { tempDir } from './helpers.ts';
import { alwaysBuy, errorLines, HOUR, liveSetup } from './live-setup.ts';

const MINUTE = 60_000;
const TIMING = { tickDelaySeconds: 10, lockStaleSeconds: 60 };

/** The fake Upbit serving BTC/KRW and ETH/KRW hourly candles, and a paper session config pointing at it. */
async function paperSetup() {
  const tmp = tempDir('bot-paper-observe-');
  const series = ['KRW-BTC', 'KRW-ETH'].map((market, i) =>
    syntheticCandles({ seed: 61 + i, count: 160, timeframe: '1h', start: Date.UTC(2024, 0, 1), symbol: market }),
  );
  const clock = { now: series[0].ts[100] + HOUR + 10_000 };
  const exchangeSkew = { ms: 0 };
  const fake = await startFakeUpbit({
    now: () => clock.now + exchangeSkew.ms,
    series: series.map((candles, i) => ({ market: ['KRW-BTC', 'KRW-ETH'][i], candles })),
  });
  const config = loadConfig({
    overrides: {
      exchange: { id: 'upbit', ccxt: fake.ccxtOptions(), retries: 1, backoffMs: 1, maxBackoffMs: 5 },
      data: { database: path.join(tmp.dir, 'bot.db') },
      // a tick waits for no late candle: the exchange's candles that stop coming on the hour are not late ones
      trading: { historyCandles: 30, lateCandleWaitSeconds: 0 },
      log: { file: '' },
    },
  });
  const lines: string[] = [];
  const common = {
    config,
    logger: capturingLogger(lines),
    mode: 'paper' as const,
    name: 'observe',
    clock: () => clock.now,
    clockFrom: "this machine's clock",
  };
  const sessions: TradingSession[] = [];
  const single = async () => {
    const s = await openTradingSession({ ...common, policy: { strategy: 'sma-cross' } });
    sessions.push(s);
    return s;
  };
  const portfolio = async () => {
    const s = await openPortfolioSession({
      ...common,
      symbols: ['BTC/KRW', 'ETH/KRW'],
      strategy: 'equal-weight',
      every: 1,
      band: 0.01,
    });
    sessions.push(s);
    return s;
  };
  const cleanup = async () => {
    for (const s of sessions) s.close();
    await fake.close();
    tmp.cleanup();
  };
  return { series, clock, exchangeSkew, fake, lines, single, portfolio, cleanup };
}

test(`a paper tick whose clock went back before the run's last decided candle says so in one error line naming both \
clocks, as a live tick does, one market or a portfolio; a tick with no new candle yet is quiet`, async () => {
  const s = await paperSetup();
  try {
    for (const open of [s.single, s.portfolio]) {
      const session = await open();
      const start = s.clock.now;
      s.lines.length = 0;
      const first = await session.trader.tick();
      assert.ok(first.acted >= 1, 'the clocks agree at the start: it decides');
      const runId = session.repo.find(session.key)!.id;
      const decided = session.repo.decisionCount(runId);

      // ten minutes later: the candle decided is still the newest closed one, the normal case
      s.clock.now = start + 10 * MINUTE;
      assert.equal((await session.trader.tick()).acted, 0);
      assert.deepEqual(errorLines(s.lines), [], 'no new candle yet: quiet');

      // this machine's clock set three hours back while the exchange's went on: the paper tick used to be silent
      s.clock.now = start - 3 * HOUR;
      s.exchangeSkew.ms = 3 * HOUR + 10 * MINUTE;
      assert.equal((await session.trader.tick()).acted, 0);
      const [line, ...more] = errorLines(s.lines);
      assert.deepEqual(more, [], 'one error line');
      assert.match(
        line ?? '',
        new RegExp(
          "^this machine's clock \\(\\S+\\) puts the newest closed candle at \\S+, before \\S+, the run's last " +
            "decided candle; it is 11400 s behind upbit's clock \\(\\S+\\): sync the clock of this machine; no " +
            'decision or order until a candle after \\S+ closes$',
        ),
      );
      assert.equal(session.repo.decisionCount(runId), decided, 'nothing decided');
      s.exchangeSkew.ms = 0;
      s.clock.now = start;
      session.close();
    }
  } finally {
    await s.cleanup();
  }
});

/** The exchange's candles of `candles` half an hour later: off the grid of a series stored on the hour. */
const halfHourLater = (candles: Candles): Candles => ({ ...candles, ts: candles.ts.map((t) => t + HOUR / 2) });

test(`a paper run whose ticks fetch candles off the stored grid shows it in bot status (and the REST run view's \
status) until a tick succeeds again; the run table flags it`, async () => {
  const s = await paperSetup();
  try {
    const session = await s.single();
    const status = () => runStatus(session.repo, session.key, s.clock.now, 3, TIMING)!;
    await session.trader.tick();
    assert.equal(status().dataFault, null, 'a run that decides: no fault');
    assert.doesNotMatch(formatStatus(status()), /NO DECISIONS/);

    // the exchange's candles move half an hour (its data being re-cut): the next ticks, once such a candle closed,
    // store and decide nothing
    s.fake.setSeries('KRW-BTC', halfHourLater(s.series[0]));
    const faultAt = s.clock.now + 2 * HOUR;
    for (const k of [1, 2]) {
      s.clock.now = faultAt + (k - 1) * HOUR;
      await assert.rejects(() => session.trader.tick(), /is off the grid of the stored series/);
    }
    const faulty = status();
    assert.equal(faulty.dataFault?.since, isoTime(faultAt), 'since the first tick that failed');
    assert.match(faulty.dataFault?.message ?? '', /^the exchange's upbit BTC\/KRW 1h candle \S+ is off the grid/);
    const text = formatStatus(faulty);
    assert.match(
      text,
      /^NO DECISIONS since \S+, each tick looks again: the exchange's upbit BTC\/KRW 1h candle \S+ is off the grid/m,
    );
    assert.match(formatRunTable([faulty]), /paper observe \(NO DECISIONS\)/);
    // the REST API's run view (bot serve) carries it as status does
    const api = new DashboardReader(session.store.db, TIMING).run(faulty.id, s.clock.now);
    assert.deepEqual(api?.dataFault, faulty.dataFault);

    // the exchange's data mended: the next tick stores and decides, and the fault is gone from status
    s.fake.setSeries('KRW-BTC', s.series[0]);
    s.clock.now += HOUR;
    assert.equal((await session.trader.tick()).acted > 0, true);
    assert.equal(status().dataFault, null);
    assert.doesNotMatch(formatStatus(status()), /NO DECISIONS/);
  } finally {
    await s.cleanup();
  }
});

test(`a live run whose tick fetches candles off the stored grid after it decided shows it in status until a tick \
succeeds again (the same tick path as paper)`, async () => {
  const s = await liveSetup({ maxOrderValue: 1_000_000, maxDailyLoss: 1e12 }, { policies: alwaysBuy() });
  try {
    const trader = s.make();
    await trader.tick();
    const status = () => runStatus(s.repo, s.key, s.clock.now, 3, TIMING)!;
    s.fake.setSeries('KRW-BTC', halfHourLater(s.candles));
    s.clock.now += 2 * HOUR;
    await assert.rejects(() => trader.tick(), /is off the grid of the stored series/);
    assert.match(formatStatus(status()), /^NO DECISIONS since \S+, each tick looks again: the exchange's upbit/m);
    s.fake.setSeries('KRW-BTC', s.candles);
    s.clock.now += HOUR;
    await trader.tick();
    assert.equal(status().dataFault, null);
  } finally {
    await s.cleanup();
  }
});
