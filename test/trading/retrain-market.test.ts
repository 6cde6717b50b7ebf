/**
 * A retrain runs on the market its model home serves (the serving model's meta.json `market`), not on the config's
 * default: a challenger trained and judged on BTC used to be promoted into an ETH home, which its live run then
 * traded on ETH. A market named on the command line that differs is refused in one line, before any disk or network
 * work; a home with nothing stored for its market says so and how to store it.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Candles } from '../../src/core/candles.ts';
import { candleRows, emptyCandles } from '../../src/core/candles.ts';
import { currentVersion } from '../../src/agents/model-pointer.ts';
import { loadConfig } from '../../src/config/load.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { runRetrainJob } from '../../src/trading/retrain-job.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import { promotedChampion, riseThenFall, saveAgent } from './agents.ts';
import { runBot, writeFakeExchangeConfig } from './cli.ts';
import { quietLogger, tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const RETRAIN = { trainCandles: 100, holdoutCandles: 40, epochs: 1, minImprovement: 0 };

/** Hourly upbit candles of `symbol` rising 0.3% a candle, from the start riseThenFall uses. */
function steadyRise(symbol: string, n: number): Candles {
  const c = emptyCandles('upbit', symbol, '1h', n);
  let price = 3_000_000;
  for (let i = 0; i < n; i++) {
    c.ts[i] = Date.UTC(2024, 0, 1) + i * HOUR;
    c.open[i] = price;
    price *= 1.003;
    c.close[i] = price;
    c.high[i] = price * 1.001;
    c.low[i] = c.open[i] * 0.999;
    c.volume[i] = 10 + (i % 7);
  }
  return c;
}

function fakeConfig(fake: FakeUpbit, db: string) {
  return loadConfig({
    overrides: {
      exchange: { ccxt: fake.ccxtOptions(), retries: 2, backoffMs: 10, maxBackoffMs: 50 },
      data: { database: db },
      log: { file: '' },
      ml: { backend: 'wasm' },
      trading: { retrain: RETRAIN },
    },
  });
}

test(`bot retrain --model of an ETH home, with a config whose market is BTC/KRW, trains and judges on ETH and records \
ETH: a BTC challenger is not promoted into it; --symbol BTC/KRW or --timeframe 1d is refused in one line`, async () => {
  const tmp = tempDir();
  // BTC falls over the holdout (a flat challenger beats the long champion and buy-and-hold there); ETH keeps rising
  const btc = riseThenFall(360, 40);
  const eth = steadyRise('ETH/KRW', 400);
  const fake = await startFakeUpbit({
    series: [
      { market: 'KRW-BTC', candles: btc },
      { market: 'KRW-ETH', candles: eth },
    ],
  });
  try {
    const db = path.join(tmp.dir, 'bot.db');
    const config = fakeConfig(fake, db);
    assert.equal(config.symbol, 'BTC/KRW');
    const store = CandleStore.open(db);
    store.upsert('upbit', 'BTC/KRW', '1h', candleRows(btc));
    store.upsert('upbit', 'ETH/KRW', '1h', candleRows(eth));
    store.close();
    const home = path.join(tmp.dir, 'models', 'eth2');
    await promotedChampion(home, eth); // trained on upbit ETH/KRW 1h, always long
    const trainedOn: string[] = [];
    const r = await runRetrainJob({
      config,
      logger: quietLogger(),
      model: home,
      clock: () => eth.ts[399] + HOUR + 10_000,
      train: async (req) => {
        trainedOn.push(`${req.candles.exchange} ${req.candles.symbol} ${req.candles.timeframe}`);
        await saveAgent(req.dir, 'sell', req.candles); // always flat
      },
    });
    assert.deepEqual(trainedOn, ['upbit ETH/KRW 1h']);
    assert.equal(r.outcome, 'rejected', r.reason);
    assert.match(r.reason, /does not beat buy-and-hold/, 'flat does not beat a rising ETH');
    assert.equal(currentVersion(home), 'champion', 'the ETH home keeps its ETH champion');
    const rows = (() => {
      const s = CandleStore.open(db);
      try {
        return s.db.prepare('SELECT exchange, symbol, timeframe FROM trading_retrains').all();
      } finally {
        s.close();
      }
    })();
    assert.deepEqual(rows, [{ exchange: 'upbit', symbol: 'ETH/KRW', timeframe: '1h' }]);

    // another market named on the command line: one line, nothing opened
    const cfg = writeFakeExchangeConfig(tmp.dir, fake, { trading: { retrain: RETRAIN } });
    const other = path.join(tmp.dir, 'other.db');
    for (const [flag, value] of [
      ['--symbol', 'BTC/KRW'],
      ['--timeframe', '1d'],
      ['--exchange', 'binance'],
    ]) {
      const refused = await runBot(['retrain', '--model', home, flag, value, '--config', cfg, '--db', other]);
      assert.equal(refused.code, 1, refused.stdout);
      assert.equal(
        refused.stderr,
        `error: model ${home} was trained on upbit ETH/KRW 1h; ${flag} names ${value}: a model home serves one ` +
          'market, and a retrain promotes into it what its runs trade ' +
          `(leave out ${flag}, or retrain another --model)\n`,
      );
    }
    assert.equal(existsSync(other), false, 'refused before the database was opened');
    // bot paper --retrain hands its market flags to the scheduled retrain, which would refuse them at every firing:
    // the trader refuses them when it starts
    const paper = await runBot([
      'paper',
      '--model',
      home,
      '--symbol',
      'BTC/KRW',
      '--retrain',
      '0 * * * *',
      '--config',
      cfg,
      '--db',
      other,
    ]);
    assert.equal(paper.code, 1, paper.stdout);
    assert.match(paper.stderr, new RegExp(`^error: model ${home} was trained on upbit ETH/KRW 1h; --symbol names BTC`));
    assert.equal(paper.stderr.split('\n').length, 2, paper.stderr);
    assert.equal(existsSync(other), false, 'paper refused before the database was opened');
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`a model trained on the bundled sample retrains on its timeframe (1d) and the config's market; nothing stored \
and the exchange down says so and how to store it; too few candles say how to store older ones`, async () => {
  const tmp = tempDir();
  const fake = await startFakeUpbit();
  const ccxt = fake.ccxtOptions();
  await fake.close(); // the exchange cannot be reached
  try {
    const db = path.join(tmp.dir, 'bot.db');
    const config = loadConfig({
      overrides: {
        exchange: { ccxt, retries: 0, backoffMs: 10, maxBackoffMs: 50 },
        data: { database: db },
        log: { file: '' },
        ml: { backend: 'wasm' },
        trading: { retrain: RETRAIN },
      },
    });
    const sample = syntheticCandles({ seed: 3, count: 300, timeframe: '1d', exchange: 'sample', symbol: 'SP500/USD' });
    const home = path.join(tmp.dir, 'models', 'spx');
    await promotedChampion(home, sample);
    const job = { config, logger: quietLogger(), model: home, clock: () => Date.UTC(2025, 0, 1, 0, 0, 10) };
    const train = async () => assert.fail('nothing to train on');
    const none = await runRetrainJob({ ...job, train });
    assert.equal(none.outcome, 'failed');
    // (the reason's `UserError: ` prefix is not this test's business)
    const stored = 'no candles of upbit BTC/KRW 1d are stored: store them with `bot data download` or ';
    assert.ok(
      none.reason.endsWith(`${stored}\`bot data import FILE\` (--exchange upbit --symbol BTC/KRW --timeframe 1d)`),
      none.reason,
    );
    const daily = syntheticCandles({ seed: 5, count: 10, timeframe: '1d', exchange: 'upbit', symbol: 'BTC/KRW' });
    const store = CandleStore.open(db);
    store.upsert('upbit', 'BTC/KRW', '1d', candleRows(daily));
    store.close();
    const few = await runRetrainJob({ ...job, train });
    assert.equal(few.outcome, 'failed');
    const fewLine =
      '10 candles of upbit BTC/KRW 1d are too few to retrain (warm-up 123 + window 100 + holdout 40): store older ' +
      'ones with `bot data download` or `bot data import FILE` (--exchange upbit --symbol BTC/KRW --timeframe 1d), ' +
      'or lower trading.retrain.trainCandles / trading.retrain.holdoutCandles';
    assert.ok(few.reason.endsWith(fewLine), few.reason);
  } finally {
    tmp.cleanup();
  }
});

test(`bot retrain --model of a single-market home --strategy ppo-portfolio names the home's market and what to do, \
not --model again; an empty home says it holds no model`, async () => {
  const tmp = tempDir();
  try {
    const home = path.join(tmp.dir, 'models', 'walk-dqn');
    await promotedChampion(home, riseThenFall(200, 20)); // upbit BTC/KRW 1h, saved by strategy dqn-dnn
    const cfg = path.join(tmp.dir, 'config.json');
    writeFileSync(cfg, JSON.stringify({ log: { file: '' } }));
    const db = path.join(tmp.dir, 'bot.db');
    const retrain = (model: string) =>
      runBot(['retrain', '--model', model, '--strategy', 'ppo-portfolio', '--config', cfg, '--db', db]);
    const r = await retrain(home);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(
      r.stderr,
      `error: strategy "ppo-portfolio" trades several markets: model ${home} is a single-market model ` +
        '(upbit BTC/KRW 1h, strategy dqn-dnn); leave out --strategy to retrain it with its own strategy, or give ' +
        '--model FOLDER, a portfolio model home\n',
    );
    const empty = path.join(tmp.dir, 'models', 'nothing');
    const e = await retrain(empty);
    assert.equal(e.code, 1, e.stdout);
    assert.equal(
      e.stderr,
      `error: strategy "ppo-portfolio" trades several markets: model ${empty} holds no model to retrain; give ` +
        '--model FOLDER, a portfolio model home\n',
    );
    assert.equal(existsSync(db), false, 'refused before the database was opened');
  } finally {
    tmp.cleanup();
  }
});
