/** The one binary search over ascending candle open times (src/core/candles.ts): firstAtOrAfter and lastAtOrBefore. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstAtOrAfter, lastAtOrBefore } from '../../src/core/candles.ts';

/** The answers by a plain scan, to check the search against. */
const scanFirst = (ts: Float64Array, x: number) => {
  const i = ts.findIndex((t) => t >= x);
  return i < 0 ? ts.length : i;
};
const scanLast = (ts: Float64Array, x: number) => ts.findLastIndex((t) => t <= x);

test('empty times: nothing at or after (length 0), nothing at or before (−1)', () => {
  const none = new Float64Array(0);
  assert.equal(firstAtOrAfter(none, 5), 0);
  assert.equal(lastAtOrBefore(none, 5), -1);
});

test('before the first, after the last, exact hits and gaps', () => {
  const ts = Float64Array.from([10, 20, 30, 60, 70]); // a gap between 30 and 60 (missing candles)
  assert.equal(firstAtOrAfter(ts, 5), 0, 'before the first');
  assert.equal(lastAtOrBefore(ts, 5), -1, 'before the first');
  assert.equal(firstAtOrAfter(ts, 75), 5, 'after the last');
  assert.equal(lastAtOrBefore(ts, 75), 4, 'after the last');
  for (const [i, t] of ts.entries()) {
    assert.equal(firstAtOrAfter(ts, t), i, `exact hit ${t}`);
    assert.equal(lastAtOrBefore(ts, t), i, `exact hit ${t}`);
  }
  assert.equal(firstAtOrAfter(ts, 45), 3, 'in the gap: the candle after it');
  assert.equal(lastAtOrBefore(ts, 45), 2, 'in the gap: the candle before it');
  assert.equal(firstAtOrAfter(ts, 10.5), 1);
  assert.equal(lastAtOrBefore(ts, 69.9), 3);
});

test('every probe time agrees with a plain scan, for every length up to 9', () => {
  for (let n = 0; n <= 9; n++) {
    const ts = Float64Array.from({ length: n }, (_, i) => 10 * i + (i > 4 ? 100 : 0));
    for (let x = -5; x <= 10 * n + 110; x += 2.5) {
      assert.equal(firstAtOrAfter(ts, x), scanFirst(ts, x), `n ${n}, first at or after ${x}`);
      assert.equal(lastAtOrBefore(ts, x), scanLast(ts, x), `n ${n}, last at or before ${x}`);
    }
  }
});
