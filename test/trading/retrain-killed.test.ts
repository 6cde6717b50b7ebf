/**
 * A retrain killed (SIGKILL) in the middle of its promotion, in a real child process: right after its rename over
 * CURRENT, the challenger serves and the next retrain records it as promoted (a `promotion` event follows); right
 * after moving the challenger to `versions/<version>` but before CURRENT, the next retrain removes that folder, which
 * was never promoted, and records that nothing was. test/trading/kill-after-rename.ts does the killing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/config/load.ts';
import { CandleStore } from '../../src/data/store.ts';
import { currentVersion, PROMOTING_MARK } from '../../src/agents/model-pointer.ts';
import { retrainHistory, retrainOnce } from '../../src/trading/retrain.ts';
import { ensureTradingSchema } from '../../src/trading/db.ts';
import { closeKilledRetrains } from '../../src/trading/killed-retrains.ts';
import { PROMOTION_STALE_MS, sweepUnpromoted } from '../../src/trading/unpromoted-versions.ts';
import { DbWatcher } from '../../src/server/events.ts';
import { promotedChampion, riseThenFall, SMALL_RECIPE } from './agents.ts';
import { quietLogger, tempDir } from './helpers.ts';

const here = import.meta.dirname;

/** The retrain of test/trading/retrain-kill-child.ts, SIGKILLed right after the rename whose destination matches. */
function killedRetrain(home: string, db: string, after: RegExp): void {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      path.join(here, 'kill-after-rename.ts'),
      path.join(here, 'retrain-kill-child.ts'),
      home,
      db,
    ],
    { encoding: 'utf8', env: { ...process.env, KILL_AFTER_RENAME: after.source } },
  );
  assert.equal(r.signal, 'SIGKILL', `the retrain was to die after a rename to ${after}: ${r.stdout}${r.stderr}`);
}

/** The next retrain of `home`, whose training fails: all it does to the home is its start's clean-up. */
async function nextRetrain(home: string, db: string, warnings: string[] = []): Promise<void> {
  const config = loadConfig({
    overrides: {
      data: { database: db },
      log: { file: '' },
      trading: { retrain: { trainCandles: 100, holdoutCandles: 40, epochs: 1, minImprovement: 0 } },
    },
  });
  const logger = quietLogger();
  logger.warn = ((msg: string) => (warnings.push(msg), logger)) as typeof logger.warn;
  const store = CandleStore.open(db);
  try {
    await retrainOnce({
      config,
      logger,
      store,
      home,
      strategyName: 'dqn-dnn',
      recipe: SMALL_RECIPE,
      candles: riseThenFall(260, 40),
      train: () => Promise.reject(new Error('no training here')),
      clock: () => Date.UTC(2025, 0, 10),
    });
  } finally {
    store.close();
  }
}

/** The first trading_retrains row of `db`: the killed retrain's. */
function killedRow(db: string) {
  const store = CandleStore.open(db);
  try {
    return retrainHistory(store).at(-1);
  } finally {
    store.close();
  }
}

/** A champion in `dir`/models/btc, then a retrain of it killed right after switching CURRENT to its challenger. */
async function killedAfterSwitch(dir: string): Promise<{ home: string; db: string; challenger: string }> {
  const home = path.join(dir, 'models', 'btc');
  const db = path.join(dir, 'bot.db');
  await promotedChampion(home, riseThenFall(260, 40));
  killedRetrain(home, db, /[\\/]CURRENT$/);
  const challenger = killedRow(db)?.challengerVersion;
  assert.ok(challenger);
  assert.equal(currentVersion(home), challenger, 'the kill came after the switch: the challenger serves');
  return { home, db, challenger };
}

test(`a retrain killed right after switching CURRENT to its challenger is recorded by the next retrain as promoted, \
with the scores and verdict it judged, and a promotion event follows`, async () => {
  const tmp = tempDir('bot-retrain-killed-');
  try {
    const { home, db, challenger } = await killedAfterSwitch(tmp.dir);
    const watching = new Database(db);
    try {
      const watcher = new DbWatcher(watching);
      await nextRetrain(home, db);
      const row = killedRow(db);
      assert.equal(row?.outcome, 'promoted', row?.reason ?? '');
      assert.match(row?.reason ?? '', /^challenger -?\d+\.\d+% beats champion -?\d+\.\d+% and buy-and-hold/);
      assert.match(row?.reason ?? '', /; its process \(pid \d+\) ended right after promoting it \(CURRENT names it\)$/);
      assert.ok(row?.challengerScore !== null && row?.championScore !== null && row?.buyHoldScore !== null);
      const promotions = watcher.poll().filter((e) => e.type === 'promotion');
      assert.deepEqual(
        promotions.map((e) => 'challengerVersion' in e && e.challengerVersion),
        [challenger],
      );
    } finally {
      watching.close();
    }
    assert.ok(readdirSync(path.join(home, 'versions')).includes(challenger));
  } finally {
    tmp.cleanup();
  }
});

test(`a retrain killed after moving its challenger to versions/<version> but before switching CURRENT leaves no \
version behind: the next retrain removes the folder and records that nothing was promoted`, async () => {
  const tmp = tempDir('bot-retrain-killed-');
  const home = path.join(tmp.dir, 'models', 'btc');
  const db = path.join(tmp.dir, 'bot.db');
  try {
    await promotedChampion(home, riseThenFall(260, 40));
    killedRetrain(home, db, /[\\/]versions[\\/][^.\\/][^\\/]*$/);
    const challenger = killedRow(db)?.challengerVersion;
    assert.ok(challenger);
    assert.equal(currentVersion(home), 'champion');
    assert.deepEqual(readdirSync(path.join(home, 'versions')).sort(), ['champion', challenger].sort());
    const warnings: string[] = [];
    await nextRetrain(home, db, warnings);
    const row = killedRow(db);
    assert.equal(row?.outcome, 'failed');
    assert.match(row?.reason ?? '', /^killed: its process \(pid \d+\) ended before its verdict \(challenger .*\) was/);
    assert.match(row?.reason ?? '', /nothing was promoted$/);
    assert.deepEqual(readdirSync(path.join(home, 'versions')), ['champion'], 'only a promoted challenger stays');
    const removed = `retrain: removed versions/${challenger}, the unpromoted challenger of a killed retrain`;
    assert.ok(warnings.includes(removed), warnings.join('\n'));
  } finally {
    tmp.cleanup();
  }
});

test(`a retrain killed right after switching CURRENT to its challenger, CURRENT then rolled back by hand: the next \
retrain records it as promoted and keeps its folder (it was deleted and recorded as "nothing was promoted"; audit, \
session 38)`, async () => {
  const tmp = tempDir('bot-retrain-killed-');
  try {
    const { home, db, challenger } = await killedAfterSwitch(tmp.dir);
    writeFileSync(path.join(home, 'CURRENT'), 'champion\n'); // rolled back by hand
    const warnings: string[] = [];
    await nextRetrain(home, db, warnings);
    const row = killedRow(db);
    assert.equal(row?.outcome, 'promoted', row?.reason ?? '');
    assert.match(row?.reason ?? '', /ended after switching CURRENT to it \(CURRENT names champion now\)$/);
    assert.ok(existsSync(path.join(home, 'versions', challenger, 'meta.json')), 'the version that served is kept');
    assert.equal(existsSync(path.join(home, 'versions', challenger, PROMOTING_MARK)), false, 'its mark cleared');
    assert.deepEqual(
      warnings.filter((w) => w.includes('removed')),
      [],
    );
  } finally {
    tmp.cleanup();
  }
});

test(`a killed retrain's versions/<version> folder is kept when a run's decision names it: it served`, async () => {
  const tmp = tempDir('bot-retrain-killed-');
  const home = path.join(tmp.dir, 'models', 'btc');
  const store = CandleStore.open(path.join(tmp.dir, 'bot.db'));
  try {
    await promotedChampion(home, riseThenFall(260, 40));
    ensureTradingSchema(store.db);
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const served = `20250101T000000Z-${dead.toString(36)}`;
    const never = `20250101T000001Z-${dead.toString(36)}`;
    for (const v of [served, never]) {
      mkdirSync(path.join(home, 'versions', v));
      writeFileSync(path.join(home, 'versions', v, 'model.json'), '{}');
      // marked for promotion after CURRENT was last written: never switched to (an unmarked one may have been)
      const mark = path.join(home, 'versions', v, PROMOTING_MARK);
      writeFileSync(mark, JSON.stringify({ pid: dead, host: os.hostname(), at: Date.now() }));
      utimesSync(mark, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000));
      store.db
        .prepare(
          `INSERT INTO trading_retrains (started_at, exchange, symbol, timeframe, strategy, model_dir,
           challenger_version, outcome) VALUES (0, 'upbit', 'BTC/KRW', '1h', 'dqn-dnn', ?, ?, 'running')`,
        )
        .run(home, v);
    }
    store.db
      .prepare(
        `INSERT INTO trading_decisions (run_id, ts, action, confidence, price, policy, model_version, decided_at)
         VALUES (1, 0, 'buy', 1, 1, 'model', ?, 0)`,
      )
      .run(served);
    closeKilledRetrains(
      home,
      store.db,
      () => 1,
      quietLogger(),
      (pid) => pid === dead,
    );
    assert.deepEqual(readdirSync(path.join(home, 'versions')).sort(), ['champion', served].sort());
    assert.ok(existsSync(path.join(home, 'versions', served, 'model.json')));
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`a killed retrain's unpromoted versions/<version> is removed by the next retrain through another database (its \
row is not there): the folder's promotion mark says so; a promoted one's mark is cleared, kept`, async () => {
  const tmp = tempDir('bot-retrain-killed-');
  const home = path.join(tmp.dir, 'models', 'btc');
  try {
    await promotedChampion(home, riseThenFall(260, 40));
    killedRetrain(home, path.join(tmp.dir, 'first.db'), /[\\/]versions[\\/][^.\\/][^\\/]*$/);
    const orphan = killedRow(path.join(tmp.dir, 'first.db'))?.challengerVersion;
    assert.ok(orphan);
    assert.ok(existsSync(path.join(home, 'versions', orphan, PROMOTING_MARK)), 'marked while it is promoted');
    const warnings: string[] = [];
    await nextRetrain(home, path.join(tmp.dir, 'other.db'), warnings);
    assert.deepEqual(readdirSync(path.join(home, 'versions')), ['champion'], 'only a promoted challenger stays');
    const pid = /-([0-9a-z]+)$/.exec(orphan)?.[1];
    const removed =
      `retrain: removed versions/${orphan}, a challenger whose retrain (pid ${parseInt(pid ?? '', 36)}) was ` +
      'killed before promoting it: CURRENT never named it';
    assert.deepEqual(
      warnings.filter((w) => w.includes('versions/')),
      [removed],
    );

    // killed right after the switch: CURRENT names it, so it was promoted; the next retrain clears its mark
    killedRetrain(home, path.join(tmp.dir, 'third.db'), /[\\/]CURRENT$/);
    const promoted = currentVersion(home);
    assert.notEqual(promoted, 'champion');
    assert.ok(existsSync(path.join(home, 'versions', String(promoted), PROMOTING_MARK)));
    await nextRetrain(home, path.join(tmp.dir, 'fourth.db'));
    assert.ok(existsSync(path.join(home, 'versions', String(promoted), 'meta.json')));
    assert.equal(existsSync(path.join(home, 'versions', String(promoted), PROMOTING_MARK)), false);
  } finally {
    tmp.cleanup();
  }
});

test(`a promotion mark this host cannot check is reported, not deleted, once old: another host's, and a live pid's; \
a young one and a folder without a mark are left alone`, () => {
  const tmp = tempDir('bot-retrain-killed-');
  const home = path.join(tmp.dir, 'models', 'btc');
  const store = CandleStore.open(path.join(tmp.dir, 'bot.db'));
  try {
    ensureTradingSchema(store.db);
    const now = Date.UTC(2025, 0, 10);
    const old = now - PROMOTION_STALE_MS;
    const folders: Record<string, object | undefined> = {
      elsewhere: { pid: 1234, host: `not-${os.hostname()}`, at: old },
      alive: { pid: process.ppid, host: os.hostname(), at: old }, // runs: perhaps a reused pid
      young: { pid: 1234, host: `not-${os.hostname()}`, at: old + 1 },
      unmarked: undefined,
    };
    for (const [v, mark] of Object.entries(folders)) {
      mkdirSync(path.join(home, 'versions', v), { recursive: true });
      writeFileSync(path.join(home, 'versions', v, 'model.json'), '{}');
      if (mark) writeFileSync(path.join(home, 'versions', v, PROMOTING_MARK), JSON.stringify(mark));
    }
    const warnings: string[] = [];
    const logger = quietLogger();
    logger.warn = ((msg: string) => (warnings.push(msg), logger)) as typeof logger.warn;
    sweepUnpromoted(home, store.db, logger, () => now);
    assert.deepEqual(readdirSync(path.join(home, 'versions')).sort(), ['alive', 'elsewhere', 'unmarked', 'young']);
    const line = (v: string, by: string) =>
      `retrain: versions/${v} was being promoted since 2025-01-09T23:00:00Z (${by}) and CURRENT never named it; ` +
      `no run of this database served it: if none of another does, remove it with rm -r ` +
      `'${path.join(home, 'versions', v)}'`;
    assert.deepEqual(warnings, [
      line('alive', `pid ${process.ppid} on ${os.hostname()}`),
      line('elsewhere', `pid 1234 on not-${os.hostname()}`),
    ]);
  } finally {
    store.close();
    tmp.cleanup();
  }
});
