import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { Rng } from '../../src/core/random.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { backtestRunFlags, paperRunFlags, runBot, startBot, writeFakeExchangeConfig } from './cli.ts';
import { tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const candles = syntheticCandles({
  seed: 31,
  count: 900,
  timeframe: '1h',
  start: Date.UTC(2024, 0, 1),
  tick: 1000,
  symbol: 'KRW-BTC',
  gapProbability: 0.01,
});
const START = candles.ts[200];
const END = candles.ts[candles.ts.length - 1] + HOUR + 10_000;
const tmp = tempDir('bot-paper-cli-');
let fake: FakeUpbit;
let cfg: string;

before(async () => {
  fake = await startFakeUpbit({ now: () => END, series: [{ market: 'KRW-BTC', candles }] });
  cfg = writeFakeExchangeConfig(tmp.dir, fake);
});
after(async () => {
  await fake.close();
  tmp.cleanup();
});

const paperArgs = (db: string, extra: string[] = []) => [
  'paper',
  '--strategy',
  'sma-cross',
  ...paperRunFlags(START, END, db, cfg),
  ...extra,
];

interface Outcome {
  account: unknown;
  decisions: [number, string][];
  trades: { ts: number; side: string; price: number; units: number; fee: number }[];
}

function outcome(db: string): Outcome {
  const store = CandleStore.open(db);
  try {
    const repo = new RunRepository(store.db);
    const run = repo.list()[0];
    return {
      account: run.account,
      decisions: repo.decisions(run.id).map((d) => [d.ts, d.action]),
      trades: repo.trades(run.id).map((t) => ({ ts: t.ts, side: t.side, price: t.price, units: t.units, fee: t.fee })),
    };
  } finally {
    store.close();
  }
}

function decisionCount(db: string): number {
  try {
    const store = CandleStore.open(db);
    try {
      return (
        store.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'trading_decisions'").get() as {
          n: number;
        }
      ).n
        ? (store.db.prepare('SELECT count(*) AS n FROM trading_decisions').get() as { n: number }).n
        : 0;
    } finally {
      store.close();
    }
  } catch {
    return 0;
  }
}

let reference: Outcome;

test(`bot paper over a recorded series makes exactly the trades of bot backtest; bot status reports the \
run`, async () => {
  const db = path.join(tmp.dir, 'ref.db');
  const r = await runBot(paperArgs(db, ['--once']));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /acted on \d+ candle/);
  reference = outcome(db);
  const expectedDecisions = candles.ts.filter((ts) => ts >= START).length;
  assert.equal(reference.decisions.length, expectedDecisions);
  assert.ok(reference.trades.length >= 4, `sma-cross traded ${reference.trades.length} times`);

  const out = path.join(tmp.dir, 'bt');
  const bt = await runBot([
    'backtest',
    '--strategy',
    'sma-cross',
    ...backtestRunFlags(START, db, cfg, out),
    '--json',
    '--log-level',
    'warn',
  ]);
  assert.equal(bt.code, 0, bt.stderr);
  const rows = readFileSync(path.join(out, 'trades.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  const backtestTrades = rows.map(([, time, side, price, units, , fee, tax]) => ({
    ts: Date.parse(time),
    side,
    price: Number(price),
    units: Number(units),
    fee: Number(fee) + Number(tax),
  }));
  assert.deepEqual(reference.trades, backtestTrades);

  const st = await runBot(['status', '--json', '--db', db, '--config', cfg]);
  assert.equal(st.code, 0, st.stderr);
  const s = JSON.parse(st.stdout) as {
    trades: number;
    lastCandle: string;
    policy: string;
    equity: number;
    cash: number;
    units: number;
    lastPrice: number;
    lastDecisions: unknown[];
    pnl: number;
    buyHoldPnl: number;
  };
  assert.equal(s.trades, reference.trades.length);
  assert.equal(s.lastCandle, isoTime(candles.ts[candles.ts.length - 1]));
  assert.equal(s.policy, 'strategy:sma-cross');
  assert.equal(s.lastPrice, candles.close[candles.close.length - 1]);
  assert.ok(Math.abs(s.equity - (s.cash + s.units * s.lastPrice)) < 1e-6);
  assert.equal(s.lastDecisions.length, 10);
  assert.ok(Math.abs(s.buyHoldPnl - (candles.close[candles.close.length - 1] / candles.close[200] - 1)) < 1e-12);
});

test(`kill -9 at random moments, restart each time: the final account, decisions and trades equal the uninterrupted \
run`, async () => {
  assert.ok(reference, 'needs the reference run');
  const db = path.join(tmp.dir, 'killed.db');
  const rng = new Rng(2024);
  const total = reference.decisions.length;
  let kills = 0;
  // first kill at a random moment of start-up, then kills when the catch-up has made a random amount of progress
  for (let attempt = 0; attempt < 5 && kills < 3; attempt++) {
    const before = decisionCount(db);
    const target = before + 1 + rng.int(Math.max(1, Math.floor((total - before) / 2)));
    const { child, done } = startBot(paperArgs(db, ['--once']));
    let exited = false;
    void done.then(() => (exited = true));
    const deadline = Date.now() + 60_000;
    // the first kill at a random moment of start-up, or sooner once the run reached its target: a warm machine can
    // finish the whole catch-up inside the start-up delay, and a run that ended was not killed mid-run
    const until = attempt === 0 ? Date.now() + 200 + rng.int(1500) : deadline;
    while (!exited && Date.now() < until && decisionCount(db) < target) await new Promise((r) => setTimeout(r, 5));
    if (!exited) {
      child.kill('SIGKILL');
      kills++;
    }
    await done;
  }
  assert.ok(kills >= 2, `the process was killed mid-run (${kills} kills)`);
  const r = await runBot(paperArgs(db, ['--once']));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(outcome(db), reference);
});

test(`SIGTERM during a catch-up: it stops between candles with its state flushed, exit code 0; a restart finishes \
exactly`, async () => {
  const db = path.join(tmp.dir, 'term.db');
  const { child, done } = startBot(paperArgs(db));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && decisionCount(db) === 0) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGTERM');
  const res = await done;
  assert.equal(res.code, 0, res.stderr);
  const stopped = outcome(db);
  const n = stopped.decisions.length;
  assert.ok(n > 0 && n <= reference.decisions.length);
  assert.deepEqual(
    stopped.decisions,
    reference.decisions.slice(0, n),
    'a prefix of the uninterrupted run: nothing skipped or repeated',
  );
  assert.deepEqual(
    stopped.trades,
    reference.trades.filter((t) => t.ts <= stopped.decisions[n - 1][0]),
    'and its fills up to there (a fill lands with the candle after its decision)',
  );
  const r = await runBot(paperArgs(db, ['--once']));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(outcome(db), reference, 'the restart carries on to exactly the uninterrupted run');
});
