/**
 * `bot retrain` on a market with too few candles for the configured window: the outcome line is the user's message
 * (no internal error class name in it) and names the config keys that set the window.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { isoTime } from '../../src/data/timeframe.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { promotedChampion, riseThenFall } from './agents.ts';
import { runBot, writeFakeExchangeConfig } from './cli.ts';
import { tempDir } from './helpers.ts';

const HOUR = 3_600_000;

test('a retrain refused for too few candles prints its reason, no class name, and the keys to set', async () => {
  const tmp = tempDir('bot-retrain-few-');
  const end = Date.UTC(2025, 0, 10);
  const candles = riseThenFall(60, 40, end - 100 * HOUR);
  const fake = await startFakeUpbit({ series: [{ market: 'KRW-BTC', candles }] });
  try {
    const cfg = writeFakeExchangeConfig(tmp.dir, fake, {
      ml: { backend: 'wasm' },
      trading: { retrain: { trainCandles: 150, holdoutCandles: 60, epochs: 1 } },
    });
    const home = path.join(tmp.dir, 'models', 'btc');
    // the champion was trained on a longer history than the exchange now serves
    await promotedChampion(home, riseThenFall(300, 100));
    const r = await runBot([
      'retrain',
      '--model',
      home,
      '--strategy',
      'dqn-dnn',
      '--config',
      cfg,
      '--db',
      path.join(tmp.dir, 'bot.db'),
      '--now',
      isoTime(end),
      '--log-level',
      'error',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const line = r.stdout.trim();
    assert.match(
      line,
      /^failed: \d+ candles of [^(]+ are too few to retrain \(warm-up \d+ \+ window 150 \+ holdout 60\)/,
    );
    assert.ok(!line.includes('UserError'), line);
    assert.match(line, /trading\.retrain\.trainCandles/);
    assert.match(line, /trading\.retrain\.holdoutCandles/);
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});
