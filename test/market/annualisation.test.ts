/**
 * Periods per year inferred from candle times (src/market/metrics.ts annualisationPeriods): around the clock, a
 * weekday market's daily candles, its intraday sessions over a week or more, and a few sessions shorter than a week.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annualisationPeriods } from '../../src/market/metrics.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 2024-01-08 00:00 UTC. */
const MONDAY = Date.UTC(2024, 0, 8);

/** Hourly candles of a US stock (14:30 … 20:30 UTC, 7 a session) on the given days after MONDAY. */
const sessions = (days: number[]) =>
  Float64Array.from(
    days.flatMap((d) => Array.from({ length: 7 }, (_, h) => MONDAY + d * DAY + 14.5 * HOUR + h * HOUR)),
  );

test('a few weekday sessions (under a week) annualise by candles per trading day × 252, not their own density', () => {
  // Monday to Wednesday: 7 candles a day; the nights' gaps alone made 20 candles in 54 hours read as ~3,250 a year
  assert.equal(annualisationPeriods(sessions([0, 1, 2]), '1h'), 7 * 252);
  // Friday and Monday, across the weekend
  assert.equal(annualisationPeriods(sessions([4, 7]), '1h'), 7 * 252);
});

test('over a week or more, intraday sessions annualise by their observed density (weekends included)', () => {
  const ts = sessions([0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14, 15, 16, 17, 18]);
  const years = (ts[ts.length - 1] - ts[0]) / (365.25 * DAY);
  assert.equal(annualisationPeriods(ts, '1h'), (ts.length - 1) / years);
});

test('around the clock: the calendar count, however short the run', () => {
  const hours = Float64Array.from({ length: 48 }, (_, i) => MONDAY + i * HOUR);
  assert.equal(annualisationPeriods(hours, '1h'), 8760);
  const days = Float64Array.from({ length: 30 }, (_, i) => MONDAY + i * DAY);
  assert.equal(annualisationPeriods(days, '1d'), 365);
});

test('daily weekday candles: 252 once a weekend gap shows; Monday to Friday alone cannot tell (the calendar)', () => {
  const thuToTue = Float64Array.from([3, 4, 7, 8], (d) => MONDAY + d * DAY);
  assert.equal(annualisationPeriods(thuToTue, '1d'), 252);
  const monToFri = Float64Array.from([0, 1, 2, 3, 4], (d) => MONDAY + d * DAY);
  assert.equal(annualisationPeriods(monToFri, '1d'), 365);
});

test(`a short run of a thin market that trades around the clock (intervals without trades skipped, no overnight \
close) keeps its observed density`, () => {
  // three days of hourly candles from Monday 12:00 UTC, three in ten hours without a trade: the longest gap 2 hours
  const ts = Float64Array.from(
    Array.from({ length: 72 }, (_, i) => i).filter((i) => i % 10 !== 3 && i % 10 !== 6 && i % 10 !== 8),
    (i) => MONDAY + 12 * HOUR + i * HOUR,
  );
  const years = (ts[ts.length - 1] - ts[0]) / (365.25 * DAY);
  // candles per UTC date × 252 read it as a market that closes (about 3,000 a year for one trading ~5,800)
  assert.equal(annualisationPeriods(ts, '1h'), (ts.length - 1) / years);
});

test(`a few sessions that cross midnight UTC (Sydney's 10:00-16:00 is 23:00-05:00 UTC in summer) count one trading \
day each`, () => {
  const asx = Float64Array.from(
    [0, 1, 2].flatMap((d) => Array.from({ length: 7 }, (_, h) => MONDAY + d * DAY + 23 * HOUR + h * HOUR)),
  );
  // by UTC date the three sessions made four days: 21 / 4 × 252 = 1,323
  assert.equal(annualisationPeriods(asx, '1h'), 7 * 252);
});
