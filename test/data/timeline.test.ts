/** Several series on one clock: union of open times, holes valued at the last close, range limited by the series. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candlesFromRows, type Candles } from '../../src/core/candles.ts';
import { alignSeries, candlesFrom, describeTimeline } from '../../src/data/timeline.ts';

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
