/** Derived leveraged / inverse series: hand-computed candles, consistent OHLC, the stored label. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { candlesFromRows } from '../../src/core/candles.ts';
import { candlesToCsv } from '../../src/data/csv.ts';
import { deriveLabel, deriveLeveraged } from '../../src/data/derive.ts';
import { CandleStore } from '../../src/data/store.ts';
import { tempDir } from './helpers.ts';
import { runBot } from '../cli/run.ts';

const D = 86_400_000;
const index = candlesFromRows('demo', 'IDX/USD', '1d', [
  { ts: 0, open: 100, high: 102, low: 99, close: 101, volume: 10 },
  { ts: D, open: 101, high: 104, low: 100, close: 103, volume: 10 },
  { ts: 2 * D, open: 103, high: 103, low: 97, close: 98, volume: 10 },
  { ts: 4 * D, open: 98, high: 99, low: 95, close: 96, volume: 10 }, // two days later: twice the fee
]);

test('2× with a 3.65 %/yr fee: closes by hand', () => {
  const d = deriveLeveraged(index, { leverage: 2, feeAnnual: 0.0365, symbol: 'IDX2X/USD' });
  assert.equal(d.symbol, 'IDX2X/USD');
  assert.deepEqual([d.open[0], d.high[0], d.low[0], d.close[0]], [100, 102, 99, 101]);
  // day 1: 101 × (1 + 2 × (103/101 − 1) − 0.0001)
  assert.ok(Math.abs(d.close[1] - 104.9899) < 1e-9);
  // day 1 open: 101 × (1 + 2 × (101/101 − 1) − 0.0001)
  assert.ok(Math.abs(d.open[1] - 100.9899) < 1e-9);
  const c2 = 104.9899 * (1 + 2 * (98 / 103 - 1) - 0.0001);
  assert.ok(Math.abs(d.close[2] - c2) < 1e-9);
  const c3 = c2 * (1 + 2 * (96 / 98 - 1) - 0.0002);
  assert.ok(Math.abs(d.close[3] - c3) < 1e-9);
});

test('inverse: high comes from the index low; OHLC stay consistent', () => {
  const d = deriveLeveraged(index, { leverage: -1, symbol: 'INV/USD' });
  assert.ok(Math.abs(d.close[1] - 99) < 1e-9);
  assert.ok(Math.abs(d.close[2] - 99 * (1 - (98 / 103 - 1))) < 1e-9);
  assert.ok(Math.abs(d.high[2] - 99 * (1 - (97 / 103 - 1))) < 1e-9);
  assert.ok(Math.abs(d.low[2] - 99) < 1e-9); // the index high 103 = its previous close
  for (let i = 0; i < d.ts.length; i++) {
    assert.ok(d.low[i] <= Math.min(d.open[i], d.close[i]) && d.high[i] >= Math.max(d.open[i], d.close[i]));
  }
});

test('bad specs and a wipe-out are refused with one line', () => {
  assert.throws(() => deriveLeveraged(index, { leverage: 0, symbol: 'X/USD' }), /--leverage must be a non-zero/);
  assert.throws(() => deriveLeveraged(index, { leverage: 2, feeAnnual: -1, symbol: 'X/USD' }), /--fee-annual/);
  const crash = candlesFromRows('demo', 'IDX/USD', '1d', [
    { ts: 0, open: 100, high: 100, low: 100, close: 100, volume: 1 },
    { ts: D, open: 100, high: 100, low: 40, close: 45, volume: 1 },
  ]);
  assert.throws(
    () => deriveLeveraged(crash, { leverage: 2, symbol: 'X/USD' }),
    /X\/USD: 2× of IDX\/USD reaches zero at 1970-01-02/,
  );
});

test('the store keeps the derived series with its label; list shows it; remove drops it', () => {
  const store = CandleStore.open(path.join(tempDir(), 'bot.db'));
  try {
    store.upsert('demo', 'IDX/USD', '1d', [{ ts: 0, open: 1, high: 1, low: 1, close: 1, volume: 1 }]);
    const spec = { leverage: 2, feeAnnual: 0.0064, symbol: 'IDX2X/USD' };
    const label = deriveLabel('IDX/USD', spec, '1d');
    assert.equal(label, 'derived: 2× IDX/USD rebalanced every 1d candle, fee 0.64%/yr');
    assert.equal(store.replaceDerived(deriveLeveraged(index, spec), label), 4);
    assert.equal(store.load('demo', 'IDX2X/USD', '1d').ts.length, 4);
    const listed = store.series();
    assert.equal(listed.find((s) => s.symbol === 'IDX2X/USD')?.label, label);
    assert.equal('label' in (listed.find((s) => s.symbol === 'IDX/USD') ?? {}), false);
    store.remove('demo', 'IDX2X/USD', '1d');
    assert.equal(store.label('demo', 'IDX2X/USD', '1d'), undefined);
  } finally {
    store.close();
  }
});

/** A database holding the index as demo IDX/USD 1d, imported through `bot data import`; the flags that name it. */
async function storedIndex(): Promise<{ db: string; common: string[] }> {
  const dir = tempDir();
  const db = path.join(dir, 'bot.db');
  const csv = path.join(dir, 'idx.csv');
  writeFileSync(csv, candlesToCsv(index));
  const common = ['--exchange', 'demo', '--timeframe', '1d', '--db', db];
  const imported = await runBot(['data', 'import', csv, '--symbol', 'IDX/USD', ...common]);
  assert.equal(imported.code, 0, imported.stderr);
  return { db, common };
}

test('bot data derive stores the series with its label; bad flags are one-line errors', async () => {
  const { db, common } = await storedIndex();
  const args = ['data', 'derive', '--from', 'IDX/USD', '--leverage', '-1', '--symbol', 'INV/USD', ...common];
  const r = await runBot(args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /stored 4 1d candles as demo INV\/USD \(derived: -1× IDX\/USD rebalanced every 1d candle, fee 0%\/yr\)/,
  );
  const list = await runBot(['data', 'list', '--db', db]);
  assert.match(list.stdout, /demo INV\/USD 1d: derived: -1× IDX\/USD rebalanced every 1d candle/);
  const missing = await runBot([
    'data',
    'derive',
    '--from',
    'NO/USD',
    '--leverage',
    '2',
    '--symbol',
    'X/USD',
    ...common,
  ]);
  assert.match(missing.stderr, /no stored candles for demo NO\/USD 1d/);
  const zero = await runBot(['data', 'derive', '--from', 'IDX/USD', '--leverage', '0', '--symbol', 'X/USD', ...common]);
  assert.match(zero.stderr, /--leverage must be a non-zero number/);
  assert.notEqual(zero.code, 0);
});

test('bot data derive writes hyphenated names (SP500-INV/USD), and --symbol reads them back', async () => {
  // the symbol check used to refuse a hyphen, so the documented `--symbol SP500-INV/USD` stopped with a config error
  const { common } = await storedIndex();
  const r = await runBot([
    'data',
    'derive',
    '--from',
    'IDX/USD',
    '--leverage',
    '-1',
    '--symbol',
    'IDX-INV/USD',
    ...common,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /stored 4 1d candles as demo IDX-INV\/USD/);
  const exported = await runBot(['data', 'export', '--symbol', 'IDX-INV/USD', ...common]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.equal(exported.stdout.trim().split('\n').length, 5);
  const bad = await runBot(['data', 'export', '--symbol', 'IDX-/USD', ...common]);
  assert.equal(
    bad.stderr,
    'error: --symbol: "IDX-/USD": expected BASE/QUOTE in capitals and digits (a hyphen may join parts), e.g. BTC/KRW\n',
  );
  assert.equal(bad.code, 1);
});

test("bot data derive from the bundled sample on a fresh database: the README's example stores both", async () => {
  // it used to stop with "no stored candles for sample SP500/USD 1d", and nothing told a user how to store the sample
  const db = path.join(tempDir(), 'bot.db');
  const readme = ['data', 'derive', '--from', 'SP500/USD', '--leverage', '-1', '--symbol', 'SP500-INV/USD'];
  const r = await runBot([...readme, '--exchange', 'sample', '--timeframe', '1d', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^stored (\d+) 1d candles of the bundled sample as sample SP500\/USD\n/);
  const n = Number(/^stored (\d+)/.exec(r.stdout)?.[1]);
  assert.ok(n > 5000, r.stdout);
  assert.match(
    r.stdout,
    new RegExp(`stored ${n} 1d candles as sample SP500-INV/USD \\(derived: -1× SP500/USD rebalanced every 1d candle`),
  );
  const store = CandleStore.open(db);
  try {
    const index = store.load('sample', 'SP500/USD', '1d');
    const inverse = store.load('sample', 'SP500-INV/USD', '1d');
    assert.equal(index.ts.length, n);
    assert.deepEqual([...inverse.ts], [...index.ts]);
    // the second candle is -1× the index's return
    const r1 = index.close[1] / index.close[0] - 1;
    assert.ok(Math.abs(inverse.close[1] / inverse.close[0] - 1 + r1) < 1e-9);
  } finally {
    store.close();
  }
  // another exchange's SP500/USD is not the sample: still the one-line error
  const other = await runBot([...readme, '--exchange', 'demo', '--timeframe', '1d', '--db', db]);
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /no stored candles for demo SP500\/USD 1d/);
});

test(`bot data derive refuses a --symbol holding downloaded or imported candles; a derived one is derived \
again`, async () => {
  // it used to replace them (real upbit ETH/KRW candles became 2× BTC/KRW, exit 0), and paper or live traded those
  const { db, common } = await storedIndex();
  const dir = path.dirname(db);
  const eth = candlesFromRows('demo', 'ETH/USD', '1d', [
    { ts: 0, open: 10, high: 11, low: 9, close: 10.5, volume: 3 },
    { ts: D, open: 10.5, high: 12, low: 10, close: 11, volume: 3 },
  ]);
  const csv = path.join(dir, 'eth.csv');
  writeFileSync(csv, candlesToCsv(eth));
  assert.equal((await runBot(['data', 'import', csv, '--symbol', 'ETH/USD', ...common])).code, 0);
  const derive = ['data', 'derive', '--from', 'IDX/USD', '--leverage', '2', '--symbol'];
  const r = await runBot([...derive, 'ETH/USD', ...common]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    'error: --symbol ETH/USD: demo ETH/USD 1d holds 2 candles not derived by the bot (downloaded or imported), ' +
      'which deriving would replace; nothing stored: name a new series, e.g. --symbol ETH-2X/USD\n',
  );
  const store = CandleStore.open(db);
  try {
    const kept = store.load('demo', 'ETH/USD', '1d');
    assert.deepEqual([...kept.close], [10.5, 11]);
    assert.equal(store.label('demo', 'ETH/USD', '1d'), undefined);
  } finally {
    store.close();
  }
  // a series derived earlier carries its label and is replaced by a new derivation
  assert.equal((await runBot([...derive, 'IDX-2X/USD', ...common])).code, 0);
  const again = await runBot([
    'data',
    'derive',
    '--from',
    'IDX/USD',
    '--leverage',
    '3',
    '--symbol',
    'IDX-2X/USD',
    ...common,
  ]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /stored 4 1d candles as demo IDX-2X\/USD \(derived: 3× IDX\/USD rebalanced every 1d/);
});

test('an hourly derived series says it is rebalanced every 1h candle, not daily', async () => {
  const H = 3_600_000;
  const dir = tempDir();
  const db = path.join(dir, 'bot.db');
  const csv = path.join(dir, 'btc.csv');
  const rows = [0, 1, 2].map((i) => ({
    ts: i * H,
    open: 100 + i,
    high: 102 + i,
    low: 99 + i,
    close: 101 + i,
    volume: 1,
  }));
  writeFileSync(csv, candlesToCsv(candlesFromRows('demo', 'BTC/KRW', '1h', rows)));
  const common = ['--exchange', 'demo', '--timeframe', '1h', '--db', db];
  assert.equal((await runBot(['data', 'import', csv, '--symbol', 'BTC/KRW', ...common])).code, 0);
  const r = await runBot([
    'data',
    'derive',
    '--from',
    'BTC/KRW',
    '--leverage',
    '2',
    '--symbol',
    'BTC-2X/KRW',
    ...common,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    'stored 3 1h candles as demo BTC-2X/KRW (derived: 2× BTC/KRW rebalanced every 1h candle, fee 0%/yr)\n',
  );
});

test("bot data derive refuses a quote other than the index's in one line, before any disk work", async () => {
  const { db, common } = await storedIndex();
  // it stored USD prices labelled KRW (exit 0), which then passed the portfolio's one-quote check beside KRW markets
  const krw = ['--from', 'IDX/USD', '--leverage', '2', '--symbol', 'IDX-2X/KRW'];
  const r = await runBot(['data', 'derive', ...krw, ...common]);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(
    r.stderr,
    'error: --symbol IDX-2X/KRW is priced in KRW but --from IDX/USD in USD: ' +
      "a derived series keeps its index's quote, e.g. --symbol IDX-2X/USD\n",
  );
  const list = await runBot(['data', 'list', '--db', db]);
  assert.doesNotMatch(list.stdout, /IDX-2X/);
  // a database not there yet is not made for a refusal
  const fresh = path.join(tempDir(), 'fresh.db');
  const flags = ['--exchange', 'binance', '--timeframe', '1d', '--leverage', '2', '--db', fresh];
  const other = await runBot(['data', 'derive', '--from', 'BTC/USDT', '--symbol', 'ETH-2X/KRW', ...flags]);
  assert.match(other.stderr, /^error: --symbol ETH-2X\/KRW is priced in KRW but --from BTC\/USDT in USDT: /);
  assert.equal(existsSync(fresh), false);
});
