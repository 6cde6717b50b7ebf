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

/** The runs stored in `db`: name, markets and the settings they started with. */
function storedRuns(db: string) {
  const store = CandleStore.open(db);
  try {
    const repo = new RunRepository(store.db);
    return repo.list().map((r) => ({ run: r, fees: repo.trades(r.id).map((t) => t.fee) }));
  } finally {
    store.close();
  }
}

test(`a portfolio's --band and --market-costs, and a rule's --seed, are the run's: another value on a resume is \
refused in one line, an omitted flag keeps the stored one`, async () => {
  const db = path.join(tmp.dir, 'settings.db');
  const at = (i: number) => isoTime(candles.ts[i] + HOUR + 10_000);
  const run = (args: string[], i: number) =>
    runBot(['paper', ...args, '--now', at(i), '--once', '--db', db, '--config', cfg, '--log-level', 'error']);
  const pf = ['--symbols', 'BTC/KRW,ETH/KRW', '--rebalance-every', '1'];
  const zero = ['--market-costs', 'ETH/KRW=zero,BTC/KRW=zero'];
  const first = await run([...pf, ...zero, '--band', '0', '--start', isoTime(candles.ts[140])], 145);
  assert.equal(first.code, 0, first.stderr);
  const filled = storedRuns(db)[0].fees.length;
  const said = 'error: the paper run "default" for BTC/KRW,ETH/KRW 1h started with ';
  const new_ = 'is for a new run (use --name for a new run, or --reset)\n';
  const cases: [string[], string][] = [
    [['--band', '0.5'], `${said}--band 0; --band 0.5 ${new_}`],
    [
      ['--market-costs', 'BTC/KRW=zero'],
      `${said}--market-costs BTC/KRW=zero,ETH/KRW=zero; --market-costs BTC/KRW=zero ${new_}`,
    ],
  ];
  for (const [extra, want] of cases) {
    const r = await run([...pf, ...extra], 147);
    assert.deepEqual([r.code, r.stderr], [1, want], extra.join(' '));
  }
  // the same values (in another order), or none: the stored ones, every drift rebalanced (no band) without a fee
  const same = await run([...pf, '--band', '0', '--market-costs', 'BTC/KRW=zero,ETH/KRW=zero'], 147);
  assert.equal(same.code, 0, same.stderr);
  const omitted = await run(pf, 150);
  assert.equal(omitted.code, 0, omitted.stderr);
  const [portfolio] = storedRuns(db);
  assert.deepEqual(portfolio.run.settings, {
    band: 0,
    marketCosts: { 'ETH/KRW': 'zero', 'BTC/KRW': 'zero' },
    seed: 1, // config/default.json's backtest.seed
  });
  assert.ok(portfolio.fees.length >= filled + 6, `the resumed run rebalanced at every candle: ${portfolio.fees}`);
  assert.deepEqual(new Set(portfolio.fees), new Set([0]), 'no fee: the stored --market-costs, not the config');
  // one market: a random rule's --seed
  const random = (extra: string[], i: number) => run(['--strategy', 'random', '--name', 'r', ...extra], i);
  assert.equal((await random(['--seed', '3', '--start', isoTime(candles.ts[140])], 145)).code, 0);
  const other = await random(['--seed', '2'], 147);
  assert.deepEqual(
    [other.code, other.stderr],
    [1, `error: the paper run "r" for BTC/KRW 1h started with --seed 3; --seed 2 ${new_}`],
  );
  assert.equal((await random([], 147)).code, 0);
  assert.deepEqual(storedRuns(db)[1].run.settings, { seed: 3 });
});

test(`bot paper --symbols naming a stored run's markets in another order resumes that run, in its order; \
bot status lists one run`, async () => {
  const db = path.join(tmp.dir, 'order.db');
  const at = (i: number) => isoTime(candles.ts[i] + HOUR + 10_000);
  const run = (symbols: string, i: number, extra: string[] = []) =>
    runBot([
      ...['paper', '--symbols', symbols, '--rebalance-every', '1', '--now', at(i), '--once'],
      ...['--db', db, '--config', cfg, '--log-level', 'error', ...extra],
    ]);
  const first = await run('BTC/KRW,ETH/KRW', 145, ['--start', isoTime(candles.ts[140])]);
  assert.equal(first.code, 0, first.stderr);
  const swapped = await run('ETH/KRW,BTC/KRW', 150);
  assert.equal(swapped.code, 0, swapped.stderr);
  assert.match(swapped.stdout, /^acted on 5 candle time\(s\).*BTC\/KRW [\d.]+%, ETH\/KRW [\d.]+%$/m);
  const runs = storedRuns(db);
  assert.deepEqual(
    runs.map((r) => [r.run.name, r.run.symbol, r.run.portfolio?.symbols, isoTime(r.run.lastTs ?? 0)]),
    [['default', 'BTC/KRW,ETH/KRW', ['BTC/KRW', 'ETH/KRW'], isoTime(candles.ts[150])]],
  );
  const status = await runBot(['status', '--db', db, '--config', cfg]);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(status.stdout.match(/paper run "default"/g)?.length, 1, status.stdout);
});
