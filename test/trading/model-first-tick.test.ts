/**
 * A clocked `bot paper --model` / `bot live --model` (no --once) whose model's files load but cannot serve the run's
 * candles (a scaler fitted on other feature columns): the first tick ends the start in one line naming the model
 * folder, exit 1, with no run left and, live, no claim on the account, as a --once start does. Real `bot` processes,
 * the fake Upbit, real tfjs model files.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isoTime } from '../../src/data/timeframe.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { saveAgent, spoilScalerColumns } from './agents.ts';
import { runBot, runNames, writeDeadExchangeConfig } from './cli.ts';
import { tempDir } from './helpers.ts';
import { liveCliSetup, untilExitOrRetry } from './live-setup.ts';

/** The upbit BTC/KRW hourly candles the models are trained on. */
const train = syntheticCandles({
  seed: 3,
  count: 300,
  timeframe: '1h',
  start: Date.UTC(2023, 0, 1),
  exchange: 'upbit',
  symbol: 'BTC/KRW',
});

test(`a clocked bot paper --model and bot live --model whose model cannot serve the run's candles exit 1 at the \
first tick in one line naming the model folder, leaving no run and no claim`, async () => {
  const s = await liveCliSetup(71, 20_000_000);
  try {
    const home = path.join(s.tmp.dir, 'models', 'columns');
    await saveAgent(home, 'buy', train);
    spoilScalerColumns(home);
    const env = { UPBIT_API_KEY: 'first-tick-key', UPBIT_API_SECRET: 'first-tick-secret', TMPDIR: s.tmp.dir };
    const common = ['--model', home, '--now', isoTime(s.now), '--db', s.db, '--config', s.cfg, '--log-level', 'warn'];
    const runs = [
      ['paper', '--name', 'paper-columns', '--start', isoTime(s.candles.ts[95]), ...common],
      ['live', '--confirm-live', '--name', 'live-columns', ...common],
    ];
    for (const args of runs) {
      const { r, retried } = await untilExitOrRetry(args, env);
      // the tick used to fail, be logged and be tried again with backoff for as long as the service ran
      assert.equal(retried, false, `the first tick was tried again: ${r.stderr}`);
      assert.equal(r.code, 1, r.stderr);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
      assert.equal(errors.length, 1, r.stderr);
      assert.match(
        errors[0],
        new RegExp(`^error: model ${home}: version \\S+ cannot be loaded over the run's candles \\(scaler .*\\)$`),
      );
    }
    assert.deepEqual(runNames(s.db), [], 'no run left, none claiming the account');
    assert.equal(s.book.orders.length, 0, 'no order placed');
  } finally {
    await s.fake.close();
    s.tmp.cleanup();
  }
});

test(`bot paper --model whose meta.json scaler is malformed: one line naming the model folder, exit 1`, async () => {
  const tmp = tempDir('bot-model-scaler-');
  try {
    const home = path.join(tmp.dir, 'malformed');
    await saveAgent(home, 'buy', train);
    const file = path.join(home, 'meta.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), scaler: { columns: [] } }));
    const cfg = writeDeadExchangeConfig(tmp.dir);
    const db = path.join(tmp.dir, 'bot.db');
    const r = await runBot(['paper', '--model', home, '--once', '--db', db, '--config', cfg]);
    assert.equal(r.code, 1, r.stderr);
    // it said only `saved scaler state is malformed (…)`, naming no model
    assert.match(
      r.stderr,
      new RegExp(`^error: model ${home}: meta\\.json saved scaler state is malformed \\(.*\\)\\n$`),
    );
  } finally {
    tmp.cleanup();
  }
});
