/** The sweep report's equity chart draws curves as long as a candle series (no stack overflow on their extremes). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { equityLinesSvg } from '../../src/sweep/charts.ts';

test('equity lines of 300k points are drawn, scaled to the lowest and highest value', () => {
  const n = 300_000;
  const mean = Array.from({ length: n }, (_, i) => 1 + i / n);
  mean[1000] = 0.5;
  const svg = equityLinesSvg({
    title: 'long',
    timestamps: Array.from({ length: n }, (_, i) => i * 60_000),
    mean,
    seeds: [],
    benchmark: new Array<number>(n).fill(1),
  });
  assert.match(svg, /^<svg/);
  assert.ok(svg.includes('>0.50</text>'), 'the lowest value is the bottom tick');
  assert.ok(svg.includes('>2.00</text>'), 'the highest value is the top tick');
});
