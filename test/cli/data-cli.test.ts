import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CandleStore } from '../../src/data/store.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { DEAD_EXCHANGE, exchangeConfigFile, tempDir, withHourlyFake } from '../data/helpers.ts';
import { runBot, type CliResult } from './run.ts';
import { assertNoSecrets } from '../trading/cli.ts';

const H = 3_600_000;
/** The warnings every command that reads a CSV prints for these tests' files (printCsvWarnings). */
const NO_VOLUME = 'no volume column: volume read as 0; features that use volume will see 0';
const WILD = '3 candles move more than 100× within or between candles (first: line 12); check the file';

test('bot data import stores a good file; a broken one is rejected with its line and stores nothing', async () => {
  const dir = tempDir('bot-cli-import-');
  const db = path.join(dir, 'bot.db');
  const good = path.join(dir, 'good.csv');
  const bad = path.join(dir, 'bad.csv');
  writeFileSync(
    good,
    '\uFEFF,open,high,low,close,volume,value\n2024-01-01 09:00:00,10,12,9,11,1.5,16\n2024-01-02 ' +
      '09:00:00,11,13,10,12,2,24\n2024-01-04 09:00:00,12,14,11,13,3,39\n',
  );
  writeFileSync(
    bad,
    'timestamp,open,high,low,close,volume\n2024-02-01,1,2,1,1,1\n2024-02-02,1,2,1,1,1\n2024-02-03,1,0.5,1,1,1\n',
  );
  const [ok, rejected] = await Promise.all([
    runBot(['data', 'import', good, '--symbol', 'BTC/KRW', '--db', db, '--log-level', 'error']),
    runBot(['data', 'import', bad, '--symbol', 'ETH/KRW', '--timeframe', '1d', '--db', db, '--log-level', 'error']),
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(
    ok.stdout,
    /imported 3 1d candles \(pyupbit CSV, times in Asia\/Seoul\) as upbit BTC\/KRW 1d: 2024-01-01 … 2024-01-04/,
  );
  assert.notEqual(rejected.code, 0);
  assert.equal(rejected.stderr, 'error: bad.csv:4: high 0.5 is below low 1\n');

  const listed = await runBot(['data', 'list', '--json', '--db', db, '--log-level', 'error']);
  assert.equal(listed.code, 0, listed.stderr);
  const series = JSON.parse(listed.stdout) as { symbol: string; count: number; gaps: number; first: number }[];
  assert.equal(series.length, 1, 'nothing from the broken file');
  assert.deepEqual(
    [series[0].symbol, series[0].count, series[0].gaps, series[0].first],
    ['BTC/KRW', 3, 1, Date.UTC(2024, 0, 1)],
  );
});

test('bot data import over stored candles says how many it replaced with different values', async () => {
  const dir = tempDir('bot-cli-overlap-');
  const db = path.join(dir, 'bot.db');
  const head = 'timestamp,open,high,low,close,volume\n';
  writeFileSync(path.join(dir, 'a.csv'), head + '2024-01-01,10,12,9,11,1\n2024-01-02,11,13,10,12,2\n');
  // 01-01 as stored, 01-02 with another close, 01-03 new
  writeFileSync(
    path.join(dir, 'b.csv'),
    head + '2024-01-01,10,12,9,11,1\n2024-01-02,11,13,10,12.5,2\n2024-01-03,12,14,11,13,3\n',
  );
  const args = (file: string) => ['data', 'import', path.join(dir, file), '--symbol', 'BTC/KRW', '--db', db];
  const first = await runBot([...args('a.csv'), '--log-level', 'error']);
  assert.equal(first.code, 0, first.stderr);
  const second = await runBot([...args('b.csv'), '--log-level', 'error']);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /2024-01-01 … 2024-01-03, 1 new, 1 replaced\n/);
  assert.match(second.stdout, /^note: 1 stored candle had other values and now hold the file's/m);
  const store = CandleStore.open(db);
  try {
    assert.deepEqual([...store.load('upbit', 'BTC/KRW', '1d').close], [11, 12.5, 13], "the file's values win");
  } finally {
    store.close();
  }
});

test('bot data gaps / export with --to not after --from: one line, and no database is created', async () => {
  const db = path.join(tempDir('bot-cli-range-'), 'bot.db');
  const range = ['--from', '2024-01-03', '--to', '2024-01-01', '--db', db, '--log-level', 'error'];
  const results = await Promise.all([runBot(['data', 'gaps', ...range]), runBot(['data', 'export', ...range])]);
  for (const r of results) {
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr, 'error: --to 2024-01-01 is not after --from 2024-01-03\n');
  }
  assert.equal(existsSync(db), false, 'checked before the store is opened');
});

test('bot data gaps / export of a range with nothing stored in it: the line names the range', async () => {
  // it used to say "no stored candles for upbit BTC/KRW 1h", which `bot data list` then contradicts
  const dir = tempDir('bot-cli-empty-range-');
  const db = path.join(dir, 'bot.db');
  const store = CandleStore.open(db);
  try {
    store.upsert('upbit', 'BTC/KRW', '1h', [
      { ts: Date.UTC(2024, 0, 1), open: 1, high: 1, low: 1, close: 1, volume: 1 },
    ]);
  } finally {
    store.close();
  }
  const range = ['--from', '2024-06-01', '--db', db, '--log-level', 'error'];
  const results = await Promise.all([runBot(['data', 'gaps', ...range]), runBot(['data', 'export', ...range])]);
  for (const r of results) {
    assert.equal(r.code, 1);
    const want = 'error: no stored candles for upbit BTC/KRW 1h in [2024-06-01T00:00:00Z, …); see `bot data list`\n';
    assert.equal(r.stderr, want);
  }
});

test('bot data import reads headerless files: Binance klines (ms, µs), RLTrader v1 (tabs), --columns', async () => {
  const dir = tempDir('bot-cli-headerless-');
  const db = path.join(dir, 'bot.db');
  const t0 = Date.UTC(2024, 11, 31, 22);
  const kline = (i: number) => {
    const t = t0 + i * H;
    const [open, close] = i < 2 ? [String(t), String(t + H - 1)] : [`${t}000`, `${t + H - 1}999`];
    return `${open},${100 + i}.5,${102 + i},${99 + i},${101 + i},1.25,${close},126.5,42,0.6,60.1,0`;
  };
  const files: Record<string, string> = {
    'BTCUSDT-1h-2025-01.csv': [0, 1, 2, 3].map(kline).join('\n') + '\n',
    'KOSPI.csv':
      '2015-11-04\t"2,054"\t"2,056"\t"2,042"\t"2,053"\t"545,085"\n' +
      '2015-11-05\t"2,049"\t"2,050"\t"2,040"\t"2,049"\t"349,079"\n\n\n',
    'prices.csv': 'KRW-BTC,2024-01-01,5,1,2,0.5,1.5\nKRW-BTC,2024-01-02,6,1.5,2.5,1,2\n',
    'broken.csv':
      '1996-12-26,"182,299","183,000","180,100","182,000","21,333"\n' + '1996-12-27,"182,000","184,900","181,500"\n',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const args = (name: string, symbol: string, ...more: string[]) => {
    return ['data', 'import', path.join(dir, name), '--symbol', symbol, '--db', db, '--log-level', 'error', ...more];
  };
  const [binance, kospi, columns, broken, noVolume] = await Promise.all([
    runBot(args('BTCUSDT-1h-2025-01.csv', 'BTC/USDT', '--exchange', 'binance')),
    runBot(args('KOSPI.csv', 'KOSPI/KRW')),
    runBot(args('prices.csv', 'ETH/KRW', '--columns', 'skip,time,volume,open,high,low,close')),
    runBot(args('broken.csv', 'SEC/KRW')),
    runBot(args('prices.csv', 'XRP/KRW', '--columns', '_,time,_,open,high,low,close')),
  ]);
  assert.equal(binance.code, 0, binance.stderr);
  assert.equal(
    binance.stdout,
    'imported 4 1h candles (Binance klines CSV without header, times in UTC) as binance BTC/USDT 1h: ' +
      '2024-12-31T22:00Z … 2025-01-01T01:00Z, 4 new, 0 replaced\n',
  );
  assert.equal(kospi.code, 0, kospi.stderr);
  const kospiLayout = 'RLTrader v1 CSV without header, tab-separated, times in UTC';
  const kospiLine = `imported 2 1d candles (${kospiLayout}) as upbit KOSPI/KRW 1d`;
  assert.equal(kospi.stdout.split(': 2015-11-04 … 2015-11-05')[0], kospiLine);
  assert.equal(columns.code, 0, columns.stderr);
  const columnsLayout = 'CSV read as --columns skip,time,volume,open,high,low,close';
  assert.ok(columns.stdout.startsWith(`imported 2 1d candles (${columnsLayout}, `), columns.stdout);
  assert.notEqual(broken.code, 0);
  assert.equal(broken.stderr, 'error: broken.csv:2: 4 fields, expected 6 (RLTrader v1 CSV without header)\n');
  assert.equal(noVolume.code, 0, noVolume.stderr);
  assert.match(noVolume.stdout, /^imported 2 1d candles .*\n$/);
  assert.equal(noVolume.stderr, `warning: prices.csv: ${NO_VOLUME}\n`);

  const store = CandleStore.open(db);
  try {
    const b = store.load('binance', 'BTC/USDT', '1h');
    assert.deepEqual(
      [...b.ts],
      [0, 1, 2, 3].map((i) => t0 + i * H),
      'µs open times stored as ms',
    );
    assert.deepEqual([b.open[3], b.high[3], b.low[3], b.close[3], b.volume[3]], [103.5, 105, 102, 104, 1.25]);
    const k = store.load('upbit', 'KOSPI/KRW', '1d');
    assert.deepEqual([k.open[0], k.close[1], k.volume[0]], [2054, 2049, 545_085]);
    const e = store.load('upbit', 'ETH/KRW', '1d');
    assert.deepEqual([e.open[1], e.high[1], e.low[1], e.close[1], e.volume[1]], [1.5, 2.5, 1, 2, 6]);
    assert.deepEqual([...store.load('upbit', 'XRP/KRW', '1d').volume], [0, 0], 'OHLC-only: volume 0');
    assert.equal(store.series().length, 4, 'nothing from the broken file');
  } finally {
    store.close();
  }
});

/** `bot data download` with `config` into `db` from `since` (ms), warnings on stderr. */
function downloadFrom(config: string, db: string, since: number): Promise<CliResult> {
  const args = ['data', 'download', '--config', config, '--db', db, '--since', new Date(since).toISOString()];
  return runBot([...args, '--log-level', 'warn']);
}

test('bot data download against the fake exchange, with the config pointing ccxt at it', async () => {
  const o = { seed: 3, count: 450, hoursBack: 1000, prefix: 'bot-cli-download-' };
  await withHourlyFake(o, async ({ dir, config, truth }) => {
    const db = path.join(dir, 'bot.db');
    const first = await downloadFrom(config, db, truth.ts[0]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /upbit BTC\/KRW 1h: 450 closed candles fetched in [5-6] requests, 450 new, 0 replaced\n/,
    );
    assert.doesNotMatch(first.stderr, /\[|█|░/, 'no progress bar when stderr is not a TTY');
    const store = CandleStore.open(db);
    try {
      const c = store.load('upbit', 'BTC/KRW', '1h');
      assert.deepEqual([...c.ts], [...truth.ts]);
      assert.deepEqual([...c.close], [...truth.close]);
    } finally {
      store.close();
    }
  });
});

test(`bot data download over stored candles with other values counts them apart from new ones, with the note an \
import gives`, async () => {
  // it said "10 new or changed" of 10 candles replaced and none new
  const o = { seed: 4, count: 30, hoursBack: 100, prefix: 'bot-cli-download-replace-' };
  await withHourlyFake(o, async ({ dir, config, truth }) => {
    const db = path.join(dir, 'bot.db');
    const csv = path.join(dir, 'other.csv');
    const rows = [...truth.ts.slice(0, 10)].map((ts, i) => {
      const [op, hi, lo, cl] = [truth.open[i], truth.high[i], truth.low[i], truth.close[i]].map((v) => v * 2);
      return `${new Date(ts).toISOString()},${op},${hi},${lo},${cl},${truth.volume[i]}`;
    });
    writeFileSync(csv, `timestamp,open,high,low,close,volume\n${rows.join('\n')}\n`);
    const imported = await runBot(['data', 'import', csv, '--symbol', 'BTC/KRW', '--db', db, '--log-level', 'error']);
    assert.equal(imported.code, 0, imported.stderr);
    const r = await downloadFrom(config, db, truth.ts[0]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /upbit BTC\/KRW 1h: 30 closed candles fetched in \d+ requests, 20 new, 10 replaced\n/);
    assert.match(r.stdout, /^note: 10 stored candles had other values and now hold the exchange's \(/m);
  });
});

test('a secret from the environment never reaches the console or the log file, even inside a ccxt error', async () => {
  const secret = 'sEcReT-9f8e7d6c5b4a-do-not-print';
  const fake = await startFakeUpbit();
  let calls = 0;
  fake.route('GET', '/v1/market/all', () => {
    calls++;
    // first a retryable 500 (logged as a warning), then a fatal 400: both echo the secret, as a careless exchange might
    return calls === 1
      ? { status: 500, json: { error: { name: 'server_error', message: `upstream rejected key ${secret}` } } }
      : { status: 400, json: { error: { name: 'invalid_query', message: `bad signature for ${secret}` } } };
  });
  try {
    const dir = tempDir('bot-cli-secret-');
    const logFile = path.join(dir, 'bot.log');
    const config = path.join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ exchange: { ccxt: fake.ccxtOptions(), backoffMs: 5 }, log: { file: logFile, level: 'debug' } }),
    );
    const r = await runBot(['data', 'download', '--config', config, '--db', path.join(dir, 'bot.db')], {
      UPBIT_API_KEY: 'access-key-1234567890',
      UPBIT_API_SECRET: secret,
    });
    assert.notEqual(r.code, 0);
    assert.equal(calls, 2);
    const logText = readFileSync(logFile, 'utf8');
    assertNoSecrets({ stderr: r.stderr, stdout: r.stdout, 'log file': logText }, [secret, 'access-key-1234567890']);
    assert.match(r.stderr, /error: upbit: loading markets failed: ExchangeError: .*bad signature for \*\*\*/);
    assert.match(r.stderr, /upstream rejected key \*\*\*/, 'the retry warning is on the console, masked');
    assert.match(logText, /upstream rejected key \*\*\*/, 'and in the log file, masked');
  } finally {
    await fake.close();
  }
});

test('bot data download from an unreachable exchange: one line that names the offline ways in', async () => {
  const dir = tempDir('bot-cli-offline-');
  const config = exchangeConfigFile(dir, DEAD_EXCHANGE, { file: '', level: 'error' });
  const r = await runBot(['data', 'download', '--config', config, '--db', path.join(dir, 'bot.db')]);
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(
    r.stderr,
    /^error: .*cannot be reached \(no network\?\); work offline with --data FILE .*--sample .*bot data import FILE/,
  );
});

test('bot data import refuses impossible candles and rows not yet opened with their line; stores nothing', async () => {
  const dir = tempDir('bot-cli-impossible-');
  const db = path.join(dir, 'bot.db');
  const head = 'timestamp,open,high,low,close,volume\n2023-12-31,1,2,0.5,1,10\n';
  const cases: [string, string][] = [
    ['2024-01-01,1,2,0.5,5,10', 'close 5 is above high 2'],
    ['2024-01-01,0.4,2,0.5,1,10', 'open 0.4 is below low 0.5'],
    ['2024-01-01,0,0,0,0,0', 'open is 0 (a price must be above 0)'],
    // prices no number type keeps sane: a backtest on 1e300 used to print an annual return of 17715290135591.53%
    ['2024-01-01,1,1e300,0.5,1,10', 'high 1e+300 is above 1e15, the largest price'],
    ['2024-01-01,1,2,1e-300,1e-300,10', 'low 1e-300 is below 1e-12, the smallest price'],
    [
      '3024-01-01,1,2,0.5,1,10',
      '3024-01-01T00:00:00Z is in the future (now 2024-06-01T00:00:00Z): only closed candles are stored',
    ],
  ];
  const results = await Promise.all(
    cases.map(([row], i) => {
      const file = path.join(dir, `bad${i}.csv`);
      writeFileSync(file, `${head}${row}\n`);
      const args = ['data', 'import', file, '--symbol', 'BTC/KRW', '--timeframe', '1d', '--db', db];
      // the wall clock for the prices (the code before --now read them so too), a fixed one for the future row
      const now = i === cases.length - 1 ? ['--now', '2024-06-01'] : [];
      return runBot([...args, ...now, '--log-level', 'error']);
    }),
  );
  results.forEach((r, i) => {
    assert.notEqual(r.code, 0, `case ${i}: ${r.stdout}`);
    assert.equal(r.stderr, `error: bad${i}.csv:3: ${cases[i][1]}\n`);
  });
  assert.equal(existsSync(db), false, 'nothing stored');
});

test('bot data import leaves out a last candle still open at --now, with a note', async () => {
  const dir = tempDir('bot-cli-open-');
  const db = path.join(dir, 'bot.db');
  const file = path.join(dir, 'a.csv');
  const rows = ['2024-01-01,1,2,0.5,1,10', '2024-01-02,1,2,0.5,1,10', '2024-01-03,1,2,0.5,1.5,10'];
  writeFileSync(file, `timestamp,open,high,low,close,volume\n${rows.join('\n')}\n`);
  const args = ['data', 'import', file, '--symbol', 'BTC/KRW', '--db', db, '--log-level', 'error'];
  const r = await runBot([...args, '--now', '2024-01-03T12:00Z']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^imported 2 1d candles .*: 2024-01-01 … 2024-01-02, 2 new, 0 replaced$/m);
  assert.match(r.stdout, /^note: left out the last row, 2024-01-03: its candle had not closed yet/m);
  const closed = await runBot([...args, '--now', '2024-01-04']);
  assert.equal(closed.code, 0, closed.stderr);
  assert.match(closed.stdout, /: 2024-01-01 … 2024-01-03, 1 new, 0 replaced\n$/);
});

test('bot data import --timeframe 1h of a daily file is refused as the reverse is', async () => {
  const dir = tempDir('bot-cli-coarser-');
  const db = path.join(dir, 'bot.db');
  const day = (d: number) => `2024-01-${String(d).padStart(2, '0')},1,2,0.5,1,10`;
  const daily = path.join(dir, 'daily.csv');
  writeFileSync(
    daily,
    `timestamp,open,high,low,close,volume\n${[1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15].map(day).join('\n')}\n`,
  );
  const hourly = path.join(dir, 'hourly.csv');
  const hour = (h: number) => `2024-01-01T${String(h).padStart(2, '0')}:00Z,1,2,0.5,1,10`;
  writeFileSync(hourly, `timestamp,open,high,low,close,volume\n${[0, 1, 2, 3].map(hour).join('\n')}\n`);
  const imp = (file: string, tf: string) =>
    runBot(['data', 'import', file, '--symbol', 'Q/KRW', '--timeframe', tf, '--db', db, '--log-level', 'error']);
  const [asHourly, asDaily] = await Promise.all([imp(daily, '1h'), imp(hourly, '1d')]);
  assert.equal(asHourly.stderr, 'error: daily.csv: rows are mostly 1d apart, but the timeframe is 1h\n');
  assert.equal(asDaily.stderr, 'error: hourly.csv: rows are mostly 1h apart, but the timeframe is 1d\n');
  assert.ok(asHourly.code !== 0 && asDaily.code !== 0);
  assert.equal(existsSync(db), false, 'nothing stored');
});

/** `bot data import DIR/NAME --symbol SYMBOL` into the database `db`. */
function importer(dir: string, db: string): (name: string, symbol: string, ...more: string[]) => Promise<CliResult> {
  return (name, symbol, ...more) =>
    runBot(['data', 'import', path.join(dir, name), '--symbol', symbol, '--db', db, '--log-level', 'error', ...more]);
}

/** One column of a stored upbit 1d series, and how many series the store holds. */
function storedColumn(db: string, symbol: string, field: 'close' | 'volume'): { values: number[]; series: number } {
  const store = CandleStore.open(db);
  try {
    return { values: [...store.load('upbit', symbol, '1d')[field]], series: store.series().length };
  } finally {
    store.close();
  }
}

/** `n` hourly candles around 68 million from 2024-01-01 (a BTC/KRW file), each row changed by `edit` if it says so. */
function hourlyRows(n: number, edit: (i: number) => string | undefined = () => undefined): string[] {
  return Array.from({ length: n }, (_, i) => {
    const t = new Date(Date.UTC(2024, 0, 1) + i * H).toISOString().replace('.000', '');
    return `${t},${edit(i) ?? '68000000,69000000,67000000,68000000,1.5'}`;
  });
}

/** 30 hourly candles, 3 of them moving over 100× (the warning WILD): a wick at line 12, a jump and back at 22, 23. */
function wildRows(): string[] {
  return hourlyRows(30, (i) =>
    i === 10
      ? '68000000,68000000000,67000000,68000000,1' // a wick 1000× the body (line 12)
      : i === 20
        ? '68000000,68000000,68000,68000,1' // the close falls 1000× (line 22) …
        : i === 21
          ? '68000,68000000,68000,68000000,1' // … and comes back (line 23)
          : undefined,
  );
}

test('bot data import warns once about candles moving over 100× (wicks, jumps) and still stores them', async () => {
  const dir = tempDir('bot-cli-wild-');
  const db = path.join(dir, 'bot.db');
  const head = 'timestamp,open,high,low,close,volume\n';
  const wild = wildRows();
  const mild = hourlyRows(30, (i) => (i === 10 ? '68000000,3400000000,67000000,68000000,1' : undefined)); // 50×
  writeFileSync(path.join(dir, 'wild.csv'), head + wild.join('\n') + '\n');
  writeFileSync(path.join(dir, 'mild.csv'), head + mild.join('\n') + '\n');
  const imp = importer(dir, db);
  const [w, m] = await Promise.all([imp('wild.csv', 'BTC/KRW'), imp('mild.csv', 'ETH/KRW')]);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stdout, /^imported 30 1h candles .* 30 new, 0 replaced\n$/);
  assert.equal(w.stderr, `warning: wild.csv: ${WILD}\n`);
  assert.equal(m.code, 0, m.stderr);
  assert.equal(m.stderr, '', 'a 50× wick is a market, not a broken row');
});

test('bot data import reads semicolon-separated files and refuses a decimal comma with its line', async () => {
  const dir = tempDir('bot-cli-semi-');
  const db = path.join(dir, 'bot.db');
  const head = 'timestamp;open;high;low;close;volume\n';
  writeFileSync(path.join(dir, 'semi.csv'), head + '2024-01-01;1.5;2;1;1.8;10\n2024-01-02;1.8;2.5;1.5;2;12\n');
  writeFileSync(path.join(dir, 'comma.csv'), head + '2024-01-01;1.5;2;1;1.8;10\n2024-01-02;1,8;2,5;1,5;2;12\n');
  // a comma that reads as a thousands separator elsewhere is refused too: 1,500 may be one and a half here
  writeFileSync(path.join(dir, 'thousands.csv'), head + '2024-01-01;1.5;2;1;1.8;1,500\n');
  const imp = importer(dir, db);
  const [semi, comma, thousands] = await Promise.all([
    imp('semi.csv', 'BTC/KRW'),
    imp('comma.csv', 'ETH/KRW'),
    imp('thousands.csv', 'XRP/KRW'),
  ]);
  assert.equal(semi.code, 0, semi.stderr);
  assert.match(semi.stdout, /^imported 2 1d candles \(generic CSV, semicolon-separated, times in UTC\)/);
  const decimal = "which in a semicolon-separated file may be a decimal comma: write numbers with a '.' decimal point";
  assert.equal(comma.stderr, `error: comma.csv:3: "1,8" in column open has a comma, ${decimal}\n`);
  assert.equal(thousands.stderr, `error: thousands.csv:2: "1,500" in column volume has a comma, ${decimal}\n`);
  assert.deepEqual(storedColumn(db, 'BTC/KRW', 'close'), { values: [1.8, 2], series: 1 }, 'none of the refused');
});

test('bot data import: no volume column stores 0 with a warning; an empty volume cell is refused', async () => {
  const dir = tempDir('bot-cli-novol-');
  const db = path.join(dir, 'bot.db');
  writeFileSync(
    path.join(dir, 'fx.csv'),
    'date,open,high,low,close\n2024-01-01,1.1,1.2,1,1.15\n2024-01-02,1.15,1.2,1.1,1.1\n',
  );
  writeFileSync(
    path.join(dir, 'holes.csv'),
    'date,open,high,low,close,volume\n2024-01-01,1.1,1.2,1,1.15,3\n2024-01-02,1.15,1.2,1.1,1.1,\n',
  );
  const imp = importer(dir, db);
  const [fx, holes] = await Promise.all([imp('fx.csv', 'EUR/USD'), imp('holes.csv', 'GBP/USD')]);
  assert.equal(fx.code, 0, fx.stderr);
  assert.match(fx.stdout, /^imported 2 1d candles .*\n$/);
  assert.equal(fx.stderr, `warning: fx.csv: ${NO_VOLUME}\n`);
  assert.notEqual(holes.code, 0);
  assert.equal(holes.stderr, 'error: holes.csv:3: empty volume\n');
  assert.deepEqual(storedColumn(db, 'EUR/USD', 'volume'), { values: [0, 0], series: 1 }, 'none of holes.csv');
});

test('bot data import drops exact duplicate rows and counts them; same time with other values is refused', async () => {
  const dir = tempDir('bot-cli-dups-');
  const db = path.join(dir, 'bot.db');
  const head = 'timestamp,open,high,low,close,volume\n';
  const a = '2024-01-01,1,2,0.5,1.5,10';
  const b = '2024-01-02,1.5,2,1,1.8,11';
  writeFileSync(path.join(dir, 'twice.csv'), head + [a, b, a, b, '2024-01-03,1.8,2,1.5,1.9,12'].join('\n') + '\n');
  writeFileSync(path.join(dir, 'clash.csv'), head + [a, b, '2024-01-01,1,2,0.5,1.6,10'].join('\n') + '\n');
  const imp = importer(dir, db);
  const [twice, clash] = await Promise.all([imp('twice.csv', 'BTC/KRW'), imp('clash.csv', 'ETH/KRW')]);
  assert.equal(twice.code, 0, twice.stderr);
  assert.match(
    twice.stdout,
    /^imported 3 1d candles .*: 2024-01-01 … 2024-01-03, 3 new, 0 replaced, 2 exact duplicate rows dropped\n$/,
  );
  assert.notEqual(clash.code, 0);
  assert.equal(clash.stderr, 'error: clash.csv:4: duplicate time 2024-01-01T00:00:00Z with other values than line 2\n');
});

test('bot data import --tz on times with their own offset says --tz did not apply to them', async () => {
  const dir = tempDir('bot-cli-tz-');
  const db = path.join(dir, 'bot.db');
  const head = 'timestamp,open,high,low,close,volume\n';
  writeFileSync(path.join(dir, 'z.csv'), head + hourlyRows(3).join('\n') + '\n');
  const mixed = ['2024-01-01T09:00:00+09:00,1,2,0.5,1.5,10', '2024-01-01 10:00,1,2,0.5,1.5,10'];
  writeFileSync(path.join(dir, 'mixed.csv'), head + mixed.join('\n') + '\n');
  const imp = importer(dir, db);
  const [z, mix] = await Promise.all([
    imp('z.csv', 'BTC/KRW', '--tz', 'Asia/Seoul'),
    imp('mixed.csv', 'ETH/KRW', '--tz', 'Asia/Seoul'),
  ]);
  assert.equal(z.code, 0, z.stderr);
  const times = 'times in UTC, not Asia/Seoul: --tz applies only to times without an offset';
  assert.ok(z.stdout.startsWith(`imported 3 1h candles (generic CSV, ${times}) as upbit BTC/KRW 1h: `), z.stdout);
  assert.equal(mix.code, 0, mix.stderr);
  assert.match(mix.stdout, /\(generic CSV, times: 1 at its own offset, 1 in Asia\/Seoul\)/);
});

test('bot data gaps: --json gives the last missing candle the text ends on, beside the exclusive toTime', async () => {
  const dir = tempDir('bot-cli-gaps-');
  const db = path.join(dir, 'bot.db');
  const store = CandleStore.open(db);
  try {
    const row = (h: number) => ({ ts: Date.UTC(2024, 0, 5) + h * H, open: 1, high: 1, low: 1, close: 1, volume: 1 });
    store.upsert('upbit', 'BTC/KRW', '1h', [row(0), row(1), row(23)]);
  } finally {
    store.close();
  }
  const args = ['data', 'gaps', '--symbol', 'BTC/KRW', '--timeframe', '1h', '--db', db, '--log-level', 'error'];
  const [text, json] = await Promise.all([runBot(args), runBot([...args, '--json'])]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(
    text.stdout,
    /each from its first to its last missing candle\n {2}2024-01-05T02:00Z … 2024-01-05T22:00Z {2}\(21 missing\)\n$/,
  );
  const ranges = JSON.parse(json.stdout) as Record<string, unknown>[];
  assert.deepEqual(ranges, [
    {
      from: Date.UTC(2024, 0, 5, 2),
      to: Date.UTC(2024, 0, 5, 23),
      missing: 21,
      fromTime: '2024-01-05T02:00:00Z',
      toTime: '2024-01-05T23:00:00Z',
      lastMissing: Date.UTC(2024, 0, 5, 22),
      lastMissingTime: '2024-01-05T22:00:00Z',
    },
  ]);
});

test('--data FILE warns as bot data import does (no volume column, wild moves), on stderr beside --json', async () => {
  const dir = tempDir('bot-cli-data-warn-');
  writeFileSync(path.join(dir, 'wild.csv'), 'timestamp,open,high,low,close,volume\n' + wildRows().join('\n') + '\n');
  const noVolume = hourlyRows(60).map((r) => r.replace(/,1\.5$/, ''));
  writeFileSync(path.join(dir, 'novol.csv'), 'timestamp,open,high,low,close\n' + noVolume.join('\n') + '\n');
  const [wildFile, noVolumeFile] = [path.join(dir, 'wild.csv'), path.join(dir, 'novol.csv')];
  const quiet = ['--json', '--log-level', 'error'];
  const [single, portfolio, chart] = await Promise.all([
    runBot(['backtest', '--data', wildFile, '--strategy', 'sma-cross', '--out', path.join(dir, 'r1'), ...quiet]),
    runBot([
      'backtest',
      ...['--symbols', 'AAA/KRW,BBB/KRW', '--data', `${wildFile},${noVolumeFile}`, '--strategy', 'equal-weight'],
      ...['--out', path.join(dir, 'r2'), ...quiet],
    ]),
    runBot(['chart', '--data', noVolumeFile, '--out', path.join(dir, 'c.png'), '--log-level', 'error']),
  ]);
  assert.equal(single.code, 0, single.stderr);
  assert.equal(single.stderr, `warning: ${wildFile}: ${WILD}\n`);
  assert.doesNotThrow(() => JSON.parse(single.stdout), 'stdout is the report alone');
  assert.equal(portfolio.code, 0, portfolio.stderr);
  assert.equal(portfolio.stderr, `warning: ${wildFile}: ${WILD}\nwarning: ${noVolumeFile}: ${NO_VOLUME}\n`);
  assert.equal(chart.code, 0, chart.stderr);
  assert.equal(chart.stderr, `warning: ${noVolumeFile}: ${NO_VOLUME}\n`);
});
