/**
 * Multi-market paper trading through the real CLI against the fake Upbit serving several markets (issue 14):
 * parity with `bot backtest --symbols` on the same recorded series, `bot status` with every position and the
 * weights, and kill -9 restarts that end exactly where the uninterrupted run ends.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { backtestRunFlags, paperRunFlags, runBot, writeFakeExchangeConfig } from './cli.ts';
import { tempDir } from './helpers.ts';
import { backtestTrades, killAtRandomMoments, outcome, type Outcome } from './portfolio-outcome.ts';
import { parsePortfolioFlags } from '../../src/cli/portfolio-flags.ts';
import { parseSymbolsFlag } from '../../src/data/portfolio-source.ts';

const HOUR = 3_600_000;
const make = (seed: number, market: string, startPrice: number) =>
  syntheticCandles({
    seed,
    count: 700,
    timeframe: '1h',
    start: Date.UTC(2024, 0, 1),
    tick: 10,
    symbol: market,
    startPrice,
  });
const btc = make(31, 'KRW-BTC', 50_000_000);
const eth = make(32, 'KRW-ETH', 3_000_000);
const START = btc.ts[150];
const LAST = btc.ts[btc.ts.length - 1];
const END = LAST + HOUR + 10_000;
// Upbit has no candle for an hour without trades: holes in each market (never at START or at the end)
const hole = (ts: number, k: number, r: number) => ts !== START && ts < LAST && Math.floor(ts / HOUR) % k === r;
const tmp = tempDir('bot-pf-paper-');
let fake: FakeUpbit;
let cfg: string;

before(async () => {
  fake = await startFakeUpbit({
    now: () => END,
    series: [
      { market: 'KRW-BTC', candles: btc },
      { market: 'KRW-ETH', candles: eth },
    ],
  });
  fake.dropCandles('KRW-BTC', '1h', (ts) => hole(ts, 23, 7));
  fake.dropCandles('KRW-ETH', '1h', (ts) => hole(ts, 17, 5));
  cfg = writeFakeExchangeConfig(tmp.dir, fake);
});
after(async () => {
  await fake.close();
  tmp.cleanup();
});

const SYMBOLS = 'BTC/KRW,ETH/KRW';
const paperArgs = (db: string, extra: string[] = []) => [
  'paper',
  '--symbols',
  SYMBOLS,
  '--rebalance-every',
  '5',
  ...paperRunFlags(START, END, db, cfg),
  ...extra,
];

let reference: Outcome;

test('bot paper --symbols over a recorded multi-market series trades exactly as bot backtest --symbols', async () => {
  const db = path.join(tmp.dir, 'ref.db');
  const r = await runBot(paperArgs(db, ['--once']));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /acted on \d+ candle time\(s\); last .* value \d+: cash \d+, BTC\/KRW \d+\.\d%, ETH\/KRW/);
  reference = outcome(db);
  const served = ['KRW-BTC', 'KRW-ETH'].map((m) => fake.state.series.get(`${m}|${HOUR}`)?.ts ?? []);
  const times = new Set([...served[0], ...served[1]].filter((ts) => ts >= START));
  assert.equal(reference.decisions.length, times.size, 'one decision per candle time of the union clock');
  assert.ok(reference.trades.length >= 20, `equal-weight traded ${reference.trades.length} times`);
  for (const m of ['BTC/KRW', 'ETH/KRW'])
    assert.ok(
      reference.trades.some((t) => t.market === m),
      `${m} traded`,
    );

  const out = path.join(tmp.dir, 'bt');
  const bt = await runBot([
    'backtest',
    '--symbols',
    SYMBOLS,
    '--rebalance-every',
    '5',
    ...backtestRunFlags(START, db, cfg, out),
    '--log-level',
    'warn',
  ]);
  assert.equal(bt.code, 0, bt.stderr);
  assert.match(bt.stdout, /has no candle at \d+ of \d+ times/, 'the backtest sees the holes too');
  assert.deepEqual(reference.trades, backtestTrades(out));
});

test('bot status --symbols shows every position and the weights', async () => {
  assert.ok(reference, 'needs the reference run');
  const db = path.join(tmp.dir, 'ref.db');
  const st = await runBot(['status', '--symbols', SYMBOLS, '--json', '--db', db, '--config', cfg]);
  assert.equal(st.code, 0, st.stderr);
  const s = JSON.parse(st.stdout) as {
    symbol: string;
    cash: number;
    equity: number;
    trades: number;
    positions: { market: string; units: number; price: number; value: number; weight: number }[];
  };
  assert.equal(s.symbol, SYMBOLS);
  assert.equal(s.trades, reference.trades.length);
  assert.deepEqual(
    s.positions.map((p) => p.market),
    ['BTC/KRW', 'ETH/KRW'],
  );
  assert.equal(s.positions[0].price, btc.close[btc.close.length - 1]);
  const sum = s.cash + s.positions.reduce((a, p) => a + p.value, 0);
  assert.ok(Math.abs(sum - s.equity) < 1e-6, 'cash + Σ units × price = value');
  for (const p of s.positions) assert.ok(Math.abs(p.weight - p.value / s.equity) < 1e-9);
  const text = await runBot(['status', '--symbols', SYMBOLS, '--db', db, '--config', cfg]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /\n {2}cash +[\d,.]+ +\d+\.\d\d%\n {2}BTC\/KRW +[\d,.]+ +\d+\.\d\d% +[\d.e-]+ units @/);
});

test('kill -9 at random moments, restarts: portfolio, decisions and trades equal the uninterrupted run', async () => {
  assert.ok(reference, 'needs the reference run');
  const db = path.join(tmp.dir, 'killed.db');
  const kills = await killAtRandomMoments(db, paperArgs(db, ['--once']), {
    seed: 2025,
    total: reference.decisions.length,
    attempts: 6,
    sleepFirst: true,
  });
  assert.ok(kills >= 2, `the process was killed mid-run (${kills} kills)`);
  const r = await runBot(paperArgs(db, ['--once']));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(outcome(db), reference);
});

test('bad --symbols input: one line, non-zero exit, no database written', async () => {
  for (const [flags, message] of [
    [{ symbols: 'BTC/KRW' }, /--symbols needs at least two markets/],
    [{ symbols: 'BTC/KRW,BTC/KRW' }, /names a market twice/],
    [{ symbols: 'BTC/KRW,,ETH/KRW' }, /empty name/],
    [{ symbols: 'BTC/KRW,ETH/USDT' }, /different currencies \(KRW, USDT\); a portfolio has one cash/],
    [{ symbols: SYMBOLS, symbol: 'BTC/KRW' }, /either --symbol .* or --symbols/],
    [{ symbols: SYMBOLS, rebalanceEvery: '0' }, /--rebalance-every/],
    [{ symbols: SYMBOLS, band: '2' }, /--band must be a fraction/],
    [{ rebalanceEvery: '5' }, /--rebalance-every is for portfolios/],
  ] as const) {
    assert.throws(() => parsePortfolioFlags(flags), message);
  }
  // one portfolio, one quote; `bot data download --symbols` stores markets one by one and may mix them
  assert.deepEqual(parseSymbolsFlag('BTC/KRW,ETH/USDT'), ['BTC/KRW', 'ETH/USDT']);
  const db = path.join(tmp.dir, 'never.db');
  for (const command of ['paper', 'live', 'status']) {
    for (const [symbols, message] of [
      ['BTC/KRW,BTC/KRW', /names a market twice/],
      ['BTC/KRW,ETH/USDT', /priced in different currencies/],
    ] as const) {
      const r = await runBot([command, '--symbols', symbols, '--db', db, '--config', cfg]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  }
  assert.equal(existsSync(db), false, 'checked before any disk work');
});
