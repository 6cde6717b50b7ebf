// Which gaps of a series are holes (candles missing in its market's usual hours) rather than the market's closed hours
// (src/data/holes.ts, for `bot chart`'s notice; audit of chart images, session 39).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seriesHoles } from '../../src/data/holes.ts';

const H = 3_600_000;
const DAY = 24 * H;

/** Open times of weekdays from Monday `start` for `weeks` weeks at `hours` (UTC hours, fractions for :30). */
function weekdays(start: number, weeks: number, hours: (day: number) => readonly number[]): number[] {
  const out: number[] = [];
  for (let d = 0; d < weeks * 7; d++) {
    const day = start + d * DAY;
    const weekday = new Date(day).getUTCDay();
    if (weekday !== 0 && weekday !== 6) for (const h of hours(day)) out.push(day + h * H);
  }
  return out;
}

function holes(ts: number[], timeframe: string) {
  return seriesHoles(new Float64Array(ts), timeframe)(0, ts.length - 1);
}

test('daily candles Monday to Friday: weekends are closed, a missing Wednesday is a hole', () => {
  const wed = Date.UTC(2024, 0, 17);
  // local midnights read in UTC: an hour earlier from the fifth week on, as across a daylight saving change
  const shift = Date.UTC(2024, 0, 29);
  const ts = weekdays(Date.UTC(2024, 0, 1), 8, (day) => [day < shift ? 0 : -1]).filter((t) => t !== wed);
  assert.deepEqual(holes(ts, '1d'), [{ from: wed, to: wed + DAY, missing: 1 }]);
});

test("US stock hours in UTC across a daylight saving change: nights, weekends closed; a session's hour a hole", () => {
  // 09:30 … 15:30 New York: 14:30 … 20:30 UTC until 10 March 2024, 13:30 … 19:30 after
  const dst = Date.UTC(2024, 2, 10);
  const missing = Date.UTC(2024, 2, 20, 16, 30);
  const hours = (day: number) => Array.from({ length: 7 }, (_, k) => (day < dst ? 14.5 : 13.5) + k);
  const ts = weekdays(Date.UTC(2024, 1, 12), 8, hours).filter((t) => t !== missing);
  assert.deepEqual(holes(ts, '1h'), [{ from: missing, to: missing + H, missing: 1 }]);
});

test('a lunch break is closed, a session candle missing after it is a hole (as `bot data gaps` counts it)', () => {
  const dropped = Date.UTC(2024, 0, 10, 5);
  const ts = weekdays(Date.UTC(2024, 0, 1), 3, () => [1.5, 2.5, 5, 6]).filter((t) => t !== dropped);
  // 02:30 → 06:00: the slots 03:30, 04:30 and 05:30 between them, as the store counts a gap
  assert.deepEqual(holes(ts, '1h'), [{ from: Date.UTC(2024, 0, 10, 3, 30), to: dropped + H, missing: 3 }]);
});

test('with no other week to go by, or candles of a week, every gap is a hole', () => {
  const hourly = Array.from({ length: 48 }, (_, k) => Date.UTC(2024, 0, 1) + k * H).filter((_, k) => k !== 20);
  assert.equal(holes(hourly, '1h').length, 1);
  const mondays = Array.from({ length: 20 }, (_, k) => Date.UTC(2024, 0, 1) + k * 7 * DAY).filter((_, k) => k !== 9);
  assert.equal(holes(mondays, '1w').length, 1);
});
