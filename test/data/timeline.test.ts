/** Several series on one clock: union of open times, holes valued at the last close, range limited by the series. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candlesFromRows, type Candles } from '../../src/core/candles.ts';
import { alignSeries, candlesFrom, checkOneGrid, describeTimeline } from '../../src/data/timeline.ts';

const H = 3_600_000;

/** A 1h series with a candle at each listed hour, close = 100 + hour. */
function series(symbol: string, hours: number[]): Candles {
  const rows = hours.map((h) => ({
    ts: h * H,
    open: 100 + h - 0.5,
    high: 101 + h,
    low: 99 + h,
    close: 100 + h,
    volume: 1,
  }));
  return candlesFromRows('x', symbol, '1h', rows);
}

test('union clock over the common range; holes valued at the last close and marked unfillable', () => {
  const a = series('A', [0, 1, 2, 3, 4, 5, 6, 7]);
  const b = series('B', [2, 3, 5, 6, 8, 9]); // starts later (2), hole at 4, hole at 7
  const c = series('C', [1, 2, 3, 4, 6, 7]); // hole at 5, ends at 7
  const t = alignSeries([a, b, c]);
  assert.deepEqual(
    [...t.ts].map((x) => x / H),
    [2, 3, 4, 5, 6, 7],
  );
  assert.equal(t.start, 2 * H);
  assert.equal(t.end, 7 * H);
  assert.equal(t.startLimitedBy, 'B');
  assert.equal(t.endLimitedBy, 'A'); // A and C both end at 7; the first one found keeps it
  assert.deepEqual([...t.index[0]], [2, 3, 4, 5, 6, 7]);
  assert.deepEqual([...t.index[1]], [0, 1, -1, 2, 3, -1]);
  assert.deepEqual([...t.index[2]], [1, 2, 3, -1, 4, 5]);
  // B has no candle at 4: valued at its close at 3; at 7 at its close at 6
  assert.deepEqual([...t.mark[1]], [102, 103, 103, 105, 106, 106]);
  assert.deepEqual([...t.mark[2]], [102, 103, 104, 104, 106, 107]);
  assert.deepEqual(t.missing, [0, 2, 1]);
  const line = describeTimeline(t);
  assert.match(line, /start set by B, end by A/);
  assert.match(line, /B has no candle at 2 of 6 times/);
  assert.match(line, /C has no candle at 1 of 6 times/);
});

test('candlesFrom: a clock cut at t starts at t for every series; a market without a candle at t has its last', () => {
  const a = series('A', [0, 1, 2, 3, 4, 5]);
  const b = series('B', [0, 1, 2, 4, 5]); // no candle at 3
  const cut = [candlesFrom(a, 3 * H), candlesFrom(b, 3 * H)];
  assert.deepEqual(
    [...cut[0].ts].map((x) => x / H),
    [3, 4, 5],
  );
  assert.deepEqual(
    [...cut[1].ts].map((x) => x / H),
    [2, 4, 5],
  ); // its candle at 2 is the mark at 3
  const t = alignSeries(cut);
  assert.equal(t.start, 3 * H);
  assert.deepEqual([...t.index[1]], [-1, 1, 2]);
  assert.deepEqual([...t.mark[1]], [102, 104, 105]);
  assert.equal(candlesFrom(b, 0).ts[0], 0);
  assert.equal(candlesFrom(b, 9 * H).ts.length, 1, 'after the last candle: the last close only');
});

test('a series that only shares a clock time where another has a hole still counts', () => {
  const t = alignSeries([series('A', [0, 2, 4]), series('B', [0, 1, 3, 4])]);
  assert.deepEqual(
    [...t.ts].map((x) => x / H),
    [0, 1, 2, 3, 4],
  );
  assert.deepEqual([...t.index[0]], [0, -1, 1, -1, 2]);
  assert.deepEqual([...t.mark[0]], [100, 100, 102, 102, 104]);
});

test('bad input: no common range, duplicate symbols, mixed timeframes, empty series', () => {
  assert.throws(() => alignSeries([series('A', [0, 1]), series('B', [5, 6])]), /B starts after A ends/);
  assert.throws(() => alignSeries([series('A', [0]), series('A', [0])]), /symbols must differ/);
  const d = { ...series('D', [0, 1]), timeframe: '1d' };
  assert.throws(() => alignSeries([series('A', [0]), d]), /D is 1d, A is 1h/);
  assert.throws(() => alignSeries([series('E', [])]), /E has no candles/);
  assert.throws(() => alignSeries([]), /no series/);
});

/** A series of `tf` candles opening at each of `opens` (ms). */
function at(symbol: string, tf: string, opens: number[]): Candles {
  const rows = opens.map((ts, i) => ({ ts, open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: 1 }));
  return candlesFromRows('x', symbol, tf, rows);
}

test(`offset grids are refused in one line naming both markets and where each opens (a decision at one would fill \
before a candle it read had closed); one grid with holes, sessions or a DST shift passes`, () => {
  const hours = (from: number, n: number, off = 0) => Array.from({ length: n }, (_, i) => (from + i) * H + off);
  assert.throws(
    () => alignSeries([at('A/USD', '1h', hours(0, 10)), at('B/USD', '1h', hours(0, 11, -H / 2))]),
    (e: Error) =>
      e.message ===
      'A/USD and B/USD candles open on different 1h grids (A/USD at :00, B/USD at :30; from 1970-01-01T00:00:00Z), ' +
        'so a decision would fill before a candle it read had closed; give series whose candles open at the same ' +
        'times, or trade them in separate runs',
  );
  const D = 24 * H;
  const days = (n: number, off: number) => Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * D + off);
  // crypto daily at 00:00 UTC with US stocks at 14:30 UTC: offset
  assert.throws(() => checkOneGrid([at('BTC/USD', '1d', days(20, 0)), at('SPY/USD', '1d', days(20, 14.5 * H))]), {
    message: /BTC\/USD at 00:00 UTC, SPY\/USD at 14:30 UTC; from 2024-01-01T14:30:00Z/,
  });
  // Korean stocks at 09:00 KST = 00:00 UTC with crypto at 00:00 UTC, with weekends missing: one grid
  const kr = days(20, 0).filter((_, i) => i % 7 < 5);
  checkOneGrid([at('BTC/KRW', '1d', days(20, 0)), at('005930/KRW', '1d', kr)]);
  // two US stocks across a daylight saving change (13:30 UTC, then 14:30 UTC): the same times, steps ≥ 1 day
  const us = [...days(5, 13.5 * H), ...days(10, 14.5 * H).slice(5)];
  checkOneGrid([at('SPY/USD', '1d', us), at('QQQ/USD', '1d', us)]);
  // holes in one market and a series that only starts later: one grid
  checkOneGrid([
    at('A/USD', '1h', hours(0, 10)),
    at(
      'B/USD',
      '1h',
      [2, 3, 5, 9].map((h) => h * H),
    ),
  ]);
  // an offset only outside the range both cover does not reach the clock
  checkOneGrid([at('A/USD', '1h', [H / 2, ...hours(1, 9)]), at('B/USD', '1h', hours(1, 9))]);
  // hourly stock bars at :30 with crypto at :00 (the stocks' session gap does not hide the offset)
  assert.throws(
    () =>
      checkOneGrid([
        at('BTC/USD', '1h', hours(0, 48)),
        at('AAPL/USD', '1h', [...hours(14, 7, H / 2), ...hours(38, 7, H / 2)]),
      ]),
    { message: /BTC\/USD and AAPL\/USD .*BTC\/USD at :00, AAPL\/USD at :30/ },
  );
});
