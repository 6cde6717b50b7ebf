/**
 * A version promoted by `bot retrain` under a running paper run never decides a candle it saw (its training,
 * selection and holdout windows): an uninterrupted clocked run and a `--once` run that catches up after the
 * promotion decide the same candles with the same versions (real SQLite, real tfjs models, a real one-epoch retrain),
 * also when the user switches CURRENT back to an older version by hand.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { sliceCandles, type Candles } from '../../src/core/candles.ts';
import { log, setLogger } from '../../src/core/log.ts';
import {
  currentVersion,
  INITIAL_VERSION,
  promoteVersion,
  stageVersion,
  versionDir,
} from '../../src/agents/model-pointer.ts';
import { recipeHistory } from '../../src/agents/recipe-reach.ts';
import { recordHoldout } from '../../src/agents/version-sample.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { CandleStore } from '../../src/data/store.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { modelPolicySource } from '../../src/trading/model-policy-source.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { retrainOnce } from '../../src/trading/retrain.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { trainChallenger } from '../../src/trading/train-challenger.ts';
import { Trader } from '../../src/trading/trader.ts';
import { capturingLogger } from '../helpers/log.ts';
import { riseThenFall, saveAgent, SMALL_RECIPE } from './agents.ts';
import { quietLogger, seriesFeed, tempDir } from './helpers.ts';

const HOUR = 3_600_000;

/**
 * Paper runs of the model home `models/p2` on `candles` from candle 200, in a fresh store with `trading` settings:
 * `trader(name, clock, served)` a run's trader, `onceAfter(name, k)` a fresh source and trader, as each
 * `bot paper --once` starts, ticked once after candle k closes, `decided(name)` its decisions.
 */
function promotionRuns(candles: Candles, trading: Record<string, unknown>) {
  const tmp = tempDir();
  const database = path.join(tmp.dir, 'bot.db');
  const config = loadConfig({ overrides: { data: { database }, log: { file: '' }, trading } });
  const store = CandleStore.open(config.data.database);
  const repo = new RunRepository(store.db);
  const home = path.join(tmp.dir, 'models', 'p2');
  const startIndex = 200;
  const at = (k: number) => candles.ts[k] + HOUR + 1000;
  const trader = (name: string, clock: () => number, served: Awaited<ReturnType<typeof modelPolicySource>>) =>
    new Trader({
      repo,
      store,
      feed: seriesFeed(candles, HOUR),
      market: new PaperMarket(served.costs, served.sizing),
      policies: served.source,
      key: { mode: 'paper', name, exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' },
      balance: config.account.balance,
      historyCandles: config.trading.historyCandles,
      start: candles.ts[startIndex],
      clock,
      logger: quietLogger(),
    });
  const onceAfter = async (name: string, k: number) => {
    const served = await modelPolicySource(home, config, () => at(k));
    try {
      await trader(name, () => at(k), served).tick();
    } finally {
      served.source.dispose?.();
    }
  };
  const decided = (name: string) => {
    const run = repo.list().find((r) => r.name === name);
    assert.ok(run, name);
    return repo.decisions(run.id).map((d) => ({
      ts: isoTime(d.ts),
      version: d.modelVersion,
      action: d.action,
      policy: d.policy,
    }));
  };
  /**
   * The run 'clocked' of one process, and the run 'once' ticked after candle 200: `tickTo(k)` ticks the clocked run
   * after each candle closes, up to k.
   */
  const startRuns = async () => {
    let now = at(startIndex);
    let next = startIndex;
    const served = await modelPolicySource(home, config, () => now);
    const loop = trader('clocked', () => now, served);
    await onceAfter('once', startIndex);
    const tickTo = async (k: number) => {
      for (; next <= k; next++) {
        now = at(next);
        await loop.tick();
      }
    };
    return { tickTo, dispose: () => served.source.dispose?.() };
  };
  const close = () => (store.close(), tmp.cleanup());
  return { config, store, home, startIndex, at, onceAfter, startRuns, decided, close };
}

const versionsOf = (rows: { ts: string; version: string | null }[]) => rows.map(({ ts, version }) => ({ ts, version }));

test(`a version promoted under a paper run decides no candle it saw: a --once tick catching up after the promotion \
decides the candles up to the end of its holdout with the version the run served before, and switches at the next \
candle, as the uninterrupted clocked run does; a new run started in the past is warned that it is not out of \
sample`, async () => {
  // a rise, then a fall: the always-long champion loses over a holdout in the fall, so the challenger is promoted
  const candles = riseThenFall(260, 80);
  // one epoch over a 100-candle window, judged on the 40 newest candles the retrain reads
  const retrain = { trainCandles: 100, holdoutCandles: 40, epochs: 1, minImprovement: 0 };
  const { config, store, home, startIndex, at, onceAfter, startRuns, decided, close } = promotionRuns(candles, {
    retrain,
  });
  const lines: string[] = [];
  const previous = log();
  setLogger(capturingLogger(lines));
  const retrainAt = 299; // the retrain reads candles to 299: its holdout is 260 … 299
  try {
    await initBackend('wasm');
    await saveAgent(home, 'buy', candles); // V1: 'initial'
    const clocked = await startRuns();
    await clocked.tickTo(retrainAt);
    // `bot retrain` after candle 299 closed: one real epoch (the replay's warm-up lowered so that it learns)
    const learning = { ...SMALL_RECIPE, learner: { ...SMALL_RECIPE.learner, warmup: 32 } };
    const r = await retrainOnce({
      config,
      logger: quietLogger(),
      store,
      home,
      candles: sliceCandles(candles, 0, retrainAt + 1),
      strategyName: 'dqn-dnn',
      recipe: learning,
      train: trainChallenger,
      clock: () => at(retrainAt),
    });
    assert.equal(r.outcome, 'promoted', r.reason);
    const v2 = currentVersion(home) as string;
    const meta = JSON.parse(readFileSync(path.join(versionDir(home, v2), 'meta.json'), 'utf8')) as {
      holdoutWindow?: { to: string };
      promotedAt?: string;
    };
    assert.equal(meta.holdoutWindow?.to, isoTime(candles.ts[retrainAt]), 'the promoted version records its holdout');
    // and its promotion on the wall clock, after these runs' clocks: they take it over from its holdout's end
    assert.ok(Date.parse(meta.promotedAt ?? '') > at(candles.ts.length - 1), meta.promotedAt);

    await clocked.tickTo(candles.ts.length - 1);
    clocked.dispose();
    // the cron'd --once run, down since candle 200, catches up in one tick
    await onceAfter('once', candles.ts.length - 1);

    const expected = Array.from(candles.ts.slice(startIndex), (ts, i) => ({
      ts: isoTime(ts),
      version: startIndex + i <= retrainAt ? INITIAL_VERSION : v2,
    }));
    assert.deepEqual(versionsOf(decided('clocked')), expected, 'the clocked run switches after the holdout');
    assert.deepEqual(versionsOf(decided('once')), expected, 'the caught-up run decides with the same versions');
    assert.deepEqual(decided('once'), decided('clocked'), 'and makes the same decisions');
    assert.ok(new Set(decided('once').map((d) => d.action)).size > 1, 'the new version decides otherwise');

    // a new run started in the past has no version served before: V2 decides its sample, with a warning
    lines.length = 0;
    await onceAfter('past', candles.ts.length - 1);
    assert.equal(decided('past')[0].version, v2);
    const warned = lines.filter((l) => l.includes('not out of sample'));
    assert.equal(warned.length, 1, lines.join(''));
    assert.match(warned[0], new RegExp(`version ${v2} decides candles from ${isoTime(candles.ts[startIndex])}`));
    assert.match(warned[0], new RegExp(`saw candles to ${isoTime(candles.ts[retrainAt])}`));
  } finally {
    setLogger(previous);
    close();
  }
});

test(`a version promoted under a paper run that reads less history than the version serving before (a 60-candle \
window, then 5): the ticks load the history of every version deciding in them, so the version serving before decides \
the candles the promoted one saw on its own history (no warm-up holds), and a --once tick catching up decides the \
same candles with the same versions and actions as the clocked run (the tick loaded the incoming version's \
history)`, async () => {
  const candles = syntheticCandles({ seed: 8, count: 330, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000 });
  // the versions' own history, not trading.historyCandles, decides what a tick loads
  const { home, startIndex, onceAfter, startRuns, decided, close } = promotionRuns(candles, {
    historyCandles: 5,
  });
  const longer = { ...SMALL_RECIPE, window: 60 };
  assert.ok(recipeHistory(longer) > recipeHistory(SMALL_RECIPE) + 50);
  const [promotedAt, holdoutEnd, last] = [280, 290, 310];
  try {
    await initBackend('wasm');
    // the version serving first decides on its features (an untrained seeded network)
    await saveAgent(home, 'seeded', candles, longer);
    const clocked = await startRuns();
    await clocked.tickTo(promotedAt);
    // promoted after candle 280 closed on a holdout that ends at 290 (the run's ticks behind the retrain's data): the
    // clocked run's next ticks decide those candles with the version serving before, as a catch-up does
    const staged = stageVersion(home, 'v2');
    await saveAgent(staged.dir, 'sell', candles);
    recordHoldout(staged.dir, { from: isoTime(candles.ts[holdoutEnd - 39]), to: isoTime(candles.ts[holdoutEnd]) });
    staged.commit();
    promoteVersion(home, 'v2');
    await clocked.tickTo(last);
    clocked.dispose();
    await onceAfter('once', last);

    const expected = Array.from(candles.ts.slice(startIndex, last + 1), (ts, i) => ({
      ts: isoTime(ts),
      version: startIndex + i <= holdoutEnd ? INITIAL_VERSION : 'v2',
    }));
    assert.deepEqual(versionsOf(decided('clocked')), expected, 'the clocked run switches after the holdout');
    assert.deepEqual(versionsOf(decided('once')), expected, 'the caught-up run decides with the same versions');
    const held = decided('clocked').filter((d) => d.policy === 'warm-up');
    assert.deepEqual(held, [], 'the version serving before decides every candle on its own history');
    assert.deepEqual(decided('once'), decided('clocked'), 'and makes the same decisions');
    const before = decided('once').filter((d) => d.version === INITIAL_VERSION);
    assert.ok(new Set(before.map((d) => d.action)).size > 1, 'on its features');
  } finally {
    close();
  }
});

test(`a version promoted later than its data's end (a retrain on a --now in the past, or one that took longer than a \
candle) takes over at the first candle that closes after its promotion: the clocked run decided the candles in \
between with the version serving before, and a --once tick catching up after the promotion decides them with it too \
(it switched at the data's end); a --now replay before the promotion takes the version from its data's \
end`, async () => {
  const candles = syntheticCandles({ seed: 8, count: 330, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000 });
  const { home, startIndex, at, onceAfter, startRuns, decided, close } = promotionRuns(candles, {});
  // its holdout ends at candle 270; it is promoted after candle 285 closed, as the clock of both runs tells
  const [holdoutEnd, promotedAfter, last] = [270, 285, 300];
  try {
    await initBackend('wasm');
    await saveAgent(home, 'buy', candles);
    const clocked = await startRuns();
    await onceAfter('replay', startIndex);
    await clocked.tickTo(promotedAfter);
    const staged = stageVersion(home, 'v2');
    await saveAgent(staged.dir, 'sell', candles);
    const holdout = { from: isoTime(candles.ts[holdoutEnd - 39]), to: isoTime(candles.ts[holdoutEnd]) };
    recordHoldout(staged.dir, holdout, at(promotedAfter));
    staged.commit();
    promoteVersion(home, 'v2');
    await clocked.tickTo(last);
    clocked.dispose();
    await onceAfter('once', last);
    // a replay whose clock (--now) is before the promotion: the version takes over after its data's end
    await onceAfter('replay', promotedAfter - 5);

    const expected = (switchAfter: number, to: number) =>
      Array.from(candles.ts.slice(startIndex, to + 1), (ts, i) => ({
        ts: isoTime(ts),
        version: startIndex + i <= switchAfter ? INITIAL_VERSION : 'v2',
      }));
    assert.deepEqual(versionsOf(decided('clocked')), expected(promotedAfter, last), 'the clocked run');
    assert.deepEqual(versionsOf(decided('once')), expected(promotedAfter, last), 'the caught-up run, alike');
    assert.deepEqual(decided('once'), decided('clocked'), 'and the same decisions');
    assert.ok(new Set(decided('once').map((d) => d.action)).size > 1, 'the new version decides otherwise');
    assert.deepEqual(versionsOf(decided('replay')), expected(holdoutEnd, promotedAfter - 5), 'the replay');
  } finally {
    close();
  }
});

test(`a CURRENT switched back by hand to an older version, whose meta.json records its promotion long before, takes \
over from the switch (CURRENT's write), as the clocked run switches: a --once tick catching up after it decides the \
candles before it with the version serving then (it switched at the old recorded promotion)`, async () => {
  const candles = syntheticCandles({ seed: 8, count: 330, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000 });
  const { home, startIndex, at, onceAfter, startRuns, decided, close } = promotionRuns(candles, {});
  // v1 promoted after candle 195 (holdout to 190), v2 after candle 250 (holdout to 245); v1 back by hand after 285
  const [v2After, handAfter, last] = [250, 285, 300];
  const promote = async (version: string, action: 'buy' | 'sell', holdoutEnd: number, after: number) => {
    const staged = stageVersion(home, version);
    await saveAgent(staged.dir, action, candles);
    const holdout = { from: isoTime(candles.ts[holdoutEnd - 39]), to: isoTime(candles.ts[holdoutEnd]) };
    recordHoldout(staged.dir, holdout, at(after));
    staged.commit();
    promoteVersion(home, version);
  };
  try {
    await initBackend('wasm');
    await saveAgent(home, 'buy', candles);
    await promote('v1', 'sell', 190, 195);
    const clocked = await startRuns(); // both runs serve v1 from candle 200
    await clocked.tickTo(v2After);
    await promote('v2', 'buy', 245, v2After);
    await clocked.tickTo(270);
    await onceAfter('once', 270); // the cron'd run serves v2 too
    await clocked.tickTo(handAfter);
    // the user rolls back: `echo v1 > CURRENT` after candle 285 closed (the file's write time, on the runs' clock)
    const pointer = path.join(home, 'CURRENT');
    writeFileSync(pointer, 'v1\n');
    utimesSync(pointer, new Date(at(handAfter)), new Date(at(handAfter)));
    await clocked.tickTo(last);
    clocked.dispose();
    await onceAfter('once', last);

    const expected = Array.from(candles.ts.slice(startIndex, last + 1), (ts, i) => ({
      ts: isoTime(ts),
      version: startIndex + i <= v2After ? 'v1' : startIndex + i <= handAfter ? 'v2' : 'v1',
    }));
    assert.deepEqual(versionsOf(decided('clocked')), expected, 'the clocked run switches back after the write');
    assert.deepEqual(versionsOf(decided('once')), expected, 'the caught-up run decides with the same versions');
    assert.deepEqual(decided('once'), decided('clocked'), 'and makes the same decisions');
  } finally {
    close();
  }
});
