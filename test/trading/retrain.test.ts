import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import Database from 'better-sqlite3';
import { CandleStore } from '../../src/data/store.ts';
import { canonicalHome, currentVersion, INITIAL_VERSION } from '../../src/agents/model-pointer.ts';
import { modelPolicySource } from '../../src/trading/model-policy-source.ts';
import {
  HOME_LOCK_FILE,
  promotionDecision,
  retrainHistory,
  retrainOnce,
  type ChallengerRequest,
  type ChallengerTrainer,
  type RetrainResult,
} from '../../src/trading/retrain.ts';
import { runRetrainJob } from '../../src/trading/retrain-job.ts';
import { ensureTradingSchema } from '../../src/trading/db.ts';
import { describe as describeRetrain } from '../../src/cli/commands/retrain.ts';
import { trainChallenger } from '../../src/trading/train-challenger.ts';
import { candleRows, sliceCandles, type Candles } from '../../src/core/candles.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { promotedChampion, riseThenFall, saveAgent, SMALL_RECIPE } from './agents.ts';
import { quietLogger, tempDir } from './helpers.ts';
import finrlDnn from '../../strategies/finrl-dnn.ts';
import ppoContinuous from '../../strategies/ppo-continuous.ts';

/** A temp folder, a market that rises then falls, a small retrain window and a candle store. */
function retrainSetup() {
  const tmp = tempDir();
  const candles = riseThenFall(260, 40);
  const config = loadConfig({
    overrides: {
      data: { database: path.join(tmp.dir, 'bot.db') },
      log: { file: '' },
      // the flat 'sell' agent stands for a winner here (a falling holdout): the no-trade bar has a test of its own
      trading: {
        retrain: { trainCandles: 100, holdoutCandles: 40, epochs: 1, minImprovement: 0, promoteWithoutTrades: true },
      },
    },
  });
  return { tmp, candles, config, store: CandleStore.open(config.data.database) };
}

type RetrainOptions = Parameters<typeof retrainOnce>[0];

/** retrainOnce with the small dqn-dnn recipe, quiet unless a logger is given; the rest as the test says. */
function smallRetrain(o: Omit<RetrainOptions, 'strategyName' | 'recipe' | 'logger'> & Partial<RetrainOptions>) {
  return retrainOnce({ strategyName: 'dqn-dnn', recipe: SMALL_RECIPE, logger: quietLogger(), ...o });
}

test('promotion needs a win over the champion (by the margin) and over buy-and-hold', () => {
  assert.equal(promotionDecision({ challenger: 0.05, champion: 0.02, buyHold: 0.01 }, 0).promote, true);
  assert.equal(promotionDecision({ challenger: 0.05, champion: 0.02, buyHold: 0.06 }, 0).promote, false);
  assert.equal(promotionDecision({ challenger: 0.05, champion: 0.05, buyHold: -0.1 }, 0).promote, false);
  assert.equal(promotionDecision({ challenger: 0.05, champion: 0.045, buyHold: -0.1 }, 0.01).promote, false);
  assert.equal(promotionDecision({ challenger: 0.01, champion: null, buyHold: 0 }, 0).promote, true);
});

test(`a better challenger is promoted and served at the next tick; a worse one is not; a crashing one leaves the \
champion serving; overlaps are refused`, async () => {
  const { tmp, candles, config, store } = retrainSetup();
  const home = path.join(tmp.dir, 'models', 'btc');
  const logger = quietLogger();
  const constant =
    (action: 'buy' | 'sell'): ChallengerTrainer =>
    (req) =>
      saveAgent(req.dir, action, req.candles);
  const retrain = (train: ChallengerTrainer, clock = 1000) =>
    smallRetrain({
      config,
      logger,
      store,
      home,
      candles,
      train,
      clock: () => clock,
    });
  try {
    await saveAgent(home, 'buy', candles); // champion: always long into a falling holdout
    // a run on the retrains' clock: their promotions, recorded on the wall clock, come after it (a replay's), so the
    // promoted version takes over after its holdout (src/trading/version-takeover.ts)
    const serving = await modelPolicySource(home, config, () => Date.UTC(2025, 0, 1));
    assert.equal((await serving.source.forCandles(candles)).version, INITIAL_VERSION);

    const better = await retrain(constant('sell'), Date.UTC(2025, 0, 1));
    assert.equal(better.outcome, 'promoted', better.reason);
    assert.ok(
      better.scores &&
        better.scores.champion !== null &&
        better.scores.challenger > better.scores.champion &&
        better.scores.challenger > better.scores.buyHold,
    );
    assert.equal(currentVersion(home), better.challengerVersion);
    const t = candles.ts.length - 1;
    // the newest candle ends its holdout: the champion decides it, the promoted version the next one
    const waiting = await serving.source.forCandles(candles);
    assert.equal(waiting.version, INITIAL_VERSION, 'a version decides no candle of its holdout');
    assert.equal(waiting.until, candles.ts[t] + 1);
    const handle = await serving.source.forCandles(candles, undefined, undefined, candles.ts[t] + 3_600_000);
    assert.equal(
      handle.version,
      better.challengerVersion,
      'the paper loop picks the promoted model up without a restart',
    );
    const { Account } = await import('../../src/market/account.ts');
    const acct = new Account(1e7, serving.costs);
    assert.equal(handle.policy.decide(handle.observe(t, acct)).action, 'sell');

    const worse = await retrain(constant('buy'), Date.UTC(2025, 0, 2));
    assert.equal(worse.outcome, 'rejected', worse.reason);
    assert.equal(currentVersion(home), better.challengerVersion);
    assert.deepEqual(
      readdirSync(path.join(home, 'versions')),
      [better.challengerVersion],
      'a rejected challenger is not kept',
    );

    const crash = await retrain(
      async () => {
        throw new Error('out of memory in training');
      },
      Date.UTC(2025, 0, 3),
    );
    assert.equal(crash.outcome, 'failed');
    assert.match(crash.reason, /out of memory/);
    assert.equal(currentVersion(home), better.challengerVersion);
    assert.equal((await serving.source.forCandles(candles)).version, better.challengerVersion);
    assert.deepEqual(
      readdirSync(path.join(home, 'versions')),
      [better.challengerVersion],
      'no half-written staging folder is left',
    );

    // another live process holds the retrain lock (in the home's lock file)
    const lockFile = new Database(path.join(canonicalHome(home), HOME_LOCK_FILE));
    lockFile
      .prepare('INSERT INTO trading_locks (name, pid, host, acquired_at, heartbeat) VALUES (?, ?, ?, ?, ?)')
      .run(`retrain:${canonicalHome(home)}`, process.ppid, os.hostname(), 0, Date.now());
    await assert.rejects(() => retrain(constant('sell'), Date.now()), /already running/);
    lockFile.prepare('DELETE FROM trading_locks').run();
    lockFile.close();

    const history = retrainHistory(store);
    assert.deepEqual(
      history.map((h) => h.outcome),
      ['failed', 'rejected', 'promoted'],
    );
    assert.ok(
      history[2].challengerScore !== null && history[2].championScore !== null && history[2].buyHoldScore !== null,
    );
    serving.source.dispose?.();
    assert.ok(existsSync(path.join(home, 'CURRENT')));
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test('an ensemble champion is challenged by an ensemble of as many seeds of the same kind, one folder', async () => {
  const { tmp, candles, config, store } = retrainSetup();
  const home = path.join(tmp.dir, 'models', 'ens');
  const logger = quietLogger();
  const meta = (dir: string) =>
    JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as {
      seed: number;
      learner: { ensemble?: { kind: string; margins: number[] } };
    };
  const fold = {
    index: 0,
    train: { from: 60, to: 180 },
    validation: { from: 180, to: 220 },
    test: { from: 220, to: 260 },
  };
  // 120 training candles: the replay's warm-up lowered so that one epoch learns (a run that never learns fails)
  const recipe = { ...SMALL_RECIPE, learner: { ...SMALL_RECIPE.learner, warmup: 32 } };
  const base = { config, recipe, strategyName: 'dqn-dnn', modelName: 'ens', candles, fold, logger };
  try {
    await initBackend('wasm');
    // the champion: a mean ensemble of three seeds, as `bot backtest --seeds 3 --ensemble mean` saves it
    await trainChallenger({ ...base, seed: 1, epochs: 1, dir: home, ensemble: { kind: 'mean', members: 3 } });
    assert.equal(meta(home).learner.ensemble?.margins.length, 3);
    let asked: ChallengerRequest | undefined;
    let challenger: ReturnType<typeof meta> | undefined;
    const r = await smallRetrain({
      config,
      logger,
      store,
      home,
      candles,
      recipe,
      seed: 7,
      train: async (req) => {
        asked = req;
        await trainChallenger(req);
        challenger = meta(req.dir);
        for (let m = 1; m < 3; m++)
          assert.ok(existsSync(path.join(req.dir, `member${m}.model.json`)), `member${m} saved`);
      },
      clock: () => Date.UTC(2025, 0, 1),
    });
    assert.notEqual(r.outcome, 'failed', r.reason);
    assert.deepEqual(asked?.ensemble, { kind: 'mean', members: 3 });
    assert.equal(challenger?.learner.ensemble?.kind, 'mean');
    assert.equal(challenger?.learner.ensemble?.margins.length, 3);
    assert.equal(challenger?.seed, 7);
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`an ensemble champion with a recipe its ensemble cannot combine is refused in one line naming the champion, \
before any seed trains`, async () => {
  const { tmp, candles, config, store } = retrainSetup();
  try {
    const cases = [
      // FinRL's learner choice trained every seed, then failed: "network has 2 outputs, the learner expects 1"
      { kind: 'mean', recipe: finrlDnn.recipe, says: /^the champion is a mean ensemble of seeds, which needs one/ },
      // a continuous head trained every seed, then failed naming --ensemble vote, a flag never given
      { kind: 'vote', recipe: ppoContinuous.recipe, says: /^the champion is a vote ensemble of seeds, which needs/ },
    ] as const;
    for (const [i, c] of cases.entries()) {
      const home = path.join(tmp.dir, 'models', `ens${i}`);
      await promotedChampion(home, candles);
      // the champion's meta.json as `bot backtest --seeds 2 --ensemble KIND` saves it: what the retrain reads
      const file = path.join(home, 'versions', 'champion', 'meta.json');
      const meta = JSON.parse(readFileSync(file, 'utf8')) as { learner: Record<string, unknown> };
      meta.learner.ensemble = { kind: c.kind, margins: [0, 0] };
      writeFileSync(file, JSON.stringify(meta));
      let trained = 0;
      const r = await smallRetrain({
        config,
        store,
        home,
        candles,
        recipe: c.recipe,
        train: async () => {
          trained++;
        },
        clock: () => Date.UTC(2025, 0, 1),
      });
      assert.equal(r.outcome, 'failed', c.kind);
      assert.match(r.reason ?? '', c.says);
      assert.doesNotMatch(r.reason ?? '', /--ensemble|\n/);
      assert.equal(trained, 0, `${c.kind}: no seed trained`);
      assert.equal(currentVersion(home), 'champion');
    }
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`a retrain first removes the staging folders and pointer files of killed retrains (their pid is gone), logging \
one line; a live writer's, the versions and CURRENT are left alone`, async () => {
  const { tmp, candles, config, store } = retrainSetup();
  const home = path.join(tmp.dir, 'models', 'btc');
  const lines: string[] = [];
  const logger = quietLogger();
  logger.warn = ((msg: string) => (lines.push(msg), logger)) as typeof logger.warn;
  try {
    await promotedChampion(home, candles);
    recordSample(path.join(home, 'versions', 'champion'), isoTime(candles.ts[100])); // out of the holdout's sample
    // a finished process's pid is gone; this test's parent (the test runner) is alive
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    assert.ok(dead > 0);
    const versions = path.join(home, 'versions');
    const killed = `.staging-20250101T000000Z-${dead.toString(36)}`;
    const live = `.staging-20250101T000000Z-${process.ppid.toString(36)}`;
    for (const name of [killed, live, '.staging-no-pid!']) {
      mkdirSync(path.join(versions, name));
      writeFileSync(path.join(versions, name, 'model.json'), '{}');
    }
    // a promotion killed between writing its pointer file and renaming it over CURRENT leaves the file behind
    const deadPointer = `.CURRENT.${dead}.tmp`;
    const livePointer = `.CURRENT.${process.ppid}.tmp`;
    for (const name of [deadPointer, livePointer]) writeFileSync(path.join(home, name), 'elsewhere\n');
    const r = await smallRetrain({
      config,
      logger,
      store,
      home,
      candles,
      train: async () => {
        throw new Error('no training here');
      },
      clock: () => Date.UTC(2025, 0, 5),
    });
    assert.equal(r.outcome, 'failed');
    assert.deepEqual(readdirSync(versions).sort(), ['.staging-no-pid!', live, 'champion'].sort());
    assert.deepEqual(lines, [`retrain: removed 2 leftover(s) of a killed retrain: ${deadPointer}, ${killed}`]);
    assert.equal(currentVersion(home), 'champion');
    assert.ok(!existsSync(path.join(home, deadPointer)), "the dead promotion's pointer file is removed");
    assert.ok(existsSync(path.join(home, livePointer)), "a live process's pointer file is kept");
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`a challenger whose scoring fails (its saved folder incomplete) leaves no version behind: only a promoted \
challenger ever becomes a versions/ folder`, async () => {
  const { tmp, candles, config, store } = retrainSetup();
  const home = path.join(tmp.dir, 'models', 'btc');
  try {
    await promotedChampion(home, candles);
    const r = await smallRetrain({
      config,
      store,
      home,
      candles,
      // a save cut short: the topology and meta are written, the weights are not
      train: async (req) => {
        await saveAgent(req.dir, 'sell', req.candles);
        rmSync(path.join(req.dir, 'model.weights.bin'));
      },
      clock: () => Date.UTC(2025, 0, 6),
    });
    assert.equal(r.outcome, 'failed');
    assert.equal(currentVersion(home), 'champion');
    // a versions/<v> folder is listed by the dashboard as a model version; a .staging-* one is not
    assert.deepEqual(readdirSync(path.join(home, 'versions')), ['champion'], 'the unscored challenger is not kept');
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`a retrain does not promote over a version that another retrain of the home (on another host sharing the \
folder, or one that took the lock over as stale) promoted while it trained: it was not compared with it`, async () => {
  const { tmp, candles, config, store } = retrainSetup();
  const home = path.join(tmp.dir, 'models', 'btc');
  const other = CandleStore.open(path.join(tmp.dir, 'other.db'));
  const retrain = (on: CandleStore, train: ChallengerTrainer, clock: number) =>
    smallRetrain({
      config,
      store: on,
      home,
      candles,
      train,
      clock: () => clock,
    });
  try {
    await promotedChampion(home, candles); // 'champion': long into a falling holdout
    let theirs: RetrainResult | undefined;
    const ours = await retrain(
      store,
      async (req) => {
        // run in this process, it re-enters the home's lock (held by its own pid), as a takeover would take it
        theirs = await retrain(other, (q) => saveAgent(q.dir, 'sell', q.candles), Date.UTC(2025, 0, 7, 1));
        await saveAgent(req.dir, 'sell', req.candles);
      },
      Date.UTC(2025, 0, 7),
    );
    assert.equal(theirs?.outcome, 'promoted', theirs?.reason);
    const promoted = theirs.challengerVersion as string;
    assert.equal(ours.championVersion, 'champion');
    assert.equal(ours.outcome, 'rejected', ours.reason);
    assert.match(ours.reason, new RegExp(`CURRENT changed from champion to ${promoted} during this retrain`));
    assert.equal(currentVersion(home), promoted, "the other retrain's version keeps serving");
    assert.deepEqual(readdirSync(path.join(home, 'versions')).sort(), ['champion', promoted].sort());
  } finally {
    other.close();
    store.close();
    tmp.cleanup();
  }
});

test(`bot retrain on a fixed clock (--now, as a replaying trader's child runs) trains and judges on the candles closed \
by then, none after, though the store holds later ones`, async () => {
  const tmp = tempDir();
  const candles = riseThenFall(360, 40);
  const fake = await startFakeUpbit({ series: [{ market: 'KRW-BTC', candles }] });
  try {
    const config = loadConfig({
      overrides: {
        exchange: { ccxt: fake.ccxtOptions(), retries: 2, backoffMs: 10, maxBackoffMs: 50 },
        data: { database: path.join(tmp.dir, 'bot.db') },
        log: { file: '' },
        ml: { backend: 'wasm' },
        // the flat 'sell' agent stands for a winner here (a falling holdout): the no-trade bar has a test of its own
        trading: {
          retrain: { trainCandles: 100, holdoutCandles: 40, epochs: 1, minImprovement: 0, promoteWithoutTrades: true },
        },
      },
    });
    // the whole series is stored, as a `bot data download` before the replay left it
    const store = CandleStore.open(config.data.database);
    store.upsert('upbit', 'BTC/KRW', '1h', candleRows(candles));
    store.close();
    const home = path.join(tmp.dir, 'models', 'btc');
    await promotedChampion(home, candles);
    const now = candles.ts[300] + 10_000; // the run's clock: candle 299 is the newest closed
    let trainedThrough: number | undefined;
    const r = await runRetrainJob({
      config,
      logger: quietLogger(),
      strategy: 'dqn-dnn',
      model: home,
      clock: () => now,
      train: async (req) => {
        trainedThrough = req.candles.ts[req.candles.ts.length - 1];
        await saveAgent(req.dir, 'sell', req.candles);
      },
    });
    assert.notEqual(r.outcome, 'failed', r.reason);
    assert.equal(trainedThrough, candles.ts[299]);
    assert.equal(r.holdout?.to, isoTime(candles.ts[299]), 'the holdout ends at the clock');
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test(`successive retrains on one fixed clock (bot retrain --schedule … --now T) get distinct version names, each \
sorting after the last, rejected ones included; trading_retrains names the home by its real, absolute \
path`, async () => {
  const { tmp, candles, config, store } = retrainSetup();
  const home = path.join(tmp.dir, 'models', 'btc');
  // the home as a later process from another folder could not find it: a relative path through a symlink
  const link = path.join(tmp.dir, 'btc-link');
  try {
    await promotedChampion(home, candles); // always long into a falling holdout
    symlinkSync(home, link);
    const given = path.relative(process.cwd(), link);
    const names: string[] = [];
    for (const [action, outcome] of [
      ['buy', 'rejected'],
      ['sell', 'promoted'],
      ['sell', 'rejected'],
    ] as const) {
      const r = await smallRetrain({
        config,
        store,
        home: given,
        candles,
        train: (req) => saveAgent(req.dir, action, req.candles),
        clock: () => Date.UTC(2025, 0, 8, 3),
        // one fixed clock, one holdout: the winner after a loser there is promoted only when acknowledged
        retryHoldout: true,
      });
      assert.equal(r.outcome, outcome, r.reason);
      names.push(r.challengerVersion as string);
    }
    assert.equal(new Set(names).size, 3, `distinct names: ${names.join(', ')}`);
    assert.deepEqual([...names].sort(), names, 'each sorts after the one before');
    assert.match(names[0], /^20250108T030000Z-/, 'the first is named by the fixed clock');
    assert.equal(currentVersion(home), names[1]);
    const dirs = store.db.prepare('SELECT DISTINCT model_dir FROM trading_retrains').pluck().all();
    assert.deepEqual(dirs, [realpathSync(home)]);
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`bot retrain --strategy X on a home another strategy trained judges champion, challenger and buy-and-hold at \
one set of costs, the challenger's (what the home's runs pay once it is promoted), and names them`, async () => {
  const { tmp, candles, config, store } = retrainSetup();
  try {
    // one champion twice, trained by a strategy of the config's costs and by one of the krx-stock preset
    const same = path.join(tmp.dir, 'models', 'same');
    const krx = path.join(tmp.dir, 'models', 'krx');
    await promotedChampion(same, candles);
    await promotedChampion(krx, candles, 'champion', { ...SMALL_RECIPE, costs: 'krx-stock' });
    const results: RetrainResult[] = [];
    for (const home of [same, krx])
      results.push(
        await smallRetrain({
          config,
          store,
          home,
          candles,
          train: (req) => saveAgent(req.dir, 'sell', req.candles),
          clock: () => Date.UTC(2025, 0, 11),
        }),
      );
    const [onOwn, onOther] = results;
    assert.notEqual(onOther.scores?.champion, undefined);
    assert.equal(onOther.scores?.champion, onOwn.scores?.champion, "not charged its own recipe's costs");
    assert.equal(onOther.scores?.buyHold, onOwn.scores?.buyHold);
    assert.equal(onOther.costs, "the config's account costs");
    assert.match(describeRetrain(onOther), /; holdout [^,]+, all judged at the config's account costs(,|$)/);
  } finally {
    store.close();
    tmp.cleanup();
  }
});

/** Records a training window (and validation windows) in a saved model's meta.json, as a trained model has them. */
function recordSample(dir: string, to: string, validationWindows?: { from: string; to: string }[]): void {
  const file = path.join(dir, 'meta.json');
  const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const trainingWindow = { from: '2024-01-01T00:00:00Z', to };
  writeFileSync(file, JSON.stringify({ ...meta, trainingWindow, validationWindows }));
}

test(`a retrain judges the champion out of its own sample: a holdout reaching into the champion's training window, or \
a validation window it was selected on, starts after it (the challenger training before it) while at least half of \
holdoutCandles remain; with fewer it gives no verdict (skipped), trains nothing and says why`, async () => {
  const { tmp, candles, config, store } = retrainSetup(); // 300 candles, holdout 40
  const at = (i: number) => isoTime(candles.ts[i]);
  const run = async (name: string, to: number, validationWindows?: { from: string; to: string }[]) => {
    const home = path.join(tmp.dir, 'models', name);
    await saveAgent(home, 'buy', candles);
    recordSample(home, at(to), validationWindows);
    const asked: ChallengerRequest[] = [];
    const r = await smallRetrain({
      ...{ config, store, candles, home },
      train: async (req) => {
        asked.push(req);
        await saveAgent(req.dir, 'sell', req.candles);
      },
      clock: () => Date.UTC(2025, 0, 9),
    });
    return { r, fold: asked[0]?.fold, trained: asked.length, home };
  };
  try {
    // out of sample already: the newest 40
    const before = await run('before', 259);
    assert.equal(before.r.holdout?.from, at(260));
    assert.equal(before.r.championTrainedTo, at(259));

    // trained to candle 269: the holdout is the 30 candles from 270 on, the challenger's window right before them
    const into = await run('into', 269);
    assert.equal(into.r.outcome, 'promoted', into.r.reason);
    assert.deepEqual(into.r.holdout, { from: at(270), to: at(299) });
    assert.deepEqual(into.fold?.test, { from: 270, to: 300 });
    assert.equal(into.fold?.validation.to, 270, 'the challenger selects on nothing in the holdout');
    assert.equal(into.fold?.train.from, 170);
    assert.equal(
      describeRetrain(into.r),
      `${into.r.outcome}: ${into.r.reason}; holdout ${at(270)} … ${at(299)}, all judged at the config's account ` +
        `costs, champion trained to ${at(269)}, holdout trades: challenger 0 (0% of candles in a position), ` +
        'champion 1 (97%)',
    );

    // trained to 250 but selected on a window to 274: the holdout starts at 275
    const selected = await run('selected', 250, [{ from: at(255), to: at(274) }]);
    assert.deepEqual(selected.r.holdout, { from: at(275), to: at(299) });
    assert.equal(selected.r.championTrainedTo, `${at(250)} (selected or promoted on candles to ${at(274)})`);

    // trained to 285: 14 candles after it, fewer than 20; nothing is trained, CURRENT stays
    const late = await run('late', 285);
    assert.equal(late.r.outcome, 'skipped');
    assert.equal(late.trained, 0);
    assert.equal(
      late.r.reason,
      `no verdict: the holdout ${at(260)} … ${at(299)} reaches into the champion's sample (the champion trained to ` +
        `${at(285)}), and 14 candle(s) after it are fewer than the 20 a shortened holdout keeps (half of ` +
        'trading.retrain.holdoutCandles, at least 10): the champion would be judged in sample; a retrain from ' +
        `${isoTime(candles.ts[286] + 20 * 3_600_000)} on can judge it`,
    );
    assert.equal(describeRetrain(late.r), `skipped: ${late.r.reason}`);
    assert.equal(currentVersion(late.home), INITIAL_VERSION);
    const versions = path.join(late.home, 'versions');
    assert.ok(!existsSync(versions) || readdirSync(versions).length === 0, 'no challenger folder is made');
    const row = retrainHistory(store)[0];
    assert.deepEqual([row.outcome, row.reason, row.challengerScore], ['skipped', late.r.reason, null]);
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`a champion promoted on a holdout is judged out of it too: the next retrain's holdout starts after the holdout \
its meta.json records (holdoutWindow), not only after its training window`, async () => {
  const { tmp, candles, config, store } = retrainSetup(); // 300 candles, holdout 40
  const at = (i: number) => isoTime(candles.ts[i]);
  const home = path.join(tmp.dir, 'models', 'won');
  try {
    await saveAgent(home, 'buy', candles);
    recordSample(home, at(250));
    const file = path.join(home, 'meta.json');
    const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...meta, holdoutWindow: { from: at(251), to: at(269) } }));
    const r = await smallRetrain({
      ...{ config, store, candles, home },
      train: (req) => saveAgent(req.dir, 'sell', req.candles),
      clock: () => Date.UTC(2025, 0, 12),
    });
    assert.deepEqual(r.holdout, { from: at(270), to: at(299) }, 'not judged on the candles it won on');
    assert.equal(r.championTrainedTo, `${at(250)} (selected or promoted on candles to ${at(269)})`);
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`retrying a retrain on one holdout (--seed 1…5) until a challenger wins is not a promotion: the verdict names \
the challenger's place among those judged on the holdout, records it, and a winner after losers is promoted only \
with --retry-holdout`, async () => {
  const { tmp, candles, config, store } = retrainSetup();
  const home = path.join(tmp.dir, 'models', 'shop');
  const retrain = (action: 'buy' | 'sell', retryHoldout?: boolean) =>
    smallRetrain({
      ...{ config, store, candles, home, retryHoldout },
      train: (req) => saveAgent(req.dir, action, req.candles),
      clock: () => Date.UTC(2025, 0, 13),
    });
  try {
    await promotedChampion(home, candles); // always long into a falling holdout
    const first = await retrain('buy');
    assert.equal(first.outcome, 'rejected');
    assert.doesNotMatch(first.reason, /judged on this holdout/, 'the first says nothing of trials');
    const second = await retrain('buy');
    assert.match(second.reason, /^the 2nd challenger judged on this holdout: challenger /);
    const shopped = await retrain('sell'); // the one that beats the champion, after two losers
    assert.equal(shopped.outcome, 'rejected', shopped.reason);
    assert.match(
      describeRetrain(shopped),
      /^rejected: the 3rd challenger judged on this holdout: challenger \S+ beats champion .*, but 2 earlier /,
    );
    assert.match(shopped.reason, /not promoted \(--retry-holdout promotes it all the same/);
    assert.equal(currentVersion(home), 'champion');
    const acknowledged = await retrain('sell', true);
    assert.equal(acknowledged.outcome, 'promoted', acknowledged.reason);
    assert.match(
      acknowledged.reason,
      /^the 4th challenger judged on this holdout: .*\(promoted with --retry-holdout\)$/,
    );
    assert.equal(currentVersion(home), acknowledged.challengerVersion);
    const rows = store.db
      .prepare('SELECT holdout_trial, holdout_from, holdout_to FROM trading_retrains ORDER BY id')
      .raw()
      .all();
    const span = [candles.ts[260], candles.ts[299]];
    assert.deepEqual(
      rows,
      [1, 2, 3, 4].map((n) => [n, ...span]),
    );
    // the row says whether --retry-holdout was given and the costs the verdict named (the dashboard reads them)
    assert.ok(shopped.costs);
    assert.deepEqual(
      store.db.prepare('SELECT retry_holdout, costs FROM trading_retrains ORDER BY id').raw().all(),
      [0, 0, 0, 1].map((retry) => [retry, shopped.costs]),
    );
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`a winner refused after earlier losers on its holdout is told from when a retrain is free of them: the first \
close at which the newest holdoutCandles start after every candle judged there; a retrain then promotes`, async () => {
  const { tmp, config, store } = retrainSetup(); // holdout 40 hourly candles
  const longest = riseThenFall(260, 120); // its first 300 candles are retrainSetup's
  const home = path.join(tmp.dir, 'models', 'free');
  const retrain = (n: number, action: 'buy' | 'sell') => {
    const candles = sliceCandles(longest, 0, n);
    return smallRetrain({
      ...{ config, store, candles, home },
      train: (req) => saveAgent(req.dir, action, req.candles),
      clock: () => candles.ts[n - 1] + 3_600_000,
    });
  };
  const pct = (x: number | null | undefined) => `${((x ?? NaN) * 100).toFixed(2)}%`;
  try {
    await promotedChampion(home, longest); // always long into a falling holdout
    assert.equal((await retrain(300, 'buy')).outcome, 'rejected');
    const shopped = await retrain(300, 'sell');
    assert.equal(shopped.outcome, 'rejected', shopped.reason);
    const s = shopped.scores;
    // the last candle judged: 2024-01-13T11:00Z (index 299); 40 candles after it the newest opens at 2024-01-15T03:00Z
    assert.equal(
      shopped.reason,
      `the 2nd challenger judged on this holdout: challenger ${pct(s?.challenger)} beats champion ` +
        `${pct(s?.champion)} and buy-and-hold ${pct(s?.buyHold)}, but 1 earlier challenger(s) lost on candles of ` +
        'it: a win after retries there may be luck, not skill; not promoted (--retry-holdout promotes it all the ' +
        'same; a retrain from 2024-01-15T04:00:00Z on needs none: its 40-candle holdout then starts after ' +
        '2024-01-13T11:00:00Z, the last candle judged on this one)',
    );
    assert.equal(shopped.freeFrom, '2024-01-15T04:00:00Z', '--json says it too');
    const row = () =>
      store.db.prepare('SELECT free_from, outcome FROM trading_retrains ORDER BY id DESC LIMIT 1').raw().get();
    assert.deepEqual(row(), [Date.parse('2024-01-15T04:00:00Z'), 'rejected']);
    // one candle before that close the holdout still holds the last candle judged: barred, and the refused one is
    // judged there too, so the time moves on with it
    const early = await retrain(339, 'sell');
    assert.equal(early.outcome, 'rejected', early.reason);
    assert.match(early.reason, /^the 3rd challenger judged on this holdout: .* a retrain from 2024-01-16T19:00:00Z on/);
    const free = await retrain(379, 'sell'); // its newest candle closes at 2024-01-16T19:00Z
    assert.equal(free.outcome, 'promoted', free.reason);
    assert.equal(free.holdoutTrial, 1);
    assert.equal(free.freeFrom, undefined);
    assert.deepEqual(row(), [null, 'promoted']);
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`a scheduled retrain, whose holdout the newest candles have moved forward since its last firing, still \
promotes a winner after that firing's loser; a retrain by hand on the same candles does not`, async () => {
  const { tmp, candles, config, store } = retrainSetup();
  const earlier = sliceCandles(candles, 0, 295); // the last firing saw five candles fewer
  const retrain = (home: string, c: typeof candles, action: 'buy' | 'sell', scheduled: boolean) =>
    smallRetrain({
      ...{ config, store, home, candles: c, scheduled },
      train: (req) => saveAgent(req.dir, action, req.candles),
      clock: () => c.ts[c.ts.length - 1] + 3_600_000,
    });
  try {
    for (const scheduled of [true, false]) {
      const home = path.join(tmp.dir, 'models', scheduled ? 'cron' : 'hand');
      await promotedChampion(home, candles);
      assert.equal((await retrain(home, earlier, 'buy', scheduled)).outcome, 'rejected');
      const next = await retrain(home, candles, 'sell', scheduled);
      assert.match(next.reason, /^the 2nd challenger judged on this holdout: /);
      assert.equal(next.outcome, scheduled ? 'promoted' : 'rejected', next.reason);
    }
    assert.deepEqual(
      store.db.prepare('SELECT scheduled FROM trading_retrains ORDER BY id').pluck().all(),
      [1, 1, 0, 0],
    );
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test("bot retrain's line gives each figure once: the reason's, then the scores it does not name", () => {
  const scores = { challenger: 0.2127, champion: 0.3352, buyHold: 0.0441 };
  const line = (s: typeof scores | { challenger: number; champion: null; buyHold: number }) =>
    describeRetrain({
      outcome: promotionDecision(s, 0).promote ? 'promoted' : 'rejected',
      ...promotionDecision(s, 0),
      scores: s,
    });
  assert.equal(line(scores), 'rejected: challenger 21.27% does not beat champion 33.52% (buy-and-hold 4.41%)');
  assert.equal(
    line({ ...scores, buyHold: 0.5 }),
    'rejected: challenger 21.27% does not beat buy-and-hold 50.00% (champion 33.52%)',
  );
  assert.equal(
    line({ ...scores, champion: 0.1 }),
    'promoted: challenger 21.27% beats champion 10.00% and buy-and-hold 4.41%',
  );
  assert.equal(line({ ...scores, champion: null }), 'promoted: challenger 21.27% beats buy-and-hold 4.41%');
});

test(`the challengers that lost on a holdout are kept with the model home: a retrain of the home through another \
database (the same candles imported) counts them, and its winner after them is not promoted`, async () => {
  const { tmp, candles, config, store } = retrainSetup();
  const other = CandleStore.open(path.join(tmp.dir, 'other.db'));
  const home = path.join(tmp.dir, 'models', 'two-dbs');
  const retrain = (s: CandleStore, action: 'buy' | 'sell') =>
    smallRetrain({
      ...{ config, store: s, candles, home },
      train: (req) => saveAgent(req.dir, action, req.candles),
      clock: () => Date.UTC(2025, 0, 13),
    });
  try {
    await promotedChampion(home, candles); // always long into a falling holdout
    assert.equal((await retrain(store, 'buy')).outcome, 'rejected');
    assert.equal((await retrain(store, 'buy')).outcome, 'rejected');
    const elsewhere = await retrain(other, 'sell'); // the winner, through a database that recorded no loser
    assert.equal(elsewhere.outcome, 'rejected', elsewhere.reason);
    assert.match(
      elsewhere.reason,
      /^the 3rd challenger judged on this holdout: .*, but 2 earlier challenger\(s\) lost/,
    );
    assert.equal(currentVersion(home), 'champion');
    // and back: the first database counts the one the other refused
    const back = await retrain(store, 'sell');
    assert.match(back.reason, /^the 4th challenger judged on this holdout: .*, but 3 earlier challenger\(s\) lost/);
  } finally {
    other.close();
    store.close();
    tmp.cleanup();
  }
});

/** `candles` relabeled as another series: `symbol`, or `timeframe` with its candles that far apart (the same end). */
function otherSeries(candles: Candles, o: { symbol?: string; timeframe?: '4h' }): Candles {
  const c = { ...candles, ts: Float64Array.from(candles.ts), symbol: o.symbol ?? candles.symbol };
  if (!o.timeframe) return c;
  const n = c.ts.length;
  const end = candles.ts[n - 1];
  for (let i = 0; i < n; i++) c.ts[i] = end - (n - 1 - i) * 4 * 3_600_000;
  return { ...c, timeframe: o.timeframe };
}

test(`the holdout's earlier challengers are counted on its series only: a retrain of a home (no model yet, so on the \
flags' market) on another market or timeframe is neither barred by the losers judged on other candles nor counts them, \
through the database or the home's lock file; on the same series they still bar`, async () => {
  const { tmp, candles, config, store } = retrainSetup(); // upbit BTC/KRW 1h
  const other = CandleStore.open(path.join(tmp.dir, 'other.db'));
  const retrain = (home: string, c: Candles, action: 'buy' | 'sell', s = store) =>
    smallRetrain({
      ...{ config, store: s, candles: c, home },
      train: (req) => saveAgent(req.dir, action, req.candles),
      clock: () => Date.UTC(2025, 0, 13),
    });
  try {
    const home = path.join(tmp.dir, 'models', 'markets');
    // no champion: 'buy' is buy-and-hold less its costs (rejected), flat 'sell' beats it on the falling holdout
    assert.equal((await retrain(home, candles, 'buy')).outcome, 'rejected');
    const same = await retrain(home, candles, 'sell');
    assert.equal(same.outcome, 'rejected', same.reason);
    assert.match(same.reason, /^the 2nd challenger judged on this holdout: .*, but 1 earlier challenger\(s\) lost/);
    const eth = await retrain(home, otherSeries(candles, { symbol: 'ETH/KRW' }), 'sell');
    assert.equal(eth.outcome, 'promoted', eth.reason);
    assert.equal(eth.holdoutTrial, 1);
    assert.doesNotMatch(eth.reason, /judged on this holdout/);
    assert.equal(currentVersion(home), eth.challengerVersion);

    // another timeframe, through another database: the home's lock file alone knows the loser
    const hours = path.join(tmp.dir, 'models', 'timeframes');
    assert.equal((await retrain(hours, candles, 'buy')).outcome, 'rejected');
    const fourHours = otherSeries(candles, { timeframe: '4h' });
    assert.ok(fourHours.ts[260] < candles.ts[260], 'its holdout spans the 1h one');
    const four = await retrain(hours, fourHours, 'sell', other);
    assert.equal(four.outcome, 'promoted', four.reason);
    assert.equal(four.holdoutTrial, 1);
    const series = (db: Database.Database) =>
      db.prepare('SELECT symbol, timeframe FROM holdout_trials ORDER BY challenger_version').raw().all();
    const kept = new Database(path.join(home, HOME_LOCK_FILE), { readonly: true });
    assert.deepEqual(series(kept), [
      ['BTC/KRW', '1h'],
      ['BTC/KRW', '1h'],
    ]);
    kept.close();
  } finally {
    other.close();
    store.close();
    tmp.cleanup();
  }
});

test(`a home's lock file from before the series was kept is upgraded in place (user_version 2) and its rejected \
challengers still bar: each as the series the database recorded for it, one it has no row of on every series; a \
newer bot's file is refused`, async () => {
  const { tmp, candles, config, store } = retrainSetup(); // upbit BTC/KRW 1h, holdout candles 260…299
  const home = path.join(tmp.dir, 'models', 'old-file');
  try {
    await promotedChampion(home, candles); // always long into a falling holdout
    const file = path.join(canonicalHome(home), HOME_LOCK_FILE);
    const old = new Database(file);
    // the table as the bot before it made it (CREATE TABLE IF NOT EXISTS, no version), with two losers on the holdout
    old.exec(`CREATE TABLE IF NOT EXISTS holdout_trials (
  challenger_version TEXT PRIMARY KEY,
  holdout_from INTEGER NOT NULL,
  holdout_to INTEGER NOT NULL,
  scheduled INTEGER NOT NULL
)`);
    const lost = old.prepare('INSERT INTO holdout_trials VALUES (?, ?, ?, 0)');
    for (const version of ['20250101T000000Z-1', '20250101T000000Z-2'])
      lost.run(version, candles.ts[260], candles.ts[299]);
    old.close();
    // the database in use recorded the second on ETH/KRW: not this retrain's candles
    ensureTradingSchema(store.db);
    store.db
      .prepare(
        `INSERT INTO trading_retrains (started_at, exchange, symbol, timeframe, strategy, model_dir,
          challenger_version, outcome, holdout_from, holdout_to) VALUES (0, 'upbit', 'ETH/KRW', '1h', 'dqn-dnn', ?,
          '20250101T000000Z-2', 'rejected', ?, ?)`,
      )
      .run(canonicalHome(home), candles.ts[260], candles.ts[299]);
    const winner = await smallRetrain({
      ...{ config, store, candles, home },
      train: (req) => saveAgent(req.dir, 'sell', req.candles),
      clock: () => Date.UTC(2025, 0, 13),
    });
    assert.equal(winner.outcome, 'rejected', winner.reason);
    assert.match(winner.reason, /^the 2nd challenger judged on this holdout: .*, but 1 earlier challenger\(s\) lost/);
    const upgraded = new Database(file, { readonly: true });
    assert.equal(upgraded.pragma('user_version', { simple: true }), 2);
    assert.deepEqual(
      upgraded.prepare('SELECT challenger_version, symbol FROM holdout_trials ORDER BY challenger_version').raw().all(),
      [
        ['20250101T000000Z-1', null],
        ['20250101T000000Z-2', null],
        [winner.challengerVersion, 'BTC/KRW'],
      ],
    );
    upgraded.close();
    // a newer bot's file: refused in one line as the lock is taken, before anything is trained or recorded
    const newer = new Database(file);
    newer.pragma('user_version = 3');
    newer.close();
    await assert.rejects(
      () => smallRetrain({ config, store, candles, home, train: () => assert.fail('trained') }),
      (e: Error) =>
        e.message ===
        `${file}: holdout trials schema is version 3, newer than this bot knows (up to 2); refusing to open it — ` +
          'upgrade the bot',
    );
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`a challenger that made no trade on the holdout is not promoted by default (its 0.00% is flat's); the verdict, \
the row and the API's columns carry how challenger and champion traded; promoteWithoutTrades allows it`, async () => {
  const { tmp, candles, store } = retrainSetup();
  const home = path.join(tmp.dir, 'models', 'flat');
  const settings = (promoteWithoutTrades: boolean) =>
    loadConfig({
      overrides: {
        data: { database: path.join(tmp.dir, 'bot.db') },
        log: { file: '' },
        trading: { retrain: { trainCandles: 100, holdoutCandles: 40, epochs: 1, promoteWithoutTrades } },
      },
    });
  const retrain = (promoteWithoutTrades: boolean, now: number) =>
    smallRetrain({
      ...{ config: settings(promoteWithoutTrades), store, candles, home },
      train: (req) => saveAgent(req.dir, 'sell', req.candles), // stays flat
      clock: () => now,
      retryHoldout: true,
    });
  try {
    assert.equal(settings(false).trading.retrain.promoteWithoutTrades, false, 'the default is false');
    await promotedChampion(home, candles); // always long into a falling holdout
    const flat = await retrain(false, Date.UTC(2025, 0, 13));
    assert.equal(flat.outcome, 'rejected', flat.reason);
    assert.match(
      flat.reason,
      new RegExp(
        '^challenger 0\\.00% beats champion -[\\d.]+% and buy-and-hold -[\\d.]+%, but made no trade on the holdout: ' +
          "its 0\\.00% is flat's, no evidence of skill; not promoted",
      ),
    );
    assert.deepEqual(flat.scores?.activity?.challenger, { trades: 0, exposure: 0 });
    assert.equal(flat.scores?.activity?.champion?.trades, 1);
    assert.match(
      describeRetrain(flat),
      /holdout trades: challenger 0 \(0% of candles in a position\), champion 1 \(\d+%\)/,
    );
    const row = () =>
      store.db
        .prepare(
          `SELECT outcome, challenger_trades, challenger_exposure, champion_trades, champion_exposure > 0.9
           FROM trading_retrains ORDER BY id DESC LIMIT 1`,
        )
        .raw()
        .get();
    assert.deepEqual(row(), ['rejected', 0, 0, 1, 1]);
    const allowed = await retrain(true, Date.UTC(2025, 0, 14));
    assert.equal(allowed.outcome, 'promoted', allowed.reason);
    assert.deepEqual(row(), ['promoted', 0, 0, 1, 1]);
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test('a verdict reached on a holdout shorter than 30 candles carries one warning line saying so', async () => {
  const { tmp, candles, store } = retrainSetup();
  const retrain = (holdoutCandles: number) =>
    smallRetrain({
      config: loadConfig({
        overrides: {
          data: { database: path.join(tmp.dir, 'bot.db') },
          log: { file: '' },
          trading: { retrain: { trainCandles: 100, holdoutCandles, epochs: 1 } },
        },
      }),
      ...{ store, candles, home: path.join(tmp.dir, 'models', `h${holdoutCandles}`) },
      train: (req) => saveAgent(req.dir, 'buy', req.candles),
      clock: () => Date.UTC(2025, 0, 13),
    });
  try {
    const short = await retrain(10);
    assert.equal(short.outcome, 'rejected', short.reason);
    assert.match(short.warning ?? '', /^decided on 10 candles: a short holdout says little/);
    assert.match(describeRetrain(short), /\nwarning: decided on 10 candles: a short holdout says little/);
    const enough = await retrain(30);
    assert.equal(enough.warning, undefined);
    assert.doesNotMatch(describeRetrain(enough), /warning/);
  } finally {
    store.close();
    tmp.cleanup();
  }
});
