/**
 * The ETF-pair model of the bundled sample (README: `bot backtest --strategy ppo-etf-pair --sample`) records its
 * origin, exchange `sample`; `bot retrain` and `bot paper --once` of its home read that origin's series from the
 * store (put there by `bot data derive --exchange sample`), offline. They used to look for upbit SP500-2X/USD (advising
 * a download no exchange can serve), or stop at `unknown exchange "sample"`. The exchange in the config is a dead
 * address: nothing here may ask it.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { CandleStore } from '../../src/data/store.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { runBot, writeRetrainConfig } from './cli.ts';
import { tempDir } from './helpers.ts';

test(`a ppo-etf-pair model trained on --sample retrains and paper-trades (--once) on the sample's stored series \
offline; nothing stored names bot data derive, a paper run on a clock and a live run are one line`, async () => {
  const tmp = tempDir();
  try {
    const db = path.join(tmp.dir, 'bot.db');
    const cfg = writeRetrainConfig(tmp.dir, { trainCandles: 150, holdoutCandles: 60, epochs: 1, minImprovement: 0 });
    const home = path.join(tmp.dir, 'models', 'ppo-etf-pair');
    const out = path.join(tmp.dir, 'out');
    // one epoch of the ETF-pair recipe on the bundled sample, the model saved into the config's modelsDir
    const train = ['backtest', '--strategy', 'ppo-etf-pair', '--sample', '--epochs', '1'];
    const trained = await runBot([...train, '--config', cfg, '--out', out]);
    assert.equal(trained.code, 0, trained.stderr);

    // nothing stored yet: the way to store the sample's series, not a download from an exchange that lacks them
    const empty = await runBot(['retrain', '--model', home, '--config', cfg]);
    assert.equal(empty.code, 1, empty.stdout);
    assert.match(empty.stdout + empty.stderr, /no candles of sample SP500-2X\/USD 1d are stored: .*bot data derive/);
    assert.doesNotMatch(empty.stdout + empty.stderr, /upbit|download/);

    for (const [leverage, symbol] of [
      ['2', 'SP500-2X/USD'],
      ['-1', 'SP500-INV/USD'],
    ]) {
      const derive = ['data', 'derive', '--exchange', 'sample', '--timeframe', '1d', '--from', 'SP500/USD'];
      const r = await runBot([...derive, '--leverage', leverage, '--symbol', symbol, '--config', cfg]);
      assert.equal(r.code, 0, r.stderr);
    }
    const retrain = await runBot(['retrain', '--model', home, '--config', cfg, '--json']);
    assert.equal(retrain.code, 0, retrain.stderr);
    const verdict = JSON.parse(retrain.stdout.trim().split('\n').pop() as string) as { outcome: string };
    assert.ok(['promoted', 'rejected'].includes(verdict.outcome), retrain.stdout);
    assert.doesNotMatch(retrain.stderr, /could not refresh|127\.0\.0\.1/, 'no exchange was asked');

    const symbols = ['--symbols', 'SP500-2X/USD,SP500-INV/USD', '--model', home, '--config', cfg];
    const onSample = [...symbols, '--exchange', 'sample', '--timeframe', '1d'];
    const paper = await runBot(['paper', ...onSample, '--once', '--start', '2020-03-02']);
    assert.equal(paper.code, 0, paper.stderr);
    assert.match(paper.stdout, /^acted on 34 candle time\(s\); last 2020-04-17T00:00:00Z/);
    const store = CandleStore.open(db);
    try {
      const repo = new RunRepository(store.db);
      assert.ok(repo.trades(repo.list()[0].id).length > 0, 'the replay traded');
    } finally {
      store.close();
    }

    const clockRun = await runBot(['paper', ...onSample]);
    assert.equal(clockRun.code, 1);
    assert.equal(
      clockRun.stderr,
      "error: --exchange sample is the bundled sample's series in the candle store, which no exchange updates: a " +
        'paper run on a clock would wait for a new candle forever; replay the stored candles with --once --start T\n',
    );
    const live = await runBot(['live', ...onSample, '--confirm-live']);
    assert.equal(live.code, 1);
    assert.match(live.stderr, /^error: --exchange sample .*nothing to trade live; replay it with bot paper --once/);
    // the hourly default: the advice names what a paper run takes (it has no --sample)
    const hourly = await runBot(['paper', ...symbols, '--once']);
    assert.equal(hourly.code, 1);
    assert.match(hourly.stderr, /give --exchange sample --timeframe 1d \(the bundled sample's series in the store/);
  } finally {
    tmp.cleanup();
  }
});
