/**
 * `bot paper` on a stored run: `--balance` and `--start` set up a new run, so on a run that started otherwise they are
 * refused in one line naming --reset (they used to be ignored, the account staying as it was), as another strategy is.
 */
import assert from 'node:assert/strict';
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

before(async () => {
  fake = await startFakeUpbit({ now: () => now, series: [{ market: 'KRW-BTC', candles }] });
  cfg = writeFakeExchangeConfig(tmp.dir, fake);
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
