/**
 * A clocked `bot paper --model` / `bot live --model` (no --once) whose model's files load but cannot serve the run's
 * candles (a scaler fitted on other feature columns): the first tick ends the start in one line naming the model
 * folder, exit 1, with no run left and, live, no claim on the account, as a --once start does. Real `bot` processes,
 * the fake Upbit, real tfjs model files.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { isoTime } from '../../src/data/timeframe.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { saveAgent, spoilScalerColumns } from './agents.ts';
import { runNames } from './cli.ts';
import { liveCliSetup, untilExitOrRetry } from './live-setup.ts';

test(`a clocked bot paper --model and bot live --model whose model cannot serve the run's candles exit 1 at the \
first tick in one line naming the model folder, leaving no run and no claim`, async () => {
  const s = await liveCliSetup(71, 20_000_000);
  try {
    const start = Date.UTC(2023, 0, 1);
    const train = syntheticCandles({
      seed: 3,
      count: 300,
      timeframe: '1h',
      start,
      exchange: 'upbit',
      symbol: 'BTC/KRW',
    });
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
