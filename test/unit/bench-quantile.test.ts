/** The bench's latency tail: a p99 only from 100 samples up; with fewer the figure is the maximum and says so. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantile, tail } from '../../src/bench/quantile.ts';

const ms = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

test('bench tail: 59 samples give the max, labelled max; 100 and 300 give a p99 below the max', () => {
  assert.deepEqual(tail(ms(59)), { label: 'max', value: 59 });
  assert.deepEqual(tail(ms(99)), { label: 'max', value: 99 });
  assert.deepEqual(tail(ms(100)), { label: 'p99', value: 99 });
  assert.deepEqual(tail(ms(300)), { label: 'p99', value: 297 });
  assert.equal(quantile(ms(59), 0.5), 30);
  assert.equal(quantile(ms(300), 0.5), 150);
  assert.equal(quantile([7], 0.5), 7);
});
