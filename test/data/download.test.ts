import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ccxtLib } from '../../src/data/ccxt.ts';
import type { Candles } from '../../src/core/candles.ts';
import { downloadToStore } from '../../src/data/download.ts';
import { classifyError, createExchange, retryOptionsFrom, withRetry } from '../../src/data/exchange.ts';
import { loadSeries } from '../../src/data/source.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import type { Config } from '../../src/config/schema.ts';
import { UserError } from '../../src/core/errors.ts';
import { createLogger, log, setLogger } from '../../src/core/log.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { fakeConfig, tempDir } from './helpers.ts';

const ccxt = ccxtLib();

const H = 3_600_000;
const START = Date.UTC(2024, 0, 1);

function series(count: number, gapProbability = 0.02): Candles {
  return syntheticCandles({ seed: 11, count, timeframe: '1h', start: START, gapProbability, tick: 1000 });
}

interface Setup {
  fake: FakeUpbit;
  config: Config;
  clock: { now: number };
  truth: Candles;
}

async function setup(count: number, exchange: Record<string, unknown> = {}): Promise<Setup> {
  const truth = series(count);
  // the last candle of the series is still open: 30 minutes into it
  const clock = { now: truth.ts[truth.ts.length - 1] + 30 * 60_000 };
  const fake = await startFakeUpbit({ now: () => clock.now, series: [{ market: 'KRW-BTC', candles: truth }] });
  return { fake, config: fakeConfig(fake, tempDir(), exchange), clock, truth };
}

async function run(s: Setup, onRetry?: () => void, onPage?: (pages: number) => void, since = START) {
  const store = CandleStore.open(s.config.data.database);
  try {
    return await downloadToStore(
      store,
      createExchange(s.config),
      { exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h', since },
      {
        retry: { ...retryOptionsFrom(s.config), onRetry },
        now: () => s.clock.now,
        onPage: (_r, p) => onPage?.(p.pages),
      },
    );
  } finally {
    store.close();
  }
}

function stored(s: Setup): Candles {
  const store = CandleStore.open(s.config.data.database);
  try {
    return store.load('upbit', 'BTC/KRW', '1h');
  } finally {
    store.close();
  }
}

/** The stored series equals the fake's closed candles exactly: no duplicate, no missing, no open candle. */
function assertStoredEqualsClosed(s: Setup): void {
  const got = stored(s);
  const closed = [...s.truth.ts].filter((ts) => ts + H <= s.clock.now).length;
  assert.equal(got.ts.length, closed);
  for (let i = 0; i < closed; i++) {
    assert.equal(got.ts[i], s.truth.ts[i]);
    assert.equal(got.close[i], s.truth.close[i], `close at ${i}`);
    assert.equal(got.volume[i], s.truth.volume[i]);
  }
}

test('download pages through Upbit 200 at a time, stores closed candles only, and is incremental', async () => {
  const s = await setup(1500);
  try {
    const first = await run(s);
    const candleReqs = s.fake.candleRequests();
    assert.ok(candleReqs.length >= 8, `many pages (${candleReqs.length})`);
    assert.ok(candleReqs.every((r) => Number(r.query.count) <= 200 && r.query.to));
    const tos = candleReqs.map((r) => Date.parse(r.query.to));
    assert.ok(
      tos.every((t, i) => i === 0 || t > tos[i - 1]),
      'pages move forward',
    );
    assert.equal(first.fetched, 1499);
    assert.deepEqual([first.added, first.replaced], [1499, 0]);
    assertStoredEqualsClosed(s);

    const again = await run(s);
    assert.deepEqual([again.added, again.replaced], [0, 0], 're-running changes nothing');
    assert.equal(s.fake.candleRequests().length, candleReqs.length, 'nothing new has closed, so nothing is asked');

    // three hours later the open candle has closed (with its final values) and two more exist
    s.fake.setSeries('KRW-BTC', (s.truth = series(1503)));
    s.clock.now += 3 * H;
    const later = await run(s);
    assert.deepEqual([later.added, later.replaced], [3, 0]);
    assertStoredEqualsClosed(s);
    const lastReq = s.fake.candleRequests().at(-1)!;
    assert.ok(Date.parse(lastReq.query.to) > s.truth.ts[1498], 'incremental request starts after the stored end');
  } finally {
    await s.fake.close();
  }
});

test('an interrupted download resumes where it stopped, with no duplicate and no missing candle', async () => {
  const s = await setup(1200, { retries: 1 });
  try {
    await assert.rejects(
      run(s, undefined, (pages) => {
        if (pages === 3) s.fake.addFault({ kind: '503', times: 1000 });
      }),
      (e: unknown) => e instanceof UserError && /failed after 2 tries: ExchangeNotAvailable/.test(e.message),
    );
    const partial = stored(s).ts.length;
    assert.ok(partial > 0 && partial < 1199, `kept what arrived (${partial})`);
    s.fake.state.faults.length = 0;
    const before = s.fake.candleRequests().length;
    const rest = await run(s);
    assert.equal(rest.added, 1199 - partial);
    assert.ok(s.fake.candleRequests().length - before <= 5, 'only the rest is fetched');
    assertStoredEqualsClosed(s);
  } finally {
    await s.fake.close();
  }
});

test('an interrupted backfill before the stored range is completed by the next run', async () => {
  const s = await setup(1400, { retries: 0 });
  try {
    await run(s, undefined, undefined, s.truth.ts[1000]);
    assert.equal(stored(s).ts.length, 399);
    await assert.rejects(
      run(s, undefined, (pages) => {
        if (pages === 2) s.fake.addFault({ kind: '503', times: 1000 });
      }),
      UserError,
    );
    const partial = stored(s).ts.length;
    assert.ok(partial > 399 && partial < 1399, `the backfill stopped half way (${partial})`);
    s.fake.state.faults.length = 0;
    await run(s);
    assertStoredEqualsClosed(s);
  } finally {
    await s.fake.close();
  }
});

test(`429 (plain and JSON), 418, 5xx, malformed JSON, resets and slow replies are retried without losing a \
candle`, async () => {
  const s = await setup(900, { retries: 10, timeoutMs: 400 });
  try {
    for (const kind of ['429', '429-json', '418', '500-json', '503', 'malformed', 'reset', 'slow'] as const) {
      s.fake.addFault({ kind, delayMs: 3000 });
      s.fake.addFault({ kind: '500', match: '/nothing' }); // never matches: faults only hit their own paths
    }
    s.fake.addFault({ kind: '503', match: '/market/all', times: 2 });
    let retries = 0;
    await run(s, () => retries++);
    assert.equal(retries, 10);
    assertStoredEqualsClosed(s);
    const statuses = s.fake.state.requests.map((r) => r.fault).filter(Boolean);
    assert.equal(statuses.length, 10);
  } finally {
    await s.fake.close();
  }
});

test('a fault that does not go away ends with a clear message after a bounded number of tries', async () => {
  const s = await setup(300, { retries: 2 });
  try {
    s.fake.addFault({ kind: '429-json', times: 1000 });
    await assert.rejects(
      run(s),
      (e: unknown) =>
        e instanceof UserError &&
        /candles from 2024-01-01T00:00:00Z failed after 3 tries: ExchangeError/.test(e.message),
    );
    const tries = s.fake.candleRequests().length;
    assert.ok(tries >= 3 && tries <= 6, `3 tries per window, two windows in flight at most (${tries})`);
  } finally {
    await s.fake.close();
  }
});

test('backoff doubles from backoffMs up to maxBackoffMs; non-network errors are not retried', async () => {
  const waits: number[] = [];
  let calls = 0;
  const result = await withRetry(
    'x',
    async () => {
      if (++calls < 6) throw new ccxt.RequestTimeout('slow');
      return 'ok';
    },
    { retries: 6, backoffMs: 100, maxBackoffMs: 500, sleep: async (ms) => void waits.push(ms) },
  );
  assert.equal(result, 'ok');
  assert.deepEqual(waits, [100, 200, 400, 500, 500]);
  calls = 0;
  await assert.rejects(
    withRetry('y', async () => (calls++, Promise.reject(new ccxt.BadSymbol('no such market'))), {
      retries: 5,
      backoffMs: 1,
      maxBackoffMs: 1,
    }),
    /y failed: BadSymbol: no such market/,
  );
  assert.equal(calls, 1);
  assert.equal(classifyError(new ccxt.ExchangeError('upbit {"error":{}}'), 429), 'transient');
  assert.equal(classifyError(new ccxt.ExchangeError('upbit {"error":{}}'), 400), 'fatal');
  assert.equal(classifyError(new ccxt.ExchangeError('upbit {"error":{}}'), 502), 'transient');
});

test('candles the exchange skips are stored as gaps and reported, not an error', async () => {
  const s = await setup(500);
  try {
    const dropped = [s.truth.ts[100], s.truth.ts[101], s.truth.ts[300]];
    s.fake.dropCandles('KRW-BTC', '1h', (ts) => dropped.includes(ts));
    await run(s);
    const store = CandleStore.open(s.config.data.database);
    try {
      const gaps = store.gaps('upbit', 'BTC/KRW', '1h');
      for (const ts of dropped)
        assert.ok(
          gaps.some((g) => g.from <= ts && ts < g.to),
          `gap at ${new Date(ts).toISOString()}`,
        );
      const info = store.series()[0];
      assert.equal(info.count, 499 - 3);
      assert.equal(info.missing, (info.last - info.first) / H + 1 - info.count);
    } finally {
      store.close();
    }
  } finally {
    await s.fake.close();
  }
});

test('loadSeries: store, then download when empty; --data file; sample; range filters; empty is an error', async () => {
  const s = await setup(400);
  try {
    const downloaded = await loadSeries({ config: s.config, now: () => s.clock.now });
    assert.equal(downloaded.origin, 'exchange');
    assert.equal(downloaded.candles.ts.length, 399);
    const from = s.truth.ts[10];
    const to = s.truth.ts[20];
    const fromStore = await loadSeries({ config: s.config, from, to });
    assert.equal(fromStore.origin, 'store');
    assert.deepEqual([...fromStore.candles.ts], [...s.truth.ts.subarray(10, 20)]);
    await assert.rejects(loadSeries({ config: s.config, from: Date.UTC(2030, 0, 1) }), UserError);

    const file = path.join(tempDir(), 'mine.csv');
    writeFileSync(
      file,
      'date,open,high,low,close,volume\n2024-01-02,2,2,2,2,1\n2024-01-01,1,1,1,1,1\n2024-01-03,3,3,3,3,1\n',
    );
    const fromFile = await loadSeries({ config: s.config, dataFile: file, from: Date.UTC(2024, 0, 2) });
    assert.equal(fromFile.origin, 'file');
    assert.equal(fromFile.candles.timeframe, '1d');
    assert.deepEqual([...fromFile.candles.close], [2, 3]);

    const sample = await loadSeries({ config: s.config, sample: true, to: Date.UTC(2000, 0, 8) });
    assert.equal(sample.origin, 'sample');
    assert.equal(sample.candles.symbol, 'SP500/USD');
    assert.deepEqual([...sample.candles.close].slice(0, 2), [1455.219971, 1399.420044]);
  } finally {
    await s.fake.close();
  }
});

test(`an unreachable exchange: a one-line error without offline flags (paper and live take none); loadSeries falls \
back to the sample with a notice only when asked (the no-flags main job)`, async () => {
  const config = fakeConfig({ url: 'http://127.0.0.1:1' }, tempDir());
  const store = CandleStore.open(config.data.database);
  try {
    await assert.rejects(
      downloadToStore(
        store,
        createExchange(config),
        { exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h', since: START },
        { retry: retryOptionsFrom(config) },
      ),
      (e: unknown) =>
        e instanceof UserError && /cannot be reached/.test(e.message) && !/--data|--sample/.test(e.message),
    );
  } finally {
    store.close();
  }
  // the console logger the CLI sets up
  const previous = log();
  setLogger(createLogger({ level: 'info', file: '' }));
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    await assert.rejects(
      loadSeries({ config }),
      (e: unknown) =>
        e instanceof UserError &&
        new RegExp(
          String.raw`^nothing is stored for upbit BTC/KRW 1h and upbit cannot be reached: ` +
            String.raw`store a CSV with \x60bot data import FILE\x60, or use --data FILE or --sample$`,
        ).test(e.message),
      'without offlineFallback a named market is never swapped for the sample',
    );
    const fallback = await loadSeries({ config, offlineFallback: true });
    assert.equal(fallback.origin, 'sample');
    assert.match(fallback.notice ?? '', /cannot be reached.*bundled sample.*--data FILE.*bot data import/);
  } finally {
    process.stderr.write = write;
    setLogger(previous);
  }
  assert.equal(lines.filter((l) => /bundled sample/.test(l)).length, 1, 'one console line says it runs on the sample');
});
