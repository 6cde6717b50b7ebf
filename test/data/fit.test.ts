// New candles against the stored series they join (src/data/fit.ts, grid.ts): a candle inside a stored candle's span
// (daily candles an hour before stored ones, weekly ones a day before) and a price 100× from the stored neighbour are
// found; daylight saving shifts of US session candles (14:30 → 13:30 UTC on another day) are not. Real SQLite file.
import '../helpers/state-dir.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { firstOverlap } from '../../src/data/grid.ts';
import { misfitOf, priceJump } from '../../src/data/fit.ts';
import { CandleStore } from '../../src/data/store.ts';
import { tempDir } from './helpers.ts';

const H = 3_600_000;
const DAY = 24 * H;
const D = Date.UTC(2024, 0, 3);
const candle = (ts: number, close = 100) => ({ ts, open: close, high: close, low: close, close, volume: 1 });

test('firstOverlap: a 1d candle at 23:00 beside a stored one at 00:00 the next day overlaps it', () => {
  const stored = [D - DAY, D, D + DAY];
  assert.deepEqual(firstOverlap([D - H], stored, '1d'), { ts: D - H, stored: D });
  assert.deepEqual(firstOverlap([D + H], stored, '1d'), { ts: D + H, stored: D });
  assert.equal(firstOverlap(stored, stored, '1d'), undefined, 'on the stored open times: replacing, not overlapping');
  assert.equal(firstOverlap([D + 2 * DAY], stored, '1d'), undefined, 'after the last stored candle');
});

test('firstOverlap: US session candles an hour earlier after a daylight saving change, on other days, fit', () => {
  const winter = [0, 1, 2].map((i) => D + i * DAY + 14.5 * H);
  const summer = [3, 4, 5].map((i) => D + i * DAY + 13.5 * H);
  assert.equal(firstOverlap(summer, winter, '1d'), undefined, '13:30 the day after 14:30 is 23 hours on');
  assert.equal(firstOverlap(winter, summer, '1d'), undefined, 'and the other way round');
  // the same day at 13:30 beside a stored 14:30: one session twice
  assert.deepEqual(firstOverlap([D + 13.5 * H], winter, '1d'), { ts: D + 13.5 * H, stored: winter[0] });
});

test('firstOverlap: a weekly candle on a Sunday beside stored Monday ones overlaps; after a holiday it fits', () => {
  const monday = Date.UTC(2024, 0, 8);
  const stored = [monday - 7 * DAY, monday, monday + 7 * DAY];
  assert.deepEqual(firstOverlap([monday - DAY], stored, '1w'), { ts: monday - DAY, stored: monday });
  // the week after a Monday holiday opens on Tuesday: 8 days after the stored Monday, 6 before the next
  assert.equal(firstOverlap([monday + 15 * DAY], [...stored, monday + 22 * DAY], '1w'), undefined);
});

test('priceJump: the first candle 500× below the stored one before it is found, 50× is not', () => {
  const rows = [candle(D, 100), candle(D + H, 101)];
  const jump = priceJump(rows, { before: candle(D - H, 50_000) });
  assert.equal(jump?.side, 'before');
  assert.equal(jump?.ratio, 500);
  assert.equal(priceJump(rows, { before: candle(D - H, 5_000), after: candle(D + 2 * H, 5_050) }), undefined);
  assert.equal(priceJump(rows, { after: candle(D + 2 * H, 1) })?.side, 'after');
});

test('misfitOf: the store finds the overlap and the price jump against its stored neighbours', () => {
  const store = CandleStore.open(path.join(tempDir('bot-fit-'), 'bot.db'));
  try {
    const series = { exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1d' };
    store.upsert('upbit', 'BTC/KRW', '1d', [candle(D, 50_000_000), candle(D + DAY, 50_000_000)]);
    const overlap = misfitOf(store, series, [candle(D - H, 50_000_000)]);
    assert.equal(overlap?.kind, 'grid');
    assert.match(overlap?.kind === 'grid' ? overlap.why : '', /overlaps the stored 1d candle 2024-01-03T00:00:00Z, 1h/);
    const usdt = misfitOf(store, series, [candle(D + 2 * DAY, 93_000)]);
    assert.equal(usdt?.kind, 'price');
    assert.equal(misfitOf(store, series, [candle(D + 2 * DAY, 51_000_000)]), undefined);
  } finally {
    store.close();
  }
});

test(`misfitOf: candles after the stored range, overlapping none, are held to its weekday and price level too, not \
only to its time of day`, () => {
  const store = CandleStore.open(path.join(tempDir('bot-fit-after-'), 'bot.db'));
  try {
    const series = { exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1w' };
    const monday = Date.UTC(2024, 0, 1);
    const weeks = (from: number, n: number, close = 100) =>
      Array.from({ length: n }, (_, i) => candle(from + i * 7 * DAY, close));
    store.upsert('upbit', 'BTC/KRW', '1w', weeks(monday, 8));
    const later = monday + 13 * 7 * DAY; // a Monday five weeks after the last stored one
    const sundays = misfitOf(store, series, weeks(later - DAY, 4));
    assert.deepEqual(sundays, {
      kind: 'grid',
      ts: later - DAY,
      why: 'stored 1w candles open on Mondays at 00:00 UTC',
      days: true,
    });
    // a week after a holiday opens on Tuesday; local midnight an hour earlier in summer (daylight saving)
    assert.equal(misfitOf(store, series, [candle(later + DAY), ...weeks(later + 7 * DAY, 3)]), undefined);
    assert.equal(misfitOf(store, series, weeks(later - H, 4)), undefined);
    assert.equal(misfitOf(store, series, weeks(later, 4, 100_000))?.kind, 'price');
  } finally {
    store.close();
  }
});
