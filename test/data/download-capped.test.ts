/**
 * `bot data download` against an exchange that answers fewer candles than asked (the fake Upbit with
 * maxCandlesPerReply, over 127.0.0.1, through real ccxt into a real SQLite file): every candle is stored, no hole
 * appears, and the download record covers only time the exchange answered for in full.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../helpers/state-dir.ts';
import type { Candles } from '../../src/core/candles.ts';
import { UserError } from '../../src/core/errors.ts';
import { downloadToStore, type DownloadResult } from '../../src/data/download.ts';
import { createExchange, retryOptionsFrom } from '../../src/data/exchange.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { fakeConfig, tempDir } from './helpers.ts';

const H = 3_600_000;
const START = Date.UTC(2024, 0, 1);
const CAP = 70;

interface Setup {
  fake: FakeUpbit;
  database: string;
  download: (onPage?: (pages: number) => void) => Promise<DownloadResult>;
  truth: Candles;
  now: number;
}

async function setup(keeps: 'newest' | 'oldest', gapProbability: number, retries = 4): Promise<Setup> {
  const truth = syntheticCandles({ seed: 3, count: 1000, timeframe: '1h', start: START, gapProbability, tick: 1000 });
  // the last candle is still open: 30 minutes into it
  const now = truth.ts[truth.ts.length - 1] + 30 * 60_000;
  const fake = await startFakeUpbit({
    now: () => now,
    series: [{ market: 'KRW-BTC', candles: truth }],
    maxCandlesPerReply: CAP,
    cappedReplyKeeps: keeps,
  });
  const config = fakeConfig(fake, tempDir(), { retries });
  const download = async (onPage?: (pages: number) => void) => {
    const store = CandleStore.open(config.data.database);
    try {
      return await downloadToStore(
        store,
        createExchange(config),
        { exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h', since: START },
        { retry: retryOptionsFrom(config), now: () => now, onPage: (_r, p) => onPage?.(p.pages) },
      );
    } finally {
      store.close();
    }
  };
  return { fake, database: config.data.database, download, truth, now };
}

function read<T>(s: Setup, fn: (store: CandleStore) => T): T {
  const store = CandleStore.open(s.database);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** The stored series is the exchange's closed candles, all of them, and the record covers the whole range. */
function assertComplete(s: Setup): void {
  const closed = [...s.truth.ts].filter((ts) => ts + H <= s.now);
  const got = read(s, (store) => store.load('upbit', 'BTC/KRW', '1h'));
  assert.deepEqual([...got.ts], closed, 'every closed candle, none twice');
  assert.deepEqual(
    read(s, (store) => store.coverage('upbit', 'BTC/KRW', '1h')),
    [{ from: START, to: s.now - H + 1 }],
    'recorded as downloaded up to the last closed candle',
  );
}

for (const keeps of ['newest', 'oldest'] as const) {
  test(`an exchange capping replies at ${CAP} candles (keeping the ${keeps}): every candle is stored with no \
hole, and a rerun asks nothing`, async () => {
    const s = await setup(keeps, 0);
    try {
      const first = await s.download();
      assert.equal(first.fetched, 999);
      assertComplete(s);
      assert.equal(read(s, (store) => store.series())[0].gaps, 0);
      const asked = s.fake.candleRequests().length;
      assert.equal(first.pages, asked, 'every request counted');
      assert.ok(
        s.fake.candleRequests().every((r) => Number(r.query.count) <= 200),
        'no request asks more than ccxt says Upbit answers',
      );
      const again = await s.download();
      assert.equal(again.added, 0);
      assert.equal(s.fake.candleRequests().length, asked, 'nothing is asked again');
    } finally {
      await s.fake.close();
    }
  });
}

test(`a capped exchange that also skips intervals without trades: the skipped ones stay holes, every other candle is \
stored, and an interrupted download records only windows answered in full`, async () => {
  const s = await setup('newest', 0.05, 0);
  try {
    await assert.rejects(
      s.download((pages) => {
        if (pages === 2) s.fake.addFault({ kind: '503', times: 1000 });
      }),
      UserError,
    );
    const coverage = read(s, (store) => store.coverage('upbit', 'BTC/KRW', '1h'));
    assert.ok(coverage.length > 0, 'the first pages were recorded');
    for (const { from, to } of coverage) {
      const want = [...s.truth.ts].filter((ts) => ts >= from && ts < to).length;
      const have = read(s, (store) => store.countIn('upbit', 'BTC/KRW', '1h', from, to));
      assert.equal(have, want, `every candle of the recorded range from ${new Date(from).toISOString()}`);
    }
    s.fake.state.faults.length = 0;
    await s.download();
    assertComplete(s);
  } finally {
    await s.fake.close();
  }
});
