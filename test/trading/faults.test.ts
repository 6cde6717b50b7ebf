import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { openTradingSession } from '../../src/trading/session.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { startFaultProxy } from './fault-proxy.ts';
import { quietLogger, tempDir } from './helpers.ts';

const HOUR = 3_600_000;

test('with a fifth of exchange requests failing, no tick is lost and none is doubled', async () => {
  const tmp = tempDir();
  const candles = syntheticCandles({
    seed: 21,
    count: 140,
    timeframe: '1h',
    start: Date.UTC(2024, 0, 1),
    tick: 1000,
    symbol: 'KRW-BTC',
  });
  const start = candles.ts[70];
  let now = start + HOUR + 10_000;
  const fake = await startFakeUpbit({ now: () => now, series: [{ market: 'KRW-BTC', candles }] });
  const proxy = await startFaultProxy(fake.url, 0.2, 99, 1200);
  const sessionFor = (url: string, db: string) => {
    const config = loadConfig({
      overrides: {
        exchange: {
          ccxt: { urls: { api: { public: url, private: url } } },
          retries: 10,
          backoffMs: 1,
          maxBackoffMs: 4,
          timeoutMs: 600,
        },
        data: { database: path.join(tmp.dir, db) },
        log: { file: '' },
        trading: { historyCandles: 60 },
      },
    });
    return openTradingSession({
      config,
      logger: quietLogger(),
      mode: 'paper',
      name: 'faults',
      policy: { strategy: 'sma-cross' },
      start,
      clock: () => now,
    });
  };
  try {
    const faulty = await sessionFor(proxy.url, 'faulty.db');
    const clean = await sessionFor(fake.url, 'clean.db');
    const end = candles.ts[candles.ts.length - 1] + HOUR + 10_000;
    let failedTicks = 0;
    for (; now <= end; now += HOUR) {
      try {
        await faulty.trader.tick();
      } catch {
        failedTicks++;
      }
    }
    // the clean run's one tick at the last candle's: a tick an hour later would wait for a candle the series lacks
    now = end;
    await clean.trader.tick();
    const injected = Object.values(proxy.injected).reduce((a, b) => a + b, 0);
    assert.ok(injected >= 10, `faults were injected (${JSON.stringify(proxy.injected)})`);
    assert.equal(failedTicks, 0, 'retries absorbed every fault');
    assert.ok(proxy.injected.slow >= 1, 'some replies timed out');
    const runF = faulty.repo.list()[0];
    const runC = clean.repo.list()[0];
    const decisionsF = faulty.repo.decisions(runF.id).map((d) => d.ts);
    const expected = Array.from(candles.ts.filter((ts) => ts >= start));
    assert.deepEqual(decisionsF, expected, 'one decision per closed candle, none missing, none twice');
    assert.deepEqual(faulty.repo.trades(runF.id), clean.repo.trades(runC.id));
    assert.deepEqual(runF.account, runC.account);
    assert.ok(faulty.repo.trades(runF.id).length >= 2, 'the strategy traded');
    faulty.close();
    clean.close();
  } finally {
    await proxy.close();
    await fake.close();
    tmp.cleanup();
  }
});
