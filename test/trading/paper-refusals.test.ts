/**
 * `bot paper` refusals no retry changes, and first ticks that leave nothing behind: a clocked process over a stored run
 * trading another policy exits 1 with one line (it retried the tick every 30 s, forever); a --now before the run's last
 * candle is one line before any network; an offline replay missing its newest candle names that candle; a first tick
 * whose strategy fails leaves no run. Real `bot` processes, the fake Upbit (real ccxt), a real SQLite file.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { candleRows } from '../../src/core/candles.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { runBot, runNames, startBot, writeDeadExchangeConfig, writeFakeExchangeConfig, type BotResult } from './cli.ts';
import { tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const series = (seed: number, symbol: string) =>
  syntheticCandles({ seed, count: 200, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000, symbol });
const btc = series(7, 'KRW-BTC');
const eth = series(8, 'KRW-ETH');
/** The clock just after the candle at index i closed. */
const closeOf = (i: number) => btc.ts[i] + HOUR + 10_000;
const NOW = closeOf(150);
const START = isoTime(btc.ts[140]);
const tmp = tempDir('bot-paper-refusals-');
let fake: FakeUpbit;
let cfg: string;
let deadCfg: string;

before(async () => {
  fake = await startFakeUpbit({
    now: () => NOW,
    series: [
      { market: 'KRW-BTC', candles: btc },
      { market: 'KRW-ETH', candles: eth },
    ],
  });
  cfg = writeFakeExchangeConfig(tmp.dir, fake);
  deadCfg = writeDeadExchangeConfig(tmp.dir);
});
after(async () => {
  await fake.close();
  tmp.cleanup();
});

const paper = (db: string, args: string[], now = NOW, config = cfg) =>
  runBot(['paper', '--now', isoTime(now), '--db', db, '--config', config, '--log-level', 'warn', ...args]);

/** A clocked `bot paper` (no --once); killed after a minute, so a process that retries forever fails the test. */
async function clocked(db: string, args: string[]): Promise<BotResult> {
  const bot = startBot(['paper', '--now', isoTime(NOW), '--db', db, '--config', cfg, '--log-level', 'warn', ...args]);
  const guard = setTimeout(() => bot.child.kill('SIGKILL'), 60_000);
  try {
    return await bot.done;
  } finally {
    clearTimeout(guard);
  }
}

const errorLines = (r: BotResult) => r.stderr.split('\n').filter((l) => l.trim());

test(`a clocked bot paper over a run trading another policy exits 1 with one line, asking the exchange nothing; \
one market and a portfolio`, async () => {
  const db = path.join(tmp.dir, 'policy.db');
  const cases = [
    {
      first: ['--strategy', 'sma-cross'],
      then: ['--strategy', 'buy-and-hold'],
      want: 'trades strategy:sma-cross, not strategy:buy-and-hold',
    },
    {
      first: ['--symbols', 'BTC/KRW,ETH/KRW', '--strategy', 'equal-weight'],
      then: ['--symbols', 'BTC/KRW,ETH/KRW', '--strategy', 'equal-weight', '--rebalance-every', '5'],
      want: 'trades strategy:equal-weight/20, not strategy:equal-weight/5',
    },
  ];
  for (const c of cases) {
    const first = await paper(db, [...c.first, '--start', START, '--once']);
    assert.equal(first.code, 0, first.stderr);
    const asked = fake.state.requests.length;
    const r = await clocked(db, c.then);
    assert.equal(r.code, 1, `exits 1 rather than retrying the tick:\n${r.stderr}`);
    const lines = errorLines(r);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^error: the paper run "default" for BTC\/KRW(,ETH\/KRW)? 1h /);
    assert.ok(lines[0].includes(c.want), lines[0]);
    assert.equal(fake.state.requests.length, asked, 'nothing was asked of the exchange');
  }
});

test(`bot paper with a --now before the close of the run's last candle is one line naming both, exit 1, before any \
network; with --once and on the clock`, async () => {
  const db = path.join(tmp.dir, 'early.db');
  const first = await paper(db, ['--strategy', 'sma-cross', '--start', START, '--name', 'early', '--once']);
  assert.equal(first.code, 0, first.stderr);
  const early = closeOf(120);
  const want =
    `error: the clock (${isoTime(early)}) is before the close of the candle ${isoTime(btc.ts[150])}, the last the ` +
    `paper run "early" acted on: give a --now at or after ${isoTime(btc.ts[151])}, or --name for a new run`;
  const asked = fake.state.requests.length;
  const once = await paper(db, ['--strategy', 'sma-cross', '--name', 'early', '--once'], early);
  assert.deepEqual([once.code, errorLines(once)], [1, [want]]);
  const bot = await runBot([
    'paper',
    ...['--strategy', 'sma-cross', '--name', 'early', '--now', isoTime(early), '--db', db, '--config', cfg],
  ]);
  assert.equal(bot.code, 1, bot.stderr);
  assert.ok(bot.stderr.includes(want.slice('error: '.length)), bot.stderr);
  assert.equal(fake.state.requests.length, asked, 'nothing was asked of the exchange');
});

test(`an offline replay whose newest candle closed by --now is not stored names that candle in one line, exit 1, \
leaving no new run behind`, async () => {
  const db = path.join(tmp.dir, 'hole.db');
  const store = CandleStore.open(db);
  store.upsert(
    'upbit',
    'BTC/KRW',
    '1h',
    candleRows(btc).filter((c) => c.ts !== btc.ts[150] && c.ts <= btc.ts[150]),
  );
  store.close();
  const r = await paper(db, ['--strategy', 'sma-cross', '--start', START, '--name', 'hole', '--once'], NOW, deadCfg);
  assert.equal(r.code, 1, r.stdout);
  const lines = errorLines(r).filter((l) => l.startsWith('error'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^error: upbit cannot be reached \(.*\); BTC\/KRW 1h: the candle /);
  assert.ok(
    lines[0].endsWith(
      `the candle ${isoTime(btc.ts[150])}, closed by --now ${isoTime(NOW)}, is not stored (the newest stored ` +
        `before it opened ${isoTime(btc.ts[149])}): store it, or give a --now before ${isoTime(btc.ts[151])} to ` +
        'replay up to the stored candles',
    ),
    lines[0],
  );
  assert.deepEqual(runNames(db), [], 'no run "hole" left behind');
  // a --now before the hole replays the stored candles
  const before = await paper(db, ['--strategy', 'sma-cross', '--start', START, '--once'], closeOf(149), deadCfg);
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.stdout, /acted on 10 candle\(s\)/);
});

test(`a first paper tick that fails on its strategy's decision leaves no run behind; one that acted keeps its \
run`, async () => {
  const db = path.join(tmp.dir, 'bad.db');
  /** A rule strategy deciding the action "BUY", which does not exist, from its decision `from` on. */
  const strategy = (name: string, from: number): string => {
    const file = path.join(tmp.dir, `${name}.ts`);
    writeFileSync(
      file,
      `let n = 0;
export default {
  kind: 'rule',
  name: '${name}',
  description: 'decides an action that does not exist',
  createPolicy: () => ({
    name: '${name}',
    decide: () => (++n >= ${from} ? { action: 'BUY', confidence: 1 } : { action: 'hold', confidence: 0 }),
  }),
};
`,
    );
    return file;
  };
  const r = await paper(db, ['--strategy', strategy('bad-action', 1), '--start', START, '--name', 'bad', '--once']);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(errorLines(r).filter((l) => l.startsWith('error')).length, 1, r.stderr);
  assert.deepEqual(runNames(db), [], `no run "bad" left behind:\n${r.stderr}`);
  const late = await paper(db, ['--strategy', strategy('late-bad', 4), '--start', START, '--name', 'late', '--once']);
  assert.equal(late.code, 1, late.stdout);
  const store = CandleStore.open(db);
  try {
    const repo = new RunRepository(store.db);
    const run = repo.list().find((x) => x.name === 'late');
    assert.ok(run, `the run that acted is kept:\n${late.stderr}`);
    assert.equal(repo.decisionCount(run.id), 3);
  } finally {
    store.close();
  }
});
