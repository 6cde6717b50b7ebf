/**
 * `bot paper` on a stored run: `--balance` and `--start` set up a new run, so on a run that started otherwise they are
 * refused in one line naming --reset (they used to be ignored, the account staying as it was), as another strategy is.
 * The config's account.balance is a new run's too: a resumed run is not checked against the minimum order with it.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { runBot, writeFakeExchangeConfig } from './cli.ts';
import { tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const candles = syntheticCandles({
  seed: 7,
  count: 200,
  timeframe: '1h',
  start: Date.UTC(2024, 0, 1),
  tick: 1000,
  symbol: 'KRW-BTC',
});
const now = candles.ts[150] + HOUR + 10_000;
const tmp = tempDir('bot-paper-resume-');
let fake: FakeUpbit;
let cfg: string;
/** The same exchange with account.balance 1, below the minimum order (5000). */
let smallCfg: string;

before(async () => {
  const eth = syntheticCandles({
    seed: 8,
    count: 200,
    timeframe: '1h',
    start: candles.ts[0],
    tick: 100,
    symbol: 'KRW-ETH',
  });
  fake = await startFakeUpbit({
    now: () => now,
    series: [
      { market: 'KRW-BTC', candles },
      { market: 'KRW-ETH', candles: eth },
    ],
  });
  cfg = writeFakeExchangeConfig(tmp.dir, fake);
  mkdirSync(path.join(tmp.dir, 'small'));
  smallCfg = writeFakeExchangeConfig(path.join(tmp.dir, 'small'), fake, { account: { balance: 1 } });
});
after(async () => {
  await fake.close();
  tmp.cleanup();
});

test('bot paper refuses --balance or --start that differ from the stored run; --reset starts over', async () => {
  const db = path.join(tmp.dir, 'paper.db');
  const paper = (extra: string[]) =>
    runBot([
      'paper',
      '--strategy',
      'sma-cross',
      '--now',
      isoTime(now),
      '--once',
      '--db',
      db,
      '--config',
      cfg,
      '--log-level',
      'error',
      ...extra,
    ]);
  const start = isoTime(candles.ts[140]);
  const first = await paper(['--balance', '10000000', '--start', start]);
  assert.equal(first.code, 0, first.stderr);
  const initial = () => {
    const store = CandleStore.open(db);
    try {
      const run = new RunRepository(store.db).list()[0];
      return { balance: run.initialBalance, start: isoTime(run.startTs) };
    } finally {
      store.close();
    }
  };
  assert.deepEqual(initial(), { balance: 10_000_000, start });
  const said = `the paper run "default" for BTC/KRW 1h started with 10000000 at ${start}; `;
  const richer = await paper(['--balance', '5000000']);
  assert.equal(richer.code, 1);
  assert.equal(
    richer.stderr,
    `error: ${said}--balance 5000000 is for a new run (use --name for a new run, or --reset)\n`,
  );
  const later = await paper(['--start', '2024-01-03T00:00:00Z']);
  assert.equal(later.code, 1);
  assert.equal(
    later.stderr,
    `error: ${said}--start 2024-01-03T00:00:00Z is for a new run (use --name for a new run, or --reset)\n`,
  );
  assert.deepEqual(initial(), { balance: 10_000_000, start }, 'the run is as it was');
  // the same settings resume the run; --reset starts over with the new ones
  const same = await paper(['--balance', '10000000', '--start', start]);
  assert.equal(same.code, 0, same.stderr);
  const reset = await paper(['--balance', '5000000', '--reset']);
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal(initial().balance, 5_000_000);
});

test('a resumed run trades its stored account: a balance below the minimum order refuses new runs only', async () => {
  const db = path.join(tmp.dir, 'resume-small.db');
  const paper = (policy: string[], config: string, extra: string[] = []) =>
    runBot(['paper', ...policy, '--now', isoTime(now), '--once', '--db', db, '--config', config, ...extra]);
  const tooSmall =
    "error: balance 1 is below the minimum order value 5000 (account.minOrderValue, config/default.json's " +
    "Upbit KRW minimum): no order could be placed; raise --balance or account.balance, or choose your market's " +
    'costs: account.preset (krx-stock, zero) or account.minOrderValue in a --config file\n';
  const start = isoTime(candles.ts[140]);
  for (const policy of [
    ['--strategy', 'sma-cross'],
    ['--symbols', 'BTC/KRW,ETH/KRW', '--strategy', 'equal-weight'],
  ]) {
    const what = policy.join(' ');
    const first = await paper(policy, cfg, ['--balance', '10000000', '--start', start, '--log-level', 'error']);
    assert.equal(first.code, 0, `${what}: ${first.stderr}`);
    // the stored run, not account.balance, is what a resume trades: it used to be refused by the config's balance
    const resumed = await paper(policy, smallCfg, ['--log-level', 'error']);
    assert.equal(resumed.code, 0, `${what}: ${resumed.stderr}`);
    // a new run (another name, or --reset) would trade account.balance: still refused, the stored run kept
    const other = await paper(policy, smallCfg, ['--name', 'other']);
    assert.deepEqual([other.code, other.stderr], [1, tooSmall], what);
    const reset = await paper(policy, smallCfg, ['--reset']);
    assert.deepEqual([reset.code, reset.stderr], [1, tooSmall], what);
  }
  const store = CandleStore.open(db);
  try {
    const runs = new RunRepository(store.db).list();
    assert.deepEqual(
      runs.map((r) => [r.name, r.symbol, r.initialBalance]),
      [
        ['default', 'BTC/KRW', 10_000_000],
        ['default', 'BTC/KRW,ETH/KRW', 10_000_000],
      ],
    );
  } finally {
    store.close();
  }
});
