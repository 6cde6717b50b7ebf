/**
 * The timeframe of a candle CSV from its steps (src/data/csv-steps.ts): markets with sessions (an index future's
 * lunch break, US stock hours, daily data with holidays) read as one timeframe with gaps; files that mix timeframes
 * are refused with one line naming the first offending rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candlesToCsv, parseCandlesCsv, parseCandlesCsvDetailed } from '../../src/data/csv.ts';
import { COARSER_RUN } from '../../src/data/csv-steps.ts';
import { UserError } from '../../src/core/errors.ts';
import { CHINA_FUTURE_OPENS, sessionCandles } from './helpers.ts';

const H = 3_600_000;
const M = 60_000;
const HEAD = 'timestamp,open,high,low,close,volume\n';

/** A CSV with one flat candle at each time (ISO strings or ms). */
function csvOf(times: readonly (string | number)[]): string {
  const iso = (t: string | number) => (typeof t === 'number' ? new Date(t).toISOString() : t);
  return HEAD + times.map((t) => `${iso(t)},1,2,1,1.5,1`).join('\n') + '\n';
}

/** Times from `start`, `count` of them `step` apart. */
function regular(start: number, count: number, step: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i * step);
}

function refused(csv: string, pattern: RegExp, timeframe?: string): string {
  let message = '';
  assert.throws(
    () => parseCandlesCsv(csv, { file: 'mixed.csv', ...(timeframe ? { timeframe } : {}) }),
    (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.ok(!e.message.includes('\n'), e.message);
      assert.match(e.message, pattern);
      message = e.message;
      return true;
    },
  );
  return message;
}

test("an index future's hourly candles (09:30–11:30, 13:00–15:00): 1h with lunch, night and weekend gaps", () => {
  const c = sessionCandles({ seed: 1, count: 200, opens: CHINA_FUTURE_OPENS });
  const p = parseCandlesCsvDetailed(candlesToCsv(c));
  assert.equal(p.timeframe, '1h');
  assert.deepEqual(
    p.rows.map((r) => r.ts),
    [...c.ts],
  );
  assert.equal(c.ts[2] - c.ts[1], 150 * M, '10:30 → 13:00 is 150 minutes, no multiple of 1h');

  // the same file in Shanghai wall-clock time reads to the same instants
  const local = [...c.ts].map((t) => new Date(t + 8 * H).toISOString().slice(0, 16).replace('T', ' '));
  const wall = parseCandlesCsvDetailed(csvOf(local), { tz: 'Asia/Shanghai' });
  assert.equal(wall.timeframe, '1h');
  assert.deepEqual(
    wall.rows.map((r) => r.ts),
    [...c.ts],
  );
});

test(`US stock hourly bars 09:30 … 15:30 New York time across a daylight saving change, and daily bars with \
holidays`, () => {
  const hours = ['09:30', '10:30', '11:30', '12:30', '13:30', '14:30', '15:30'];
  const days = ['2024-03-07', '2024-03-08', '2024-03-11', '2024-03-12', '2024-03-13'];
  const stocks = parseCandlesCsvDetailed(csvOf(days.flatMap((d) => hours.map((h) => `${d} ${h}`))), {
    tz: 'America/New_York',
  });
  assert.equal(stocks.timeframe, '1h');
  assert.equal(stocks.rows.length, 35);
  assert.equal(stocks.rows[7].ts - stocks.rows[6].ts, 18 * H);
  assert.equal(stocks.rows[14].ts - stocks.rows[13].ts, 65 * H, 'the weekend of the change is an hour shorter');

  // New Year, Martin Luther King day and the weekends: gaps of 2, 3 and 4 days
  const daily = ['2023-12-28', '2023-12-29', '2024-01-02', '2024-01-03', '2024-01-12', '2024-01-16', '2024-01-17'];
  const d = parseCandlesCsvDetailed(csvOf(daily), { tz: 'America/New_York' });
  assert.equal(d.timeframe, '1d');
  assert.equal(d.rows.length, daily.length);
});

test('a run of 1h candles and a run of 15m candles are refused, whichever run is longer', () => {
  const t0 = Date.UTC(2024, 0, 1);
  // mostly 1h: the 15m steps are shorter than a candle; the error names the first one and counts them
  const hourly = regular(t0, 60, H);
  const quarter = regular(hourly[59] + 15 * M, 30, 15 * M);
  const shorter = refused(csvOf([...hourly, ...quarter]), /^mixed\.csv:62: mixed timeframe: /);
  assert.match(shorter, /2024-01-03T11:15:00Z is 15m after 2024-01-03T11:00:00Z \(line 61\), shorter than the 1h/);
  assert.match(shorter, /\(30 such steps; the next on line 63\)$/);

  // mostly 15m: the hourly run is a stretch of other candles, not session gaps
  const fewHours = regular(t0, 30, H);
  const manyQuarters = regular(fewHours[29] + 15 * M, 80, 15 * M);
  const run = refused(csvOf([...fewHours, ...manyQuarters]), /^mixed\.csv:2: mixed timeframe: lines 2–31 are 1h apart/);
  assert.match(run, /29 times in a row in a file of 15m candles \(if these are 15m candles with gaps, pass/);
  // --timeframe says they are: then it is 15m candles with gaps
  assert.equal(parseCandlesCsvDetailed(csvOf([...fewHours, ...manyQuarters]), { timeframe: '15m' }).rows.length, 110);
  // a run shorter than COARSER_RUN steps is gaps
  const hours = regular(t0, COARSER_RUN, H);
  const short = [...hours, ...regular(hours[COARSER_RUN - 1] + 15 * M, 80, 15 * M)];
  assert.equal(parseCandlesCsvDetailed(csvOf(short)).timeframe, '15m');
});

test('a session file with a step shorter than a candle is refused; descending rows name the file lines', () => {
  const c = sessionCandles({ seed: 2, count: 40, opens: CHINA_FUTURE_OPENS });
  const times = [...c.ts];
  times.splice(10, 0, times[9] + 30 * M); // a stray half-hour candle after the 10th
  refused(
    csvOf(times),
    /^mixed\.csv:12: mixed timeframe: .* is 30m after .* \(line 11\), shorter than the 1h timeframe$/,
  );
  refused(
    csvOf([...times].reverse()),
    /^mixed\.csv:32: mixed timeframe: .* \(line 33\), shorter than the 1h timeframe/,
  );
});

test('sessions of one candle each cannot tell the timeframe: refused without --timeframe, read with it', () => {
  // 2h candles of the index future: 09:30 and 13:00 in Shanghai, so steps of 3h30m and 20h30m (68h30m over weekends)
  const c = sessionCandles({ seed: 3, count: 60, opens: ['01:30', '05:00'] });
  const csv = candlesToCsv(c);
  refused(
    csv,
    /^mixed\.csv:\d+: cannot tell the timeframe: rows are mostly 3h30m apart, which divides no day.*--timeframe$/,
  );
  const p = parseCandlesCsvDetailed(csv, { timeframe: '2h' });
  assert.equal(p.timeframe, '2h');
  assert.equal(p.rows.length, 60);
  // a regular series of an unusual step still reads as before
  assert.equal(parseCandlesCsvDetailed(csvOf(regular(Date.UTC(2024, 0, 1), 10, 210 * M))).timeframe, '210m');
});

test("weekly candles stamped on each week's first trading day: a Monday holiday's Tuesday is the same 1w", () => {
  const D = 24 * H;
  const mondays = regular(Date.UTC(2024, 0, 1), 30, 7 * D);
  // Martin Luther King Day (Mon 2024-01-15) and Presidents' Day (Mon 2024-02-19): those weeks open on Tuesday
  const stamped = mondays.map((t) => (t === Date.UTC(2024, 0, 15) || t === Date.UTC(2024, 1, 19) ? t + D : t));
  const p = parseCandlesCsvDetailed(csvOf(stamped));
  assert.equal(p.timeframe, '1w');
  assert.equal(p.rows.length, 30);
  // a daily stretch inside a weekly file is still another timeframe
  refused(
    csvOf([...mondays.slice(0, 10), mondays[10] - 2 * D, ...mondays.slice(10)]),
    /mixed timeframe: .* shorter than the 1w timeframe/,
  );
});
