/**
 * A model knows the market it was trained on (meta.json `market`) and is refused on candles of another timeframe:
 * by `bot paper` before any database is opened, by a running trader when a version of another timeframe is
 * promoted into its home, and by a retrain whose champion reads another timeframe. Another market is one line.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Candles } from '../../src/core/candles.ts';
import { checkModelMarket } from '../../src/agents/model-market.ts';
import { currentVersion, INITIAL_VERSION, promoteVersion, stageVersion } from '../../src/agents/model-pointer.ts';
import { loadConfig } from '../../src/config/load.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { modelPolicySource } from '../../src/trading/model-policy-source.ts';
import { retrainOnce } from '../../src/trading/retrain.ts';
import { runBot } from '../cli/run.ts';
import { saveAgent, SMALL_RECIPE } from './agents.ts';
import { capturingLogger } from '../helpers/log.ts';
import { log, setLogger } from '../../src/core/log.ts';
import { tempDir } from './helpers.ts';

const market = (timeframe: string): Candles =>
  syntheticCandles({
    seed: 4,
    count: 300,
    timeframe,
    start: Date.UTC(2024, 0, 1),
    tick: 1000,
    exchange: 'upbit',
    symbol: 'BTC/KRW',
  });

test('checkModelMarket: the same market passes, another market is a line, another timeframe is refused', async () => {
  const tmp = tempDir();
  try {
    const home = path.join(tmp.dir, 'models', 'h1');
    await saveAgent(home, 'seeded', market('1h'));
    assert.equal(checkModelMarket(home, home, { exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' }), undefined);
    assert.equal(
      checkModelMarket(home, home, { exchange: 'upbit', symbol: 'ETH/KRW', timeframe: '1h' }),
      `model ${home} was trained on upbit BTC/KRW 1h and now runs on upbit ETH/KRW 1h`,
    );
    // a CSV's symbol is only what the user called it
    assert.equal(checkModelMarket(home, home, { exchange: 'file', symbol: 'x', timeframe: '1h' }), undefined);
    assert.throws(
      () => checkModelMarket(home, home, { exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1d' }),
      new RegExp(
        `^UserError: model ${home} was trained on upbit BTC/KRW 1h; this run uses 1d candles, .*` +
          'give --timeframe 1h, or train a model on 1d candles$',
      ),
    );
    // a model saved before meta.json had a market is not checked
    const metaFile = path.join(home, 'meta.json');
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { market?: unknown };
    delete meta.market;
    writeFileSync(metaFile, JSON.stringify(meta));
    assert.equal(checkModelMarket(home, home, { exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1d' }), undefined);
  } finally {
    tmp.cleanup();
  }
});

test('bot predict --sample with a 1h model: the sample has only daily candles, so --data or --exchange', async () => {
  const tmp = tempDir();
  const home = path.join(tmp.dir, 'models', 'btc');
  try {
    await saveAgent(home, 'buy', market('1h'));
    const r = await runBot(['predict', '--model', home, '--sample', '--backend', 'cpu']);
    assert.equal(r.code, 1, r.stderr);
    // it said "give --timeframe 1h", which --sample cannot take
    assert.equal(
      r.stderr,
      `error: model ${home} was trained on upbit BTC/KRW 1h; this run uses 1d candles, and its window, holding ` +
        'period and scaler count 1h candles: the bundled sample (--sample) has only 1d candles; give --data FILE ' +
        'of 1h candles or --exchange NAME --symbol X --timeframe 1h, or train a model on the sample\n',
    );
  } finally {
    tmp.cleanup();
  }
});

test(`bot paper with a model of another timeframe stops in one line before any database; a trader keeps serving \
its version when one of another timeframe is promoted; a retrain refuses a champion of another timeframe`, async () => {
  const tmp = tempDir();
  const hourly = market('1h');
  const daily = market('1d');
  const home = path.join(tmp.dir, 'models', 'btc');
  const db = path.join(tmp.dir, 'bot.db');
  try {
    await saveAgent(home, 'buy', hourly);
    const r = await runBot(['paper', '--model', home, '--timeframe', '1d', '--once', '--db', db, '--backend', 'cpu']);
    assert.equal(r.code, 1, r.stderr);
    const errors = r.stderr.split('\n').filter((l) => l.trim() !== '');
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0], /^error: model .* was trained on upbit BTC\/KRW 1h; this run uses 1d candles/);
    assert.equal(existsSync(db), false, 'refused before the database was opened');

    const config = loadConfig({
      overrides: {
        data: { database: db },
        log: { file: '' },
        trading: { retrain: { trainCandles: 100, holdoutCandles: 40, epochs: 1, minImprovement: 0 } },
      },
    });
    const serving = await modelPolicySource(home, config); // the config's market: upbit BTC/KRW 1h
    const lines: string[] = [];
    const captured = capturingLogger(lines);
    const before = log();
    setLogger(captured);
    try {
      const staged = stageVersion(home, 'daily');
      await saveAgent(staged.dir, 'sell', daily);
      staged.commit();
      promoteVersion(home, 'daily');
      const handle = await serving.source.forCandles(hourly);
      assert.equal(handle.version, INITIAL_VERSION, 'the hourly run kept its hourly model');
      // another timeframe never passes: no timed retry is promised (audit, session 38)
      const givenUp =
        /version daily cannot be loaded \(.*1d candles.*\); still serving initial \(not tried again unless/;
      assert.ok(
        lines.some((l) => givenUp.test(l)),
        lines.join('\n'),
      );
    } finally {
      setLogger(before);
      serving.source.dispose?.();
    }

    // the home's champion is now the daily version: a retrain on hourly candles fails and leaves it alone
    const store = CandleStore.open(db);
    try {
      let trained = false;
      const result = await retrainOnce({
        config,
        logger: captured,
        store,
        home,
        candles: hourly,
        strategyName: 'dqn-dnn',
        recipe: SMALL_RECIPE,
        train: async () => {
          trained = true;
        },
      });
      assert.equal(result.outcome, 'failed', result.reason);
      assert.match(result.reason, /trained on upbit BTC\/KRW 1d; this run uses 1h candles/);
      assert.equal(trained, false, 'no challenger was trained');
      assert.equal(currentVersion(home), 'daily');
    } finally {
      store.close();
    }
  } finally {
    tmp.cleanup();
  }
});
