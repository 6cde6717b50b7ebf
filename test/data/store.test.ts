import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CandleStore, mergeRanges, subtractRanges } from '../../src/data/store.ts';
import { UserError } from '../../src/core/errors.ts';
import { tempDir } from './helpers.ts';

const H = 3_600_000;
const t0 = Date.UTC(2024, 0, 1);
const row = (i: number, close = 100 + i) => ({ ts: t0 + i * H, open: 100, high: 200, low: 50, close, volume: i });

test('upsert counts new and changed rows only; load is ascending and [from, to)', () => {
  const store = CandleStore.open(path.join(tempDir(), 'nested', 'dir', 'a.db'));
  try {
    assert.equal(store.upsert('upbit', 'BTC/KRW', '1h', [row(2), row(0), row(1)]), 3);
    assert.equal(store.upsert('upbit', 'BTC/KRW', '1h', [row(0), row(1), row(2)]), 0, 'same rows: nothing changes');
    assert.equal(store.upsert('upbit', 'BTC/KRW', '1h', [row(1, 999), row(3)]), 2);
    const c = store.load('upbit', 'BTC/KRW', '1h');
    assert.deepEqual(
      [...c.ts],
      [0, 1, 2, 3].map((i) => t0 + i * H),
    );
    assert.equal(c.close[1], 999);
    assert.deepEqual([...store.load('upbit', 'BTC/KRW', '1h', t0 + H, t0 + 3 * H).ts], [t0 + H, t0 + 2 * H]);
    assert.equal(store.load('upbit', 'ETH/KRW', '1h').ts.length, 0, 'series are keyed by symbol');
    assert.equal(store.lastTs('upbit', 'BTC/KRW', '1h'), t0 + 3 * H);
    assert.equal(store.lastTs('upbit', 'BTC/KRW', '1d'), undefined);
  } finally {
    store.close();
  }
});

test('series() and gaps() report missing ranges', () => {
  const store = CandleStore.open(path.join(tempDir(), 'b.db'));
  try {
    store.upsert(
      'upbit',
      'BTC/KRW',
      '1h',
      [0, 1, 4, 5, 7].map((i) => row(i)),
    );
    store.upsert(
      'binance',
      'BTC/USDT',
      '1h',
      [0, 1, 2].map((i) => row(i)),
    );
    const s = store.series();
    assert.deepEqual(s, [
      {
        exchange: 'binance',
        symbol: 'BTC/USDT',
        timeframe: '1h',
        first: t0,
        last: t0 + 2 * H,
        count: 3,
        gaps: 0,
        missing: 0,
      },
      {
        exchange: 'upbit',
        symbol: 'BTC/KRW',
        timeframe: '1h',
        first: t0,
        last: t0 + 7 * H,
        count: 5,
        gaps: 2,
        missing: 3,
      },
    ]);
    assert.deepEqual(store.gaps('upbit', 'BTC/KRW', '1h'), [
      { from: t0 + 2 * H, to: t0 + 4 * H, missing: 2 },
      { from: t0 + 6 * H, to: t0 + 7 * H, missing: 1 },
    ]);
  } finally {
    store.close();
  }
});

test(`gaps() of a market that closes: whole timeframe slots between sessions (no multiple of the timeframe), none \
for daily candles an hour off over a daylight saving change; openTimeBefore counts candles, not hours`, () => {
  const store = CandleStore.open(path.join(tempDir(), 'sessions.db'));
  const at = (ts: number) => ({ ts, open: 1, high: 2, low: 1, close: 1, volume: 1 });
  try {
    // an index future's hourly candles 01:30, 02:30 | 05:00, 06:00 UTC: 02:30 → 05:00 leaves 03:30 and 04:30 free
    const day = Date.UTC(2024, 2, 4);
    const opens = [1.5, 2.5, 5, 6, 25.5].map((h) => day + h * H);
    store.upsert('x', 'IF', '1h', opens.map(at));
    assert.deepEqual(store.gaps('x', 'IF', '1h'), [
      { from: day + 3.5 * H, to: day + 5 * H, missing: 2 },
      { from: day + 7 * H, to: day + 25.5 * H, missing: 19 },
    ]);
    // daily candles at New York midnight, seven days a week, across the end of summer time: 04:00 UTC, then 05:00
    const days = [
      Date.UTC(2024, 10, 2, 4),
      Date.UTC(2024, 10, 3, 4),
      Date.UTC(2024, 10, 4, 5),
      Date.UTC(2024, 10, 7, 5),
    ];
    store.upsert('x', 'BTC', '1d', days.map(at));
    assert.deepEqual(store.gaps('x', 'BTC', '1d'), [{ from: days[2] + 24 * H, to: days[3], missing: 2 }]);
    // the 3 candles before 06:00 open 01:30, 02:30 and 05:00: 4½ hours back, not 3
    assert.equal(store.openTimeBefore('x', 'IF', '1h', opens[3], 3), opens[0]);
    assert.equal(store.openTimeBefore('x', 'IF', '1h', opens[3], 100), opens[0], 'fewer stored: the first');
    assert.equal(store.openTimeBefore('x', 'IF', '1h', opens[0], 3), undefined);
  } finally {
    store.close();
  }
});

test('a file that is not a SQLite database is a clear UserError and is left alone', () => {
  const file = path.join(tempDir(), 'not.db');
  writeFileSync(file, 'this is a text file, not a database, and it is long enough to have a header page'.repeat(20));
  assert.throws(
    () => CandleStore.open(file),
    (e: unknown) => e instanceof UserError && /not\.db is not a SQLite database/.test(e.message),
  );
});

test('download coverage: ranges merge, and what is wanted minus what is covered is what gets fetched', () => {
  assert.deepEqual(
    mergeRanges([
      { from: 5, to: 8 },
      { from: 0, to: 2 },
      { from: 2, to: 3 },
      { from: 7, to: 9 },
      { from: 4, to: 4 },
    ]),
    [
      { from: 0, to: 3 },
      { from: 5, to: 9 },
    ],
  );
  assert.deepEqual(
    subtractRanges({ from: 0, to: 20 }, [
      { from: 2, to: 5 },
      { from: 10, to: 12 },
    ]),
    [
      { from: 0, to: 2 },
      { from: 5, to: 10 },
      { from: 12, to: 20 },
    ],
  );
  assert.deepEqual(subtractRanges({ from: 3, to: Infinity }, [{ from: 0, to: 10 }]), [{ from: 10, to: Infinity }]);
  assert.deepEqual(subtractRanges({ from: 3, to: 8 }, [{ from: 0, to: 10 }]), []);

  const store = CandleStore.open(path.join(tempDir(), 'c.db'));
  try {
    assert.deepEqual(store.storeDownload('upbit', 'BTC/KRW', '1h', [row(0), row(1)], { from: t0, to: t0 + 2 * H }), {
      added: 2,
      replaced: 0,
    });
    store.storeDownload('upbit', 'BTC/KRW', '1h', [], { from: t0 + 2 * H, to: t0 + 5 * H });
    assert.deepEqual(
      store.coverage('upbit', 'BTC/KRW', '1h'),
      [{ from: t0, to: t0 + 5 * H }],
      'an empty page still counts as asked',
    );
    assert.equal(store.remove('upbit', 'BTC/KRW', '1h'), 2);
    assert.deepEqual(store.coverage('upbit', 'BTC/KRW', '1h'), []);
  } finally {
    store.close();
  }
});

test(`gaps() of weekly candles stamped on each week's first trading day: a week opening on a Tuesday after a Monday \
holiday (steps of 8 and 6 days, which the importer takes) is no gap; a week left out is one`, () => {
  const store = CandleStore.open(path.join(tempDir(), 'weekly.db'));
  const at = (ts: number) => ({ ts, open: 1, high: 2, low: 1, close: 1, volume: 1 });
  try {
    const D = 24 * H;
    const mondays = [0, 1, 2, 3, 4, 5].map((w) => Date.UTC(2024, 1, 26) + w * 7 * D);
    const weeks = [mondays[0], mondays[1], mondays[2] + D, mondays[3], mondays[5]]; // 2024-03-12 a Tuesday
    store.upsert('x', 'IDX', '1w', weeks.map(at));
    assert.deepEqual(store.gaps('x', 'IDX', '1w'), [{ from: mondays[4], to: mondays[5], missing: 1 }]);
    const info = store.series().find((s) => s.symbol === 'IDX');
    assert.deepEqual([info?.gaps, info?.missing], [1, 1]);
  } finally {
    store.close();
  }
});
