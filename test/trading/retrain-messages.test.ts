/**
 * What `bot retrain` says, and leaves on disk, when its input is off: a `--now` before every stored candle, or far
 * after the newest (the exchange down), a `--model` that is a file or does not exist, and a first retrain of a new
 * default home that fails (no folder is left) or is rejected (the home keeps the record of its challenger).
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { candleRows } from '../../src/core/candles.ts';
import { loadConfig } from '../../src/config/load.ts';
import { CandleStore } from '../../src/data/store.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { runRetrainJob } from '../../src/trading/retrain-job.ts';
import { HOME_LOCK_FILE } from '../../src/trading/retrain.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { promotedChampion, riseThenFall, saveAgent } from './agents.ts';
import { quietLogger, tempDir } from './helpers.ts';

const HOUR = 3_600_000;

/**
 * A temp folder with a config whose exchange cannot be reached (a fake Upbit, closed), whose models live in
 * `<dir>/models` and whose store holds `candles` (upbit BTC/KRW 1h) when given.
 */
async function offline(candles?: ReturnType<typeof riseThenFall>) {
  const tmp = tempDir('bot-retrain-messages-');
  const fake = await startFakeUpbit();
  const ccxt = fake.ccxtOptions();
  await fake.close();
  const db = path.join(tmp.dir, 'bot.db');
  const config = loadConfig({
    overrides: {
      exchange: { ccxt, retries: 0, backoffMs: 10, maxBackoffMs: 50 },
      data: { database: db },
      agent: { modelsDir: path.join(tmp.dir, 'models') },
      log: { file: '' },
      ml: { backend: 'wasm' },
      trading: { retrain: { trainCandles: 100, holdoutCandles: 40, epochs: 1, minImprovement: 0 } },
    },
  });
  if (candles) {
    const store = CandleStore.open(db);
    store.upsert('upbit', 'BTC/KRW', '1h', candleRows(candles));
    store.close();
  }
  return { tmp, config, db };
}

test(`a --now before every stored candle says they are stored, from when, and none closed by then; a --now far \
after the newest warns how stale the data is`, async () => {
  const candles = riseThenFall(260, 40);
  const { tmp, config } = await offline(candles);
  try {
    const home = path.join(tmp.dir, 'models', 'btc');
    await promotedChampion(home, candles);
    const warnings: string[] = [];
    const logger = quietLogger();
    logger.warn = ((msg: string) => (warnings.push(msg), logger)) as typeof logger.warn;
    const job = { config, logger, model: home, train: () => Promise.reject(new Error('no training here')) };
    const before = Date.UTC(2023, 11, 1);
    const early = await runRetrainJob({ ...job, clock: () => before });
    assert.equal(early.outcome, 'failed');
    assert.match(
      early.reason,
      new RegExp(
        `candles of upbit BTC/KRW 1h are stored, but none closed by ${isoTime(before)} \\(the clock, --now\\): ` +
          `the first opens at ${isoTime(candles.ts[0])}; store older ones with`,
      ),
    );
    const late = candles.ts[candles.ts.length - 1] + 30 * 24 * HOUR + HOUR + 60_000;
    await runRetrainJob({ ...job, clock: () => late });
    const stale = warnings.filter((w) => w.includes('stale'));
    assert.equal(stale.length, 1, warnings.join('\n'));
    assert.match(
      stale[0],
      new RegExp(
        `^retrain: the newest stored candle of upbit BTC/KRW 1h opens at ${isoTime(candles.ts.at(-1) as number)}, ` +
          `720 candles \\(30\\.0 days\\) before the newest the clock \\(${isoTime(late)}\\) has closed: this retrain ` +
          'trains and judges on stale data',
      ),
    );
  } finally {
    tmp.cleanup();
  }
});

test(`a retrain of a derived series (\`bot data derive\`) does not refresh it: one info line, once for a scheduled \
retrain's logger, no warning`, async () => {
  const candles = riseThenFall(260, 40);
  const { tmp, config, db } = await offline();
  const label = 'derived: 2× IDX/KRW rebalanced every 1h candle, fee 0%/yr';
  const store = CandleStore.open(db);
  store.replaceDerived({ ...candles, exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' }, label);
  store.close();
  try {
    const home = path.join(tmp.dir, 'models', 'btc');
    await promotedChampion(home, candles);
    const said: string[] = [];
    const logger = quietLogger();
    logger.warn = ((msg: string) => (said.push(`warn ${msg}`), logger)) as typeof logger.warn;
    logger.info = ((msg: string) => (said.push(`info ${msg}`), logger)) as typeof logger.info;
    const job = { config, logger, model: home, train: () => Promise.reject(new Error('no training here')) };
    const clock = () => (candles.ts.at(-1) as number) + HOUR + 60_000;
    // a scheduled retrain: the same logger, twice
    for (let i = 0; i < 2; i++) await runRetrainJob({ ...job, clock });
    assert.deepEqual(
      said.filter((l) => l.includes('derived') || l.includes('refresh')),
      [
        `info retrain: upbit BTC/KRW 1h is ${label}: not refreshed from the exchange (its prices are not the ` +
          'derived ones); retraining on its stored candles (`bot data derive` again brings it up to date)',
      ],
    );
    const kept = CandleStore.open(db);
    try {
      assert.deepEqual([...kept.load('upbit', 'BTC/KRW', '1h').close], [...candles.close]);
      assert.equal(kept.label('upbit', 'BTC/KRW', '1h'), label);
    } finally {
      kept.close();
    }
  } finally {
    tmp.cleanup();
  }
});

test(`--model naming a file says it is a file, not a model folder; a --model that does not exist is refused (a \
typo made a new home) before the database is opened, and nothing is made`, async () => {
  const { tmp, config, db } = await offline();
  try {
    const file = path.join(tmp.dir, 'model.json');
    writeFileSync(file, '{}');
    const job = { config, logger: quietLogger(), train: () => assert.fail('nothing to train') };
    for (const strategy of [undefined, 'dqn-dnn'])
      await assert.rejects(runRetrainJob({ ...job, model: file, strategy }), {
        message: `--model ${file} is a file, not a model folder (a model home: a folder with the model)`,
      });
    const typo = path.join(tmp.dir, 'models', 'btx');
    for (const strategy of [undefined, 'dqn-dnn'])
      await assert.rejects(runRetrainJob({ ...job, model: typo, strategy }), /--model .*btx: no such folder/);
    await assert.rejects(runRetrainJob({ ...job, model: typo, strategy: 'dqn-dnn' }), {
      message:
        `--model ${typo}: no such folder; a retrain promotes into an existing model home (to start a new one, ` +
        `create the folder, or leave out --model for ${path.join(tmp.dir, 'models', 'dqn-dnn')})`,
    });
    assert.equal(existsSync(typo), false);
    assert.equal(existsSync(db), false, 'refused before the database was opened');
  } finally {
    tmp.cleanup();
  }
});

test(`a first retrain of a new default home (<agent.modelsDir>/<strategy>) that fails leaves no folder \
behind`, async () => {
  const { tmp, config } = await offline();
  try {
    const r = await runRetrainJob({
      config,
      logger: quietLogger(),
      strategy: 'dqn-dnn',
      clock: () => Date.UTC(2025, 0, 1),
      train: () => assert.fail('nothing to train'),
    });
    assert.equal(r.outcome, 'failed');
    assert.match(r.reason, /no candles of upbit BTC\/KRW 1h are stored/);
    assert.equal(existsSync(path.join(tmp.dir, 'models', 'dqn-dnn')), false);
  } finally {
    tmp.cleanup();
  }
});

test(`a first retrain of a new default home that is rejected keeps the home with the record of its challenger: the \
next retrain, through another database, counts it on its holdout`, async () => {
  const candles = riseThenFall(260, 40);
  const { tmp, config } = await offline(candles);
  const otherDb = path.join(tmp.dir, 'other.db');
  const other = CandleStore.open(otherDb);
  other.upsert('upbit', 'BTC/KRW', '1h', candleRows(candles));
  other.close();
  try {
    const home = path.join(tmp.dir, 'models', 'dqn-dnn');
    const said: string[] = [];
    const logger = quietLogger();
    logger.info = ((msg: string) => (said.push(msg), logger)) as typeof logger.info;
    const retrain = (database: string) =>
      runRetrainJob({
        config: { ...config, data: { ...config.data, database } },
        logger,
        strategy: 'dqn-dnn',
        clock: () => (candles.ts.at(-1) as number) + HOUR + 60_000,
        // always long: buy-and-hold's return, which it does not beat
        train: (req) => saveAgent(req.dir, 'buy', req.candles),
      });
    const first = await retrain(config.data.database);
    assert.equal(first.outcome, 'rejected', first.reason);
    assert.match(first.reason, /^challenger \S+ does not beat buy-and-hold/);
    assert.ok(existsSync(path.join(home, HOME_LOCK_FILE)), 'the record of the rejected challenger is kept');
    assert.ok(
      said.some((l) => l.startsWith(`retrain: kept ${home} (no model yet): its ${HOME_LOCK_FILE} records 1 rejected`)),
      said.join('\n'),
    );
    const next = await retrain(otherDb);
    assert.equal(next.outcome, 'rejected', next.reason);
    assert.equal(next.holdoutTrial, 2);
    assert.match(next.reason, /^the 2nd challenger judged on this holdout: challenger /);
  } finally {
    tmp.cleanup();
  }
});
