/**
 * `bot retrain` of a one-market model on the bundled sample's series in the store (`--exchange sample`, put there by
 * `bot data derive --exchange sample`): offline, no exchange asked, as a portfolio model of the sample retrains. It
 * used to warn `could not refresh history (exchange.id: unknown exchange "sample" …)` and that the data was stale,
 * naming `bot data derive` for a series already stored. The exchange in the config is a dead address.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { runBot, writeRetrainConfig } from './cli.ts';
import { tempDir } from './helpers.ts';

test(`bot retrain --model <one-market model> --exchange sample --symbol SP500/USD --timeframe 1d on the stored \
sample: no exchange asked, no refresh or stale-data warning`, async () => {
  const tmp = tempDir('bot-sample-retrain-');
  try {
    const cfg = writeRetrainConfig(tmp.dir, { trainCandles: 1200, holdoutCandles: 200, epochs: 1, minImprovement: 0 });
    const home = path.join(tmp.dir, 'models', 'dqn-dnn');
    const out = path.join(tmp.dir, 'out');
    const trained = await runBot([
      'backtest',
      '--strategy',
      'dqn-dnn',
      '--sample',
      '--epochs',
      '1',
      '--config',
      cfg,
      '--out',
      out,
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const market = ['--exchange', 'sample', '--timeframe', '1d', '--config', cfg];
    const derive = ['data', 'derive', ...market, '--from', 'SP500/USD', '--leverage', '2', '--symbol', 'SP500-2X/USD'];
    const derived = await runBot(derive);
    assert.equal(derived.code, 0, derived.stderr);

    const retrain = await runBot(['retrain', '--model', home, ...market, '--symbol', 'SP500/USD', '--json']);
    assert.equal(retrain.code, 0, retrain.stderr);
    const verdict = JSON.parse(retrain.stdout.trim().split('\n').pop() as string) as { outcome: string };
    assert.ok(['promoted', 'rejected'].includes(verdict.outcome), retrain.stdout);
    assert.doesNotMatch(retrain.stderr, /could not refresh|unknown exchange|stale|127\.0\.0\.1/, retrain.stderr);
  } finally {
    tmp.cleanup();
  }
});
