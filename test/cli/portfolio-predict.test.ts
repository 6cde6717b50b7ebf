/**
 * `bot predict` of a portfolio model through the CLI, against the fake exchange: every series, traded and informative,
 * topped up from the exchange first and read only up to its candles closed by the clock (`--now`), as for one market;
 * offline, the stored candles with a warning; `--at` before or after the data, `--at` after `--now` and a bad `--now`
 * refused in the same lines as for one market; `--at` before the features' warm-up ends refused in one line.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { candleRows, sliceCandles, type Candles } from '../../src/core/candles.ts';
import { candlesToCsv } from '../../src/data/csv.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { tempDir } from '../data/helpers.ts';
import { saveSeededPortfolioModel } from './portfolio-model.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { runBot } from './run.ts';

const HOUR = 3_600_000;
const make = (seed: number, symbol: string, startPrice: number) =>
  syntheticCandles({ seed, count: 400, timeframe: '1h', start: Date.UTC(2024, 0, 1), symbol, startPrice });
/** A and B traded, I informative: the model's symbol order. */
const series = [make(81, 'A/KRW', 50_000_000), make(82, 'B/KRW', 3_000_000), make(83, 'I/KRW', 3_000)];

/** A seeded (untrained) portfolio model of A and B reading I, its scalers fitted on the first 300 candles. */
const saveModel = (dir: string) =>
  saveSeededPortfolioModel(dir, series, { exchange: 'upbit', timeframe: '1h' }, 'pf-now');

/** The fake exchange serving A, B and I in full (it answers only the candles its clock has closed). */
function fakeOf(now: () => number): Promise<FakeUpbit> {
  const markets = series.map((c) => {
    const market = `KRW-${c.symbol.split('/')[0]}`;
    return { market, korean_name: market, english_name: market };
  });
  return startFakeUpbit({
    now,
    markets,
    series: series.map((c, i) => ({ market: markets[i].market, candles: c })),
  });
}

/** A config file pointing at `api` (the fake exchange, or a port nothing listens on), retrying fast. */
function configAt(file: string, api: string): string {
  const exchange = {
    ccxt: { urls: { api: { public: api, private: api } } },
    retries: 1,
    backoffMs: 1,
    maxBackoffMs: 2,
  };
  writeFileSync(file, JSON.stringify({ exchange, log: { file: '' } }));
  return file;
}

/** A real SQLite store holding `stored` as upbit 1h candles. */
function storeOf(db: string, stored: readonly Candles[]): string {
  const store = CandleStore.open(db);
  try {
    for (const c of stored) store.upsert('upbit', c.symbol, '1h', candleRows(c));
  } finally {
    store.close();
  }
  return db;
}

/** `c` with every candle after index `t` rewritten wildly (prices and volume). */
function corruptAfter(c: Candles, t: number): Candles {
  const out = {
    ...c,
    open: Float64Array.from(c.open),
    high: Float64Array.from(c.high),
    low: Float64Array.from(c.low),
    close: Float64Array.from(c.close),
    volume: Float64Array.from(c.volume),
  };
  for (let i = t + 1; i < c.ts.length; i++) {
    const k = i % 2 ? 3 : 0.2;
    out.open[i] = c.open[i] * k;
    out.close[i] = c.close[i] * k;
    out.high[i] = Math.max(out.open[i], out.close[i]) * 1.01;
    out.low[i] = Math.min(out.open[i], out.close[i]) * 0.99;
    out.volume[i] = 1e12;
  }
  return out;
}

interface PortfolioPredicted {
  candle: string;
  weights: Record<string, number>;
  cash: number;
}

test(`bot predict --now of a portfolio model decides on the newest common candle closed by then: every series' \
candles after it change nothing; --at after --now and a bad --now refused as for one market`, async () => {
  const dir = tempDir('bot-pf-predict-');
  const model = path.join(dir, 'models', 'pf-now');
  await saveModel(model);
  const t = 350;
  const now = series[0].ts[t] + HOUR + 10_000; // candle 350 has closed; 351 is open; the store holds up to 399
  let clock = now;
  const fake = await fakeOf(() => clock);
  try {
    const cfg = configAt(path.join(dir, 'config.json'), fake.url);
    const quiet = ['--config', cfg, '--timeframe', '1h', '--log-level', 'error', '--backend', 'cpu'];
    const predict = (db: string, extra: string[]) =>
      runBot(['predict', '--model', model, '--db', db, ...extra, ...quiet]);
    const ask = async (db: string, at: number) => {
      clock = at;
      const r = await predict(db, ['--now', isoTime(at), '--json']);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as PortfolioPredicted;
    };
    const clean = storeOf(path.join(dir, 'clean.db'), series);
    const dirty = storeOf(
      path.join(dir, 'dirty.db'),
      series.map((c) => corruptAfter(c, t)),
    );

    const before = await ask(clean, now);
    // the candles after --now of A, B and I rewritten wildly: the same candle and weights
    assert.deepEqual(await ask(dirty, now), before);
    assert.equal(before.candle, isoTime(series[0].ts[t]), 'the candle closed by --now, not the newest stored');
    // the rewrite reaches the decision once the clock lets those candles in: the check above can fail
    const later = now + 5 * HOUR;
    const [cleanLater, dirtyLater] = [await ask(clean, later), await ask(dirty, later)];
    assert.equal(dirtyLater.candle, isoTime(series[0].ts[t + 5]));
    assert.notDeepEqual(dirtyLater.weights, cleanLater.weights, 'the corrupted candles change the weights');

    const text = await predict(clean, ['--now', isoTime(now)]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`\\ncandle {6}${isoTime(series[0].ts[t])} `));
    const late = await predict(clean, ['--now', isoTime(now), '--at', isoTime(now + HOUR)]);
    assert.equal(late.code, 1);
    assert.equal(
      late.stderr,
      `error: --at ${isoTime(now + HOUR)} is after --now ${isoTime(now)}: predict decides on candles closed by then\n`,
    );
    const bad = await predict(clean, ['--now', 'yesterday']);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stderr,
      'error: --now: cannot read "yesterday" as a date (use e.g. 2024-01-01 or 2024-03-01T00:00Z)\n',
    );
    const early = await predict(clean, ['--now', isoTime(series[0].ts[0])]);
    assert.equal(early.code, 1);
    assert.match(
      early.stderr,
      /^error: no candle of upbit A\/KRW 1h \(store\) has closed by --now \S+; the first opens/,
    );
  } finally {
    await fake.close();
  }
});

test(`bot predict of a portfolio model on the store tops up every series, traded and informative, from the exchange \
first and decides on the newest candle closed by the clock; offline it decides on the stored candles with a warning, \
as for one market`, async () => {
  const dir = tempDir('bot-pf-fresh-');
  const model = path.join(dir, 'models', 'pf-fresh');
  await saveModel(model);
  const t = 350;
  const now = series[0].ts[t] + HOUR + 10_000; // candle 350 has closed; 351 is open
  const stored = 340; // the store holds A, B and I up to candle 340: 341 … 350 are only on the exchange
  const opts = ['--model', model, '--timeframe', '1h', '--now', isoTime(now), '--backend', 'cpu'];
  const fake = await fakeOf(() => now);
  try {
    const db = storeOf(
      path.join(dir, 'behind.db'),
      series.map((c) => sliceCandles(c, 0, stored + 1)),
    );
    const cfg = configAt(path.join(dir, 'fake.json'), fake.url);
    const r = await runBot(['predict', ...opts, '--db', db, '--config', cfg, '--json', '--log-level', 'error']);
    assert.equal(r.code, 0, r.stderr);
    const p = JSON.parse(r.stdout) as PortfolioPredicted;
    assert.equal(p.candle, isoTime(series[0].ts[t]), 'the newest closed candle, fetched for this prediction');
    const store = CandleStore.open(db);
    try {
      for (const c of series)
        assert.equal(store.lastTs('upbit', c.symbol, '1h'), c.ts[t], `${c.symbol} topped up to the clock`);
    } finally {
      store.close();
    }
  } finally {
    await fake.close();
  }

  // nothing listens on port 1: the stored candles, with one warning per series naming what it decides on
  const offline = configAt(path.join(dir, 'offline.json'), 'http://127.0.0.1:1');
  const db = storeOf(
    path.join(dir, 'offline.db'),
    series.map((c) => sliceCandles(c, 0, stored + 1)),
  );
  const r = await runBot(['predict', ...opts, '--db', db, '--config', offline, '--json', '--log-level', 'warn']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as PortfolioPredicted).candle, isoTime(series[0].ts[stored]));
  for (const c of series)
    assert.match(
      r.stderr,
      new RegExp(
        `upbit cannot be reached \\(.*\\); deciding on the stored ${c.symbol} candles up to ` + isoTime(c.ts[stored]),
      ),
    );
  // and one line saying how old the common candle it decides on is
  const age =
    `the newest stored candle (${isoTime(series[0].ts[stored])}) closed 10 hours ago: ` + 'this decides on old data';
  assert.equal(r.stderr.split(age).length, 2, r.stderr);
  // a series with nothing stored and no exchange: the one line one market gives
  const none = storeOf(path.join(dir, 'no-informative.db'), series.slice(0, 2));
  const lone = await runBot(['predict', ...opts, '--db', none, '--config', offline, '--log-level', 'error']);
  assert.equal(lone.code, 1);
  assert.match(lone.stderr, /^error: nothing is stored for upbit I\/KRW 1h and upbit cannot be reached: /);
});

test(`bot predict --at of a portfolio model: a time before or after the common candles is refused in the line one \
market gives, naming the range there is; before the features' warm-up ends, one line saying until when`, async () => {
  const dir = tempDir('bot-pf-at-');
  const model = path.join(dir, 'models', 'pf-at');
  await saveModel(model);
  const last = series[0].ts.length - 1;
  const now = series[0].ts[last] + HOUR + 10_000; // every stored candle has closed: nothing to fetch
  const fake = await fakeOf(() => now);
  try {
    const cfg = configAt(path.join(dir, 'config.json'), fake.url);
    const db = storeOf(path.join(dir, 'all.db'), series);
    const predictAt = (at: number) =>
      runBot([
        'predict',
        '--model',
        model,
        '--db',
        db,
        '--config',
        cfg,
        '--timeframe',
        '1h',
        '--now',
        isoTime(now),
        '--at',
        isoTime(at),
        '--log-level',
        'error',
        '--backend',
        'cpu',
      ]);
    const [first, end] = [isoTime(series[0].ts[0]), isoTime(series[0].ts[last])];
    const range = `the common timeline of A/KRW, B/KRW covers ${first} … ${end}`;
    const after = series[0].ts[last] + HOUR; // by --now, but after the last candle's close
    const late = await predictAt(after);
    assert.equal(late.stderr, `error: --at ${isoTime(after)} is after the data; ${range}\n`);
    assert.equal(late.code, 1);
    const before = series[0].ts[0] - HOUR;
    const early = await predictAt(before);
    assert.equal(early.stderr, `error: --at ${isoTime(before)}: no candle opens at or before it; ${range}\n`);
    assert.equal(early.code, 1);
    // rltrader-v1's rows before 119 are warm-up zeros: with a 2-candle window the first decision is at candle 120
    const warm = await predictAt(series[0].ts[119]);
    assert.equal(
      warm.stderr,
      `error: features are not full until ${isoTime(series[0].ts[120])} (the warm-up of A/KRW, B/KRW, I/KRW): ` +
        `no decision at ${isoTime(series[0].ts[119])}\n`,
    );
    assert.equal(warm.code, 1);
    assert.equal((await predictAt(series[0].ts[120])).code, 0);
    const inside = await predictAt(series[0].ts[200] + 60_000);
    assert.equal(inside.code, 0, inside.stderr);
    assert.match(inside.stdout, new RegExp(`\\ncandle {6}${isoTime(series[0].ts[200])} `));
  } finally {
    await fake.close();
  }
});

test(`bot predict --data a.csv,b.csv,i.csv of a portfolio model pairs the files with its markets in order, as bot \
backtest --symbols does; a wrong count names the model's series and no flag predict lacks`, async () => {
  // it checked the whole list as one file ("no such file a.csv,b.csv,i.csv"), and one file named "--symbols"
  const dir = tempDir('bot-pf-predict-data-');
  const model = path.join(dir, 'models', 'pf-files');
  await saveModel(model);
  const files = series.map((c) => {
    const file = path.join(dir, `${c.symbol.split('/')[0].toLowerCase()}.csv`);
    writeFileSync(file, candlesToCsv(c));
    return file;
  });
  const quiet = ['--timeframe', '1h', '--log-level', 'error', '--backend', 'cpu', '--db', path.join(dir, 'no.db')];
  const now = ['--now', isoTime(series[0].ts[399] + 2 * HOUR)];
  const r = await runBot(['predict', '--model', model, '--data', files.join(','), ...now, '--json', ...quiet]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as PortfolioPredicted;
  assert.equal(out.candle, isoTime(series[0].ts[399]));
  assert.deepEqual(Object.keys(out.weights), ['A/KRW', 'B/KRW']);
  const one = await runBot(['predict', '--model', model, '--data', files[0], ...now, ...quiet]);
  assert.equal(one.code, 1);
  assert.equal(
    one.stderr,
    'error: --data names 1 file for 3 series (A/KRW, B/KRW, I/KRW): one file each, in that order\n',
  );
  const missing = await runBot(['predict', '--model', model, '--data', `${files[0]},nope.csv`, ...now, ...quiet]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'error: --data: no such file nope.csv\n');
});
