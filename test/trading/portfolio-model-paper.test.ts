/**
 * Paper and live trading of a LEARNED portfolio model (issue 14) through the real CLI against the fake Upbit serving
 * two traded markets and an informative one: a tiny ppo-portfolio model trained in the test; parity with
 * `bot backtest --model` on the same recorded series; kill -9 restarts that end exactly where the uninterrupted run
 * ends (the policy's P/L reference is part of the committed state); live orders under the caps in both markets; and
 * the one-line refusals of models and --symbols that do not go together.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { candlesToCsv } from '../../src/data/csv.ts';
import { sliceCandles } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { CandleStore } from '../../src/data/store.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { addOrderEndpoints, type FakeOrderBook } from '../fake-exchange/orders.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { saveAgent } from './agents.ts';
import { runBot } from './cli.ts';
import { tempDir } from './helpers.ts';
import { backtestTrades, killAtRandomMoments, outcome, type Outcome } from './portfolio-outcome.ts';

const HOUR = 3_600_000;
const make = (seed: number, market: string, startPrice: number, tick: number) =>
  syntheticCandles({
    seed,
    count: 460,
    timeframe: '1h',
    start: Date.UTC(2024, 0, 1),
    tick,
    symbol: market,
    startPrice,
    volatility: 0.015,
  });
const btc = make(61, 'KRW-BTC', 50_000_000, 10);
const eth = make(62, 'KRW-ETH', 3_000_000, 10);
const xrp = make(63, 'KRW-XRP', 3_000, 1);
const TRAIN = 300; // the model trains on the first 300 candles; the paper run trades after them
const START = btc.ts[TRAIN];
const LAST = btc.ts[btc.ts.length - 1];
const END = LAST + HOUR + 10_000;
// holes (hours without trades) in each traded market, after the first decisions and never at the end
const hole = (ts: number, k: number, r: number) =>
  ts > START + 20 * HOUR && ts < LAST && Math.floor(ts / HOUR) % k === r;
const SYMBOLS = 'BTC/KRW,ETH/KRW';
const tmp = tempDir('bot-pf-model-');
const clock = { now: END };
const env = { UPBIT_API_KEY: 'test-access-key-123', UPBIT_API_SECRET: 'test-secret-key-456' };
let fake: FakeUpbit;
let book: FakeOrderBook;
let cfg: string;
let model: string;

/** Trains a tiny portfolio model (BTC and ETH reading XRP, one epoch) on the training files into models/<name>. */
async function trainModel(strategy: string, name: string, files: string[]): Promise<void> {
  const args = ['--symbols', SYMBOLS, '--informative', 'XRP/KRW', '--data', files.join(','), '--epochs', '1'];
  const out = ['--folds', '1', '--name', name, '--out', path.join(tmp.dir, `train-${name}`)];
  const trained = await runBot([
    'backtest',
    '--strategy',
    strategy,
    ...args,
    ...out,
    '--config',
    cfg,
    '--log-level',
    'error',
  ]);
  assert.equal(trained.code, 0, trained.stderr);
}

before(async () => {
  fake = await startFakeUpbit({
    now: () => clock.now,
    series: [
      { market: 'KRW-BTC', candles: btc },
      { market: 'KRW-ETH', candles: eth },
      { market: 'KRW-XRP', candles: xrp },
    ],
  });
  fake.dropCandles('KRW-BTC', '1h', (ts) => hole(ts, 23, 7));
  fake.dropCandles('KRW-ETH', '1h', (ts) => hole(ts, 17, 5));
  // ETH has no candle at the first decision: both clocks start there, with ETH valued at its last close
  fake.dropCandles('KRW-ETH', '1h', (ts) => ts === START);
  book = addOrderEndpoints(fake, { KRW: 20_000_000 });
  cfg = path.join(tmp.dir, 'config.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      exchange: { ccxt: fake.ccxtOptions(), retries: 3, backoffMs: 10, maxBackoffMs: 50 },
      agent: { modelsDir: path.join(tmp.dir, 'models') },
      ml: { backend: 'wasm' },
      log: { file: '' },
      // the holes are hours without trades, not late publications: a tick right after one would look again for the
      // whole bound for nothing (README, "An exchange often publishes the candle that just closed a few seconds late")
      trading: { lateCandleWaitSeconds: 0 },
    }),
  );
  // a tiny model: ppo-portfolio over BTC and ETH reading XRP, one epoch on the candles before START
  const files = [btc, eth, xrp].map((c, i) => {
    const f = path.join(tmp.dir, `train-${i}.csv`);
    writeFileSync(f, candlesToCsv(sliceCandles(c, 0, TRAIN)));
    return f;
  });
  await trainModel('ppo-portfolio', 'pf', files);
  model = path.join(tmp.dir, 'models', 'pf');
});
after(async () => {
  await fake.close();
  tmp.cleanup();
});

const common = (db: string) => ['--db', db, '--config', cfg, '--log-level', 'warn'];
const paperArgs = (db: string, extra: string[] = []) => [
  'paper',
  '--symbols',
  SYMBOLS,
  '--model',
  model,
  '--start',
  isoTime(START),
  '--now',
  isoTime(END),
  '--once',
  ...common(db),
  ...extra,
];

/** `bot backtest --model` of a portfolio model from the paper run's first candle, on the same store: its fills. */
async function backtestFromStart(
  modelDir: string,
  db: string,
  outName: string,
  from = START,
): Promise<{ stdout: string; trades: ReturnType<typeof backtestTrades> }> {
  const out = path.join(tmp.dir, outName);
  const bt = await runBot([
    'backtest',
    '--model',
    modelDir,
    '--symbols',
    SYMBOLS,
    '--from',
    isoTime(from),
    '--out',
    out,
    ...common(db),
  ]);
  assert.equal(bt.code, 0, bt.stderr);
  return { stdout: bt.stdout, trades: backtestTrades(out) };
}

let reference: Outcome;

test('bot paper --symbols --model (a learned portfolio model) trades exactly as bot backtest --model', async () => {
  const db = path.join(tmp.dir, 'ref.db');
  const r = await runBot(paperArgs(db));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /acted on \d+ candle time\(s\); .* value \d+: cash \d+, BTC\/KRW \d+\.\d%, ETH\/KRW/);
  reference = outcome(db);
  assert.ok(reference.trades.length >= 10, `the model traded ${reference.trades.length} times`);
  for (const m of ['BTC/KRW', 'ETH/KRW'])
    assert.ok(
      reference.trades.some((t) => t.market === m),
      `${m} traded`,
    );
  const store = CandleStore.open(db);
  try {
    const run = new RunRepository(store.db).list()[0];
    assert.equal(run.policy, `model:${path.normalize(model)}`);
    const xrpStored = store.load('upbit', 'XRP/KRW', '1h');
    assert.equal(xrpStored.ts[xrpStored.ts.length - 1], LAST, 'the informative series is fetched too');
    assert.equal(xrpStored.ts[0], run.historyFrom, 'from the history start the model needs');
    assert.equal(run.portfolio?.policyMemory?.[1], reference.decisions.length, 'every candle time was a decision');
  } finally {
    store.close();
  }

  const bt = await backtestFromStart(model, db, 'bt');
  assert.match(bt.stdout, /XRP\/KRW \(informative, not traded\)/);
  assert.deepEqual(reference.trades, bt.trades);
});

test('kill -9 at random moments, restarts: a learned model ends exactly where the uninterrupted run does', async () => {
  assert.ok(reference, 'needs the reference run');
  const db = path.join(tmp.dir, 'killed.db');
  const kills = await killAtRandomMoments(db, paperArgs(db), {
    seed: 77,
    total: reference.decisions.length,
    attempts: 8,
  });
  assert.ok(kills >= 2, `the process was killed mid-run (${kills} kills)`);
  const r = await runBot(paperArgs(db));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(outcome(db), reference);
});

test('holes in a series warm-up: the paper run decides from its first candle as bot backtest --model', async () => {
  // ETH/KRW lacks three candles in the 129 hours before this start (its first decision's history, counted in time)
  const start = btc.ts[TRAIN + 45];
  const missing = eth.ts.filter((ts) => ts < start && ts >= start - 129 * HOUR && (ts === START || hole(ts, 17, 5)));
  assert.equal(missing.length, 3);
  const db = path.join(tmp.dir, 'holes.db');
  const r = await runBot(paperArgs(db).map((a) => (a === isoTime(START) ? isoTime(start) : a)));
  assert.equal(r.code, 0, r.stderr);
  const paper = outcome(db);
  assert.equal(paper.decisions[0][0], start, 'the first candle is decided: every series has its whole warm-up');
  const times = btc.ts.filter((ts) => ts >= start && !(hole(ts, 23, 7) && hole(ts, 17, 5)));
  assert.equal(paper.decisions.length, times.length, 'every candle time was a decision');
  assert.ok(paper.trades.length >= 2, `the model traded ${paper.trades.length} times`);
  // the backtest reads a store holding every candle from long before (a run from START stored them)
  const full = path.join(tmp.dir, 'holes-full.db');
  assert.equal((await runBot(paperArgs(full))).code, 0);
  assert.deepEqual(paper.trades, (await backtestFromStart(model, full, 'bt-holes', start)).trades);
});

test('bot live --symbols --model: the learned model trades both markets under the per-order cap', async () => {
  const db = path.join(tmp.dir, 'live.db');
  const cap = 1_500_000;
  for (let k = 0; k < 4; k++) {
    clock.now = btc.ts[TRAIN + 40 + k] + HOUR + 10_000;
    const r = await runBot(
      [
        'live',
        '--symbols',
        SYMBOLS,
        '--model',
        model,
        '--confirm-live',
        '--once',
        '--now',
        isoTime(clock.now),
        '--max-order-value',
        String(cap),
        '--balance',
        '10000000',
        ...common(db),
      ],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /acted on .* → (rebalance|keep)/);
  }
  clock.now = END;
  const orders = book.orders;
  assert.ok(orders.length >= 4, `orders placed: ${orders.length}`);
  for (const m of ['KRW-BTC', 'KRW-ETH'])
    assert.ok(
      orders.some((o) => o.market === m),
      `${m} traded`,
    );
  for (const o of orders) if (o.side === 'bid') assert.ok(Number(o.price) <= cap, `buy ${o.price} within the cap`);
  const store = CandleStore.open(db);
  try {
    const repo = new RunRepository(store.db);
    const run = repo.list()[0];
    assert.equal(repo.trades(run.id).length, orders.length, 'every exchange order is recorded as a fill');
    assert.equal(repo.decisionCount(run.id), 4);
    assert.equal(run.portfolio?.policyMemory?.[1], 4, 'the policy memory is committed with each candle time');
  } finally {
    store.close();
  }
});

test('a portfolio model reading chart images (ppo-portfolio-cnn) trades on paper as bot backtest --model', async () => {
  const files = [btc, eth, xrp].map((c, i) => path.join(tmp.dir, `train-${i}.csv`));
  await trainModel('ppo-portfolio-cnn', 'pf-cnn', files);
  const cnn = path.join(tmp.dir, 'models', 'pf-cnn');
  const db = path.join(tmp.dir, 'cnn.db');
  const args = paperArgs(db).map((a) => (a === model ? cnn : a));
  const r = await runBot(args);
  assert.equal(r.code, 0, r.stderr);
  const paper = outcome(db);
  assert.ok(paper.trades.length >= 2, `the image model traded ${paper.trades.length} times`);
  assert.deepEqual(paper.trades, (await backtestFromStart(cnn, db, 'bt-cnn')).trades);
});

test('models and --symbols that do not go together: one line, non-zero exit, nothing written', async () => {
  const single = path.join(tmp.dir, 'models', 'single');
  await saveAgent(single, 'buy', btc);
  const db = path.join(tmp.dir, 'never.db');
  const wrong = /--model .*pf trades BTC\/KRW,ETH\/KRW in that order and reads XRP\/KRW; --symbols names /;
  const cases: [string[], RegExp][] = [
    [['--symbols', 'ETH/KRW,BTC/KRW', '--model', model], wrong],
    [['--symbols', 'BTC/KRW,XRP/KRW', '--model', model], wrong],
    [
      ['--symbols', SYMBOLS, '--model', single],
      /is not a portfolio model \(it trades one market: leave out --symbols\)/,
    ],
    [['--model', model], /is a portfolio model trading BTC\/KRW,ETH\/KRW: give --symbols BTC\/KRW,ETH\/KRW/],
  ];
  // paper: every case; live goes through the same session code (two cases)
  const runs = [...cases.map((c) => ['paper', c] as const), ['live', cases[0]] as const, ['live', cases[3]] as const];
  for (const [command, [args, message]] of runs) {
    const extra = command === 'live' ? ['--confirm-live', '--once'] : ['--once'];
    const r = await runBot([command, ...args, ...extra, '--now', isoTime(END), ...common(db)], env);
    assert.notEqual(r.code, 0, `${command} ${args.join(' ')}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.equal(existsSync(db), false, 'checked before any disk work');
});
