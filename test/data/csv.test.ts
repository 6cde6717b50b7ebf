import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  candlesToCsv,
  parseCandlesCsv,
  parseCandlesCsvDetailed,
  parseColumnsSpec,
  parseCsvNumber,
} from '../../src/data/csv.ts';
import { candlesFromRows } from '../../src/core/candles.ts';
import { UserError } from '../../src/core/errors.ts';

const H = 3_600_000;

test('generic timestamp CSV, ascending, timeframe inferred', () => {
  const csv =
    'timestamp,open,high,low,close,volume\n2024-01-01 00:00:00,1,2,0.5,1.5,10\n2024-01-01 ' +
    '01:00:00,1.5,2,1,1.8,11\n2024-01-01 02:00:00,1.8,1.9,1.7,1.7,3\n';
  const p = parseCandlesCsvDetailed(csv);
  assert.equal(p.timeframe, '1h');
  assert.equal(p.flavour, 'generic');
  assert.deepEqual(p.rows[0], { ts: Date.UTC(2024, 0, 1), open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 });
  assert.equal(p.rows[2].ts - p.rows[0].ts, 2 * H);
});

test('date column, descending rows, CRLF and a BOM are fine', () => {
  const csv =
    '\uFEFFdate,open,high,low,close,volume\r\n2024-01-03,3,3,3,3,1\r\n2024-01-02,2,2,2,2,1\r\n2024-01-01,1,1,1,1,1\r\n';
  const rows = parseCandlesCsv(csv, { timeframe: '1d' });
  assert.deepEqual(
    rows.map((r) => r.ts),
    [Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3)],
  );
  assert.deepEqual(
    rows.map((r) => r.close),
    [1, 2, 3],
  );
});

test('pyupbit export: unnamed KST first column and an extra value column', () => {
  const csv =
    ',open,high,low,close,volume,value\n2024-01-01 09:00:00,57045000.0,58847000.0,57045000.0,58839000.0,3165.3,' +
    '182491217914.3\n2024-01-02 09:00:00,58839000.0,60997000.0,58814000.0,60206000.0,8221.1,495038780463.7\n';
  const p = parseCandlesCsvDetailed(csv);
  assert.equal(p.flavour, 'pyupbit');
  assert.equal(p.tz, 'Asia/Seoul');
  assert.equal(p.timeframe, '1d');
  assert.equal(p.rows[0].ts, Date.UTC(2024, 0, 1), '09:00 KST is 00:00 UTC');
  assert.equal(p.rows[1].volume, 8221.1);
  assert.equal(parseCandlesCsv(csv, { tz: 'UTC' })[0].ts, Date.UTC(2024, 0, 1, 9), '--tz overrides the default');
});

test('RLTrader CSV: YYYYMMDD dates and extra feature columns ignored; weekends are gaps, not a mixed timeframe', () => {
  const csv =
    'date,open,high,low,close,volume,per,pbr,close_ma5_ratio\n20180105,52120,52120,51200,52120,9280050,10.37,1.46,0.' +
    '01\n20180108,52400,52520,51500,52020,8368000,10.37,1.46,-0.02\n' +
    '20180109,51460,51720,49980,50400,16090000,10.37,1.46,0.03\n';
  const p = parseCandlesCsvDetailed(csv, { timeframe: '1d' });
  assert.equal(p.flavour, 'rltrader');
  assert.deepEqual(
    p.rows.map((r) => r.ts),
    [Date.UTC(2018, 0, 5), Date.UTC(2018, 0, 8), Date.UTC(2018, 0, 9)],
  );
  assert.equal(p.rows[2].volume, 16090000);
});

test(`investing.com export: Korean headers, close first, quoted thousands, spaced dates, K volumes, newest \
first`, () => {
  const csv =
    '\uFEFF"날짜","종가","시가","고가","저가","거래량","변동 %"\n' +
    '"2023- 09- 08","35,268,000","35,616,000","35,800,000","35,000,000","0.01K","-0.98%"\n' +
    '"2023- 09- 07","35,616,000","34,965,000","35,818,000","34,845,000","0.33K","1.82%"\n' +
    '"2023- 09- 06","34,978,000","35,029,000","35,200,000","34,636,000","1.2M","-0.12%"\n';
  const p = parseCandlesCsvDetailed(csv);
  assert.equal(p.flavour, 'investing');
  assert.equal(p.timeframe, '1d');
  assert.deepEqual(p.rows[1], {
    ts: Date.UTC(2023, 8, 7),
    open: 34_965_000,
    high: 35_818_000,
    low: 34_845_000,
    close: 35_616_000,
    volume: 330,
  });
  assert.equal(p.rows[0].volume, 1_200_000);
  assert.equal(p.rows[2].volume, 10);
});

test('numbers as exports write them', () => {
  assert.equal(parseCsvNumber('"1,234.5"'), 1234.5);
  assert.equal(parseCsvNumber('0.33K'), 330);
  assert.equal(parseCsvNumber('2.5B'), 2.5e9);
  assert.equal(parseCsvNumber('1e-3'), 0.001);
  assert.ok(Number.isNaN(parseCsvNumber('12,34')));
  assert.ok(Number.isNaN(parseCsvNumber('abc')));
  assert.ok(Number.isNaN(parseCsvNumber('')));
});

test('epoch milliseconds and ISO times with offsets', () => {
  const t0 = Date.UTC(2024, 5, 1);
  const rows = parseCandlesCsv(`timestamp,open,high,low,close,volume\n${t0},1,1,1,1,1\n${t0 + H},1,1,1,1,1\n`);
  assert.equal(rows[1].ts, t0 + H);
  const iso = parseCandlesCsv(
    'timestamp,open,high,low,close,volume\n2024-06-01T09:00:00+09:00,1,1,1,1,1\n2024-06-01T01:00:00Z,1,1,1,1,1\n',
  );
  assert.deepEqual(
    iso.map((r) => r.ts),
    [t0, t0 + H],
  );
});

function rejects(csv: string, pattern: RegExp, opts: { timeframe?: string; columns?: string } = {}): void {
  assert.throws(
    () => parseCandlesCsv(csv, { file: 'bad.csv', ...opts }),
    (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes('\n'));
      return true;
    },
  );
}

const HEAD = 'timestamp,open,high,low,close,volume\n';

test('rejections name the file, the line and the reason', () => {
  rejects(
    HEAD + '2024-01-01,1,2,1,1,1\n2024-01-02,1,2,x1,1,1\n',
    /^bad\.csv:3: unparseable number "x1" in column low$/,
  );
  rejects(
    HEAD + '2024-01-01,1,2,1,1,1\n2024-01-02,1,0.5,1,1,1\n2024-01-03,1,2,1,1,1\n',
    /^bad\.csv:3: high 0\.5 is below low 1$/,
  );
  rejects(
    HEAD + '2024-01-01,1,2,1,1,1\n2024-01-02,1,2,1,1,1\n2024-01-01,1,2,1,1.5,1\n',
    /^bad\.csv:4: duplicate time 2024-01-01T00:00:00Z with other values than line 2$/,
  );
  rejects(
    HEAD +
      '2024-01-01 00:00,1,2,1,1,1\n2024-01-01 01:00,1,2,1,1,1\n2024-01-01 ' +
      '02:00,1,2,1,1,1\n2024-01-01 02:30,1,2,1,1,1\n2024-01-01 03:30,1,2,1,1,1\n',
    /^bad\.csv:5: mixed timeframe/,
  );
  rejects(
    HEAD + '2024-01-01 00:00,1,2,1,1,1\n2024-01-01 01:00,1,2,1,1,1\n2024-01-01 02:00,1,2,1,1,1\n',
    /1h apart, but the timeframe is 1d/,
    { timeframe: '1d' },
  );
  rejects(HEAD + '2024-01-01,1,2,1,1,1\nyesterday,1,2,1,1,1\n', /^bad\.csv:3: cannot read "yesterday" as a time$/);
  rejects(
    HEAD + '2024-01-01,1,2,1,1,1\n2024-01-02,1,2\n',
    /^bad\.csv:3: 3 fields, but the header \(line 1\) has 6 \(generic CSV\)$/,
  );
  rejects('when,open,high,low,close,volume\n2024-01-01,1,2,1,1,1\n', /bad\.csv:1: no time column/);
  rejects('timestamp,open,high,low,volume\n2024-01-01,1,2,1,1\n', /bad\.csv:1: no close column/);
  rejects(HEAD, /no candle rows/);
  rejects('', /empty/);
});

test('export writes CSV that imports back to the same candles', () => {
  const rows = [
    { ts: Date.UTC(2024, 0, 1), open: 1.25, high: 2, low: 1, close: 1.5, volume: 0.123456789 },
    { ts: Date.UTC(2024, 0, 1, 4), open: 1.5, high: 1.6, low: 1.4, close: 1.45, volume: 7 },
    { ts: Date.UTC(2024, 0, 1, 12), open: 1.45, high: 1.5, low: 1.3, close: 1.3, volume: 0 },
  ];
  const csv = candlesToCsv(candlesFromRows('x', 'A/B', '4h', rows));
  assert.deepEqual(parseCandlesCsv(csv, { timeframe: '4h' }), rows);
});

test('--tz reads wall-clock times in a zone, daylight saving included', () => {
  const csv = 'date,open,high,low,close,volume\n2024-03-08,1,1,1,1,1\n2024-03-11,1,1,1,1,1\n2024-03-12,1,1,1,1,1\n';
  const rows = parseCandlesCsv(csv, { tz: 'America/New_York', timeframe: '1d' });
  assert.deepEqual(
    rows.map((r) => r.ts),
    [Date.UTC(2024, 2, 8, 5), Date.UTC(2024, 2, 11, 4), Date.UTC(2024, 2, 12, 4)],
  );
  assert.throws(() => parseCandlesCsv(csv, { tz: 'Mars/Olympus' }), /--tz: unknown time zone "Mars\/Olympus"/);
});

/** One line of a Binance kline dump: open time, OHLCV, close time, quote volume, trades, taker buys, ignore. */
function kline(open: number, o: number, c: number, us = false): string {
  const [t, close] = us ? [`${open}000`, `${open + H - 1}999`] : [String(open), String(open + H - 1)];
  const [high, low] = [(Math.max(o, c) + 1).toFixed(8), (Math.min(o, c) - 1).toFixed(8)];
  const rest = ['1148000.5', '321', '6.1', '567000.2', '0'];
  return [t, o.toFixed(8), high, low, c.toFixed(8), '12.50000000', close, ...rest].join(',');
}

test('Binance kline dump without a header: ms and (since 2025) µs open times, 12 fields, extra fields ignored', () => {
  const t0 = Date.UTC(2024, 11, 31, 22);
  const lines = [kline(t0, 100, 101), kline(t0 + H, 101, 102), kline(t0 + 2 * H, 102, 99, true)];
  const csv = [...lines, kline(t0 + 3 * H, 99, 98, true)].join('\n') + '\n';
  const p = parseCandlesCsvDetailed(csv, { file: 'BTCUSDT-1h.csv' });
  assert.equal(p.flavour, 'binance');
  assert.equal(p.layout, 'Binance klines CSV without header');
  assert.equal(p.timeframe, '1h');
  assert.deepEqual(
    p.rows.map((r) => r.ts),
    [t0, t0 + H, t0 + 2 * H, t0 + 3 * H],
    'µs times read as ms',
  );
  assert.deepEqual(p.rows[2], { ts: Date.UTC(2025, 0, 1), open: 102, high: 103, low: 98, close: 99, volume: 12.5 });
});

const V1 = [
  '1996-12-26,"182,299","183,000","180,100","182,000","21,333"',
  '1996-12-27,"182,000","184,900","181,500","184,500",9850',
];
const KOSPI = [
  '2015-11-04\t"2,054"\t"2,056"\t"2,042"\t"2,053"\t"545,085"',
  '2015-11-05\t"2,049"\t"2,050"\t"2,040"\t"2,049"\t"349,079"',
  '2015-11-06\t"2,048"\t"2,055"\t"2,038"\t"2,041"\t"465,030"',
  '2015-11-09\t"2,039"\t"2,039"\t"2,023"\t"2,026"\t"435,389"',
];

test('RLTrader v1 files without a header: quoted thousands; KOSPI tab-separated with blank lines at the end', () => {
  const p = parseCandlesCsvDetailed(V1.join('\n') + '\n', { timeframe: '1d' });
  assert.equal(p.flavour, 'rltrader');
  assert.equal(p.layout, 'RLTrader v1 CSV without header');
  const prices = { open: 182_299, high: 183_000, low: 180_100, close: 182_000, volume: 21_333 };
  assert.deepEqual(p.rows[0], { ts: Date.UTC(1996, 11, 26), ...prices });
  assert.equal(p.rows[1].volume, 9850);

  const k = parseCandlesCsvDetailed(KOSPI.join('\n') + '\n\n\t\n\n');
  assert.equal(k.flavour, 'rltrader');
  assert.equal(k.layout, 'RLTrader v1 CSV without header, tab-separated');
  assert.equal(k.timeframe, '1d', 'the weekend is a gap, not another timeframe');
  assert.equal(k.rows.length, 4);
  const last = { ts: Date.UTC(2015, 10, 9), open: 2039, high: 2039, low: 2023, close: 2026, volume: 435_389 };
  assert.deepEqual(k.rows[3], last);
});

test('six headerless fields with epoch times are time,open,high,low,close,volume', () => {
  const t0 = Date.UTC(2024, 0, 1);
  const p = parseCandlesCsvDetailed(`${t0},1,2,0.5,1.5,3\n${t0 + H},1.5,2,1,1.8,4\n`);
  assert.equal(p.flavour, 'headerless');
  assert.equal(p.timeframe, '1h');
  assert.deepEqual(p.rows[1], { ts: t0 + H, open: 1.5, high: 2, low: 1, close: 1.8, volume: 4 });
});

test('--columns names the columns in file order (_ and skip ignore one); a header line under it is skipped', () => {
  const body = 'x,2024-01-01,10,1,2,0.5,1.5,7\ny,2024-01-02,11,1.5,2.5,1,2,8\n';
  const spec = 'skip,date,volume,open,high,low,close,_';
  const p = parseCandlesCsvDetailed(body, { columns: spec });
  assert.equal(p.flavour, 'columns');
  assert.equal(p.layout, `CSV read as --columns ${spec}`);
  assert.deepEqual(p.rows[1], { ts: Date.UTC(2024, 0, 2), open: 1.5, high: 2.5, low: 1, close: 2, volume: 11 });
  const withHeader = parseCandlesCsvDetailed('sym,day,vol,o,h,l,c,n\n' + body, { columns: spec });
  assert.deepEqual(withHeader.rows, p.rows);
  // a 7-field headerless file is no known layout, but reads with --columns
  const seven = '2024-01-01,1,2,0.5,1.5,3,99\n2024-01-02,1.5,2,1,1.8,4,98\n';
  assert.equal(parseCandlesCsv(seven, { columns: 'time,open,high,low,close,volume,_' }).length, 2);
});

test('bad --columns and unreadable headerless files: one line with the line number and the reason', () => {
  const one = (columns: string, pattern: RegExp) =>
    assert.throws(
      () => parseCandlesCsv('2024-01-01,1,2,0.5,1.5,3\n2024-01-02,1,2,0.5,1.5,3\n', { columns }),
      (e: unknown) => e instanceof UserError && pattern.test(e.message) && !e.message.includes('\n'),
    );
  one('time,open,high,low,close,vol', /^--columns: unknown column "vol" \(use time, open/);
  one('time,open,high,close,volume', /^--columns: no low in "time,open,high,close,volume"/);
  one('time,open,open,low,close,volume', /^--columns: open is named twice/);
  one('time,_,open,high,low,close,volume', /^<csv>:1: 6 fields, but --columns names 7 \(CSV read as --columns /);

  const t0 = Date.UTC(2025, 0, 1);
  const us = `${kline(t0, 2, 3, true)}\n${kline(t0 + H, 2, 3, true).replace(/,0$/, '')}\n`;
  rejects(us, /^bad\.csv:2: 11 fields, expected 12 \(Binance klines CSV without header\)$/);
  const comma = `${kline(t0, 2, 3)}\n${kline(t0 + H, 2, 3).replace('3.00000000', '3,0')}\n`;
  rejects(comma, /^bad\.csv:2: 13 fields, expected 12/);
  const v1 = `${V1[0]}\n\n${V1[1].replace('"184,900"', '"18x,900"')}\n`;
  rejects(v1, /^bad\.csv:3: unparseable number "18x,900" in column high$/);
  const rl = /^bad\.csv:2: 5 fields, expected 6 \(RLTrader v1 CSV without header\)$/;
  rejects('1996-12-26,1,2,0.5,1,3\n1996-12-27,1,2,0.5,1\n', rl);
  rejects('1996-12-26,1,2,0.5,1,3\n1996-12-32,1,2,0.5,1,3\n', /^bad\.csv:2: cannot read "1996-12-32" as a time$/);
  const seven = /^bad\.csv:1: no header, and 7 fields match no layout .*--columns time,open,high,low,close,volume,_$/;
  rejects('2024-01-01,1,2,0.5,1.5,3,7\n', seven);
  rejects('2024-01-01,1,2,0.5,1.5\n', /^bad\.csv:1: no header, and 5 fields are fewer than time,open,high,low,close/);
  rejects('yesterday,1,2,0.5,1.5,3\n', /^bad\.csv:1: no header, and "yesterday" in the first column is not a time/);
});

test(`--columns holds every row to the columns it names: a row with one more or less is refused in one line naming \
file:line, a header line under it too`, () => {
  // both were read (the longer one's prices from its first fields, whatever the extra one shifted)
  const spec = 'time,open,high,low,close,volume';
  const named = (n: number, got: number, line: number) =>
    new RegExp(String.raw`^bad\.csv:${line}: ${got} fields, but --columns names ${n} \(CSV read as --columns `);
  const rows = '2024-01-01,1,2,0.5,1.5,3\n2024-01-02,1,2,0.5,1.5,3\n';
  rejects(rows + '2024-01-03,1,2,0.5,1.5,3,99\n', named(6, 7, 3), { columns: spec });
  rejects(rows + '2024-01-03,1,2,0.5,1,5,3\n', /a number with a comma \(1,234\) must be quoted$/, { columns: spec });
  rejects(rows, named(7, 6, 1), { columns: `${spec},_` });
  rejects('day,o,h,l,c,v\n2024-01-01,1,2,0.5,1.5\n', named(6, 5, 2), { columns: spec });
  assert.equal(parseCandlesCsv('day,o,h,l,c,v\n' + rows, { columns: spec }).length, 2);
  // a header with one more or less was skipped unchecked: it says the layout does not describe the file
  const header = (got: number, n: number) =>
    new RegExp(
      String.raw`^bad\.csv:1: the header has ${got} fields, but --columns names ${n} \(CSV read as --columns `,
    );
  rejects('day,o,h,l,c\n' + rows, header(5, 6), { columns: spec });
  rejects('day,o,h,l,c,v,n\n' + rows, header(7, 6), { columns: spec });
});

test(`--columns date,time,…: the date and the time of day, read together as a Date,Time header is; naming time \
twice, or time and timestamp, is still refused`, () => {
  const body = '2024-01-02,09:00,10,11,9,10.5,1\n2024-01-02,10:00,10,11,9,10.5,1\n';
  for (const text of [body, 'D,T,O,H,L,C,V\n' + body]) {
    const p = parseCandlesCsvDetailed(text, { columns: 'date,time,open,high,low,close,volume' });
    assert.deepEqual(
      p.rows.map((r) => r.ts),
      [Date.UTC(2024, 0, 2, 9), Date.UTC(2024, 0, 2, 10)],
    );
    assert.equal(p.timeframe, '1h');
  }
  // time first, in Seoul
  const swapped = '09:00,20240102,10,11,9,10.5\n';
  const seoul = parseCandlesCsv(swapped, {
    columns: 'time,date,open,high,low,close',
    tz: 'Asia/Seoul',
    timeframe: '1h',
  });
  assert.equal(seoul[0].ts, Date.UTC(2024, 0, 2));
  rejects('2024-01-02,9h,10,11,9,10.5,1\n', /^bad\.csv:1: "9h" in the time column is not a time of day/, {
    columns: 'date,time,open,high,low,close,volume',
  });
  assert.throws(() => parseColumnsSpec('date,time,time,open,high,low,close'), /--columns: time is named twice/);
  assert.throws(() => parseColumnsSpec('timestamp,time,open,high,low,close'), /--columns: time is named twice/);
});

test('200k one-minute rows import (duplicates dropped without spreading them as arguments)', () => {
  const start = Date.UTC(2024, 0, 1);
  const lines = [HEAD.trimEnd()];
  for (let i = 0; i < 200_000; i++) lines.push(`${new Date(start + i * 60_000).toISOString()},10,11,9,10.5,1`);
  lines.push(lines[lines.length - 1]);
  const p = parseCandlesCsvDetailed(lines.join('\n'));
  assert.equal(p.rows.length, 200_000);
  assert.equal(p.duplicates, 1);
  assert.equal(p.timeframe, '1m');
  assert.equal(p.rows[199_999].ts, start + 199_999 * 60_000);
});

test('with a header, a row with more or fewer fields than it is refused; a column named twice is refused', () => {
  rejects(
    HEAD + '2024-01-01T00:00:00Z,10,11,9,10.5,1\n2024-01-02T00:00:00Z,10,11,9,10.5,1,234\n',
    new RegExp(
      String.raw`^bad\.csv:3: 7 fields, but the header \(line 1\) has 6 \(generic CSV\); ` +
        String.raw`a number with a comma \(1,234\) must be quoted$`,
    ),
  );
  // a trailing comma is an empty seventh field: no export this reader knows writes one after its last column
  rejects(HEAD + '2024-01-01,10,11,9,10.5,1,\n2024-01-02,10,11,9,10.5,1\n', /^bad\.csv:2: 7 fields, but the header/);
  const extra = 'date,open,high,low,close,volume,value\n';
  rejects(extra + '2024-01-01,10,11,9,10.5,1,5\n2024-01-02,10,11,9,10.5,1\n', /^bad\.csv:3: 6 fields, but the header/);
  rejects(
    'timestamp,open,high,low,close,close,volume\n2024-01-01,10,11,9,10.5,10.5,1\n',
    /^bad\.csv:1: the header names column "close" twice$/,
  );
  rejects(
    'date,open,high,low,close,Date\n2024-01-01,10,11,9,10.5,2024-01-01\n',
    /^bad\.csv:1: the header names column "date" twice$/,
  );
  // a header with a trailing comma and rows with one each: the counts agree
  const trailing = 'timestamp,open,high,low,close,volume,\n2024-01-01,10,11,9,10.5,1,\n2024-01-02,10,11,9,10.5,2,\n';
  assert.equal(parseCandlesCsv(trailing)[1].volume, 2);
  // quoted thousands separators are one field
  const quoted = HEAD + '2024-01-01,10,11,9,10.5,"1,234"\n2024-01-02,10,11,9,10.5,1\n';
  assert.equal(parseCandlesCsv(quoted)[0].volume, 1234);
});

test('a day the month does not have is refused with an explicit offset too, not rolled over to the next month', () => {
  rejects(HEAD + '2024-02-30T00:00:00Z,10,11,9,10.5,1\n', /^bad\.csv:2: cannot read "2024-02-30T00:00:00Z" as a time$/);
  rejects(HEAD + '2023-02-29T00:00:00+09:00,10,11,9,10.5,1\n', /^bad\.csv:2: cannot read "2023-02-29T00:00:00\+09:00"/);
  rejects(HEAD + '2024-04-31 00:00:00,10,11,9,10.5,1\n', /^bad\.csv:2: cannot read "2024-04-31 00:00:00"/);
  const leap = parseCandlesCsv(HEAD + '2024-02-29T00:00:00Z,10,11,9,10.5,1\n', { timeframe: '1d' });
  assert.equal(leap[0].ts, Date.UTC(2024, 1, 29));
});

test('Date and Time columns are read together, in the time zone a single time column is read in', () => {
  const daily =
    'Date,Time,Open,High,Low,Close,Volume\n2024-01-02,09:00,10,11,9,10.5,1\n2024-01-03,09:00,10,11,9,10.5,1\n';
  const p = parseCandlesCsvDetailed(daily);
  assert.deepEqual(
    p.rows.map((r) => r.ts),
    [Date.UTC(2024, 0, 2, 9), Date.UTC(2024, 0, 3, 9)],
  );
  assert.equal(p.timeframe, '1d');
  assert.equal(p.layout, 'generic CSV, date and time columns');
  const seoul = parseCandlesCsvDetailed(daily, { tz: 'Asia/Seoul' });
  assert.equal(seoul.rows[0].ts, Date.UTC(2024, 0, 2), '09:00 KST is 00:00 UTC');
  assert.equal(seoul.times, 'times in Asia/Seoul');
  // intraday, time column first, YYYYMMDD dates and seconds (MetaTrader-like)
  const intraday = 'time,date,open,high,low,close\n09:00:00,20240102,10,11,9,10.5\n09:15:00,20240102,10,11,9,10.5\n';
  const rows = parseCandlesCsv(intraday);
  assert.deepEqual(
    rows.map((r) => r.ts),
    [Date.UTC(2024, 0, 2, 9), Date.UTC(2024, 0, 2, 9, 15)],
  );
  assert.equal(parseCandlesCsvDetailed(intraday).timeframe, '15m');
  const offset = 'date,time,open,high,low,close\n2024-01-02,09:00+09:00,10,11,9,10.5\n';
  assert.equal(parseCandlesCsv(offset, { timeframe: '1h' })[0].ts, Date.UTC(2024, 0, 2));
  rejects(
    'date,time,open,high,low,close\n2024-01-02,9h,10,11,9,10.5\n',
    /^bad\.csv:2: "9h" in the time column is not a time of day/,
  );
  rejects(
    'date,time,open,high,low,close\n2024-02-30,09:00,10,11,9,10.5\n',
    /^bad\.csv:2: cannot read "2024-02-30 09:00"/,
  );
});

test(`times without colons (Kiwoom, KRX exports) are read: a Time column's HHMM or HHMMSS (its hour's zero dropped \
too), a date cell's 0930, YYYYMMDDHHMMSS; an impossible one is refused naming file:line and the part out of \
range`, () => {
  // each was refused: "0900" in the time column is not a time of day, cannot read "20240102 0930" as a time
  const krx = 'date,time,open,high,low,close,volume\n20240102,0900,10,11,9,10.5,1\n20240102,0930,10,11,9,10.5,1\n';
  const p = parseCandlesCsvDetailed(krx);
  assert.deepEqual(
    p.rows.map((r) => r.ts),
    [Date.UTC(2024, 0, 2, 9), Date.UTC(2024, 0, 2, 9, 30)],
  );
  assert.equal(p.timeframe, '30m');
  const seoul = parseCandlesCsv(krx, { tz: 'Asia/Seoul' });
  assert.equal(seoul[0].ts, Date.UTC(2024, 0, 2), '0900 KST is 00:00 UTC');
  const seconds = 'Date,Time,Open,High,Low,Close\n2024-01-02,93000,10,11,9,10.5\n2024-01-02,100000,10,11,9,10.5\n';
  assert.deepEqual(
    parseCandlesCsv(seconds).map((r) => r.ts),
    [Date.UTC(2024, 0, 2, 9, 30), Date.UTC(2024, 0, 2, 10)],
  );
  const t = [Date.UTC(2024, 0, 2, 9), Date.UTC(2024, 0, 2, 9, 1)];
  for (const [a, b] of [
    ['20240102 0900', '20240102 0901'],
    ['2024-01-02 090000', '2024-01-02 090100'],
    ['20240102090000', '20240102090100'],
  ]) {
    const one = parseCandlesCsvDetailed(`${HEAD}${a},10,11,9,10.5,1\n${b},10,11,9,10.5,1\n`);
    assert.deepEqual(
      one.rows.map((r) => r.ts),
      t,
      a,
    );
    assert.equal(one.timeframe, '1m');
  }
  const dated = (time: string) => `date,time,open,high,low,close\n2024-01-02,${time},10,11,9,10.5\n`;
  rejects(dated('2460'), /^bad\.csv:2: "2460" in the time column is not a time of day: hour 24 is past 23$/);
  rejects(dated('0975'), /^bad\.csv:2: "0975" in the time column is not a time of day: minute 75 is past 59$/);
  rejects(dated('093075'), /^bad\.csv:2: "093075" in the time column is not a time of day: second 75 is past 59$/);
  rejects(
    dated('09'),
    /^bad\.csv:2: "09" in the time column is not a time of day \(09:00, 09:00:00, 0900 or 090000\)$/,
  );
  rejects(
    `${HEAD}20240102 0900,10,11,9,10.5,1\n20240102 2460,10,11,9,10.5,1\n`,
    /^bad\.csv:3: cannot read "20240102 2460" as a time: hour 24 is past 23$/,
  );
});

test('a local-time file across a daylight saving fall-back: the two 02:00 rows in order read as two hours', () => {
  const hours = ['00:00', '01:00', '02:00', '02:00', '03:00'];
  const rows = hours.map((h, i) => `2024-10-27 ${h},${100 + i},${101 + i},${99 + i},${100 + i},1`);
  const head = 'timestamp,open,high,low,close,volume\n';
  const up = parseCandlesCsvDetailed(head + rows.join('\n'), { file: 'fall.csv', tz: 'Europe/Berlin' });
  const iso = (ts: number) => new Date(ts).toISOString().slice(11, 16);
  assert.deepEqual(
    up.rows.map((r) => `${iso(r.ts)} ${r.open}`),
    ['22:00 100', '23:00 101', '00:00 102', '01:00 103', '02:00 104'],
  );
  assert.equal(up.timeframe, '1h');
  // newest first: the first 02:00 line is the later hour
  const down = parseCandlesCsvDetailed(head + [...rows].reverse().join('\n'), {
    file: 'fall.csv',
    tz: 'Europe/Berlin',
  });
  assert.deepEqual(
    down.rows.map((r) => r.open),
    [100, 101, 102, 103, 104],
  );
  // three rows at 02:00 cannot be read in order: the error says why the time repeats
  const three = [...rows.slice(0, 4), '2024-10-27 02:00,200,201,199,200,1', rows[4]];
  assert.throws(
    () => parseCandlesCsvDetailed(head + three.join('\n'), { file: 'fall.csv', tz: 'Europe/Berlin' }),
    (e: Error) =>
      e.message ===
      'fall.csv:5: 02:00 occurs twice on 2024-10-27 in Europe/Berlin (daylight saving ends): give times with an ' +
        'offset or in UTC (line 4 has it too)',
  );
});
