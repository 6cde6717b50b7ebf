/**
 * `bot paper --exchange sample … --once` replays the bundled sample's series from the store: with a series not stored
 * it is one line naming `bot data derive` (as `bot retrain` of a sample model says), exit 1, and no run is made. It
 * used to act on nothing, exit 0 and leave a run starting "now" (past the sample's end), which then refused the
 * README's own command with `--start 2020-01-02`. Real `bot` processes, a real SQLite file, a dead exchange address.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { runBot, runNames, writeDeadExchangeConfig } from './cli.ts';
import { tempDir } from './helpers.ts';

test(`bot paper --exchange sample --once with a series not stored: one line naming bot data derive, exit 1, no run \
made (one market and a portfolio); once derived, the README's replay with --start runs`, async () => {
  const tmp = tempDir('bot-sample-paper-');
  try {
    const db = path.join(tmp.dir, 'bot.db');
    const cfg = writeDeadExchangeConfig(tmp.dir);
    const common = ['--exchange', 'sample', '--timeframe', '1d', '--db', db, '--config', cfg];
    const one = ['paper', '--strategy', 'sma-cross', '--symbol', 'SP500/USD', ...common, '--once'];
    const empty = await runBot(one);
    assert.equal(empty.code, 1, empty.stdout + empty.stderr);
    assert.match(
      empty.stderr,
      new RegExp(
        String.raw`^error: no candles of sample SP500/USD 1d are stored: the bundled sample's series are stored ` +
          String.raw`offline by \x60bot data derive --exchange sample --timeframe 1d --from SP500/USD --leverage 2 ` +
          String.raw`--symbol SP500-2X/USD\x60 and .*\n$`,
      ),
    );
    assert.equal(empty.stdout, '');
    assert.deepEqual(runNames(db), [], 'no run row behind');

    // the 2× series and its index stored, the −1× one not: the portfolio names the missing one
    const derive = ['data', 'derive', ...common, '--from', 'SP500/USD', '--leverage', '2', '--symbol', 'SP500-2X/USD'];
    const derived = await runBot(derive);
    assert.equal(derived.code, 0, derived.stderr);
    const pair = ['paper', '--strategy', 'equal-weight', '--symbols', 'SP500-2X/USD,SP500-INV/USD', ...common];
    const half = await runBot([...pair, '--once']);
    assert.equal(half.code, 1, half.stdout + half.stderr);
    assert.match(half.stderr, /^error: no candles of sample SP500-INV\/USD 1d are stored: .*bot data derive .*\n$/);
    assert.deepEqual(runNames(db), [], 'no run row behind');

    const replay = await runBot([...one, '--start', '2020-01-02']);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /^acted on \d+ candle\(s\); last 2020-04-17T00:00:00Z/);
  } finally {
    tmp.cleanup();
  }
});
