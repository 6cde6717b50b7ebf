/**
 * A new run (or one `--reset` starts anew) whose model home's CURRENT cannot be loaded, the home holding other
 * versions, is refused in one line before the database is opened: a `--db` not there yet is not made, and the stored
 * run a refused `--reset` would have replaced is kept. Real SQLite, real tfjs model files.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promoteVersion, stageVersion } from '../../src/agents/model-pointer.ts';
import { recipeWarmup } from '../../src/agents/recipe-reach.ts';
import { CandleStore } from '../../src/data/store.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { saveAgent, SMALL_RECIPE, UNLOADABLE } from './agents.ts';
import { tempDir } from './helpers.ts';
import { HOUR, modelRunBasics, paperOnce } from './model-once.ts';

const WARMUP = recipeWarmup(SMALL_RECIPE);

/** A model home whose version 'initial' served a run in `stored.db`, then CURRENT named one whose weights are cut. */
async function brokenHome() {
  const tmp = tempDir('bot-new-run-refusal-');
  const { candles, config } = modelRunBasics(tmp.dir);
  const home = path.join(tmp.dir, 'models', 'refused');
  await saveAgent(home, 'sell', candles);
  const now = candles.ts[WARMUP + 5] + HOUR + 1000;
  const start = (db: string, reset = false) =>
    paperOnce({ config: { ...config, data: { ...config.data, database: db } }, home, candles, start: 2, now, reset });
  const stored = path.join(tmp.dir, 'stored.db');
  await start(stored);
  const staged = stageVersion(home, 'broken');
  await saveAgent(staged.dir, 'sell', candles);
  UNLOADABLE[0].spoil(staged.dir);
  staged.commit();
  promoteVersion(home, 'broken');
  return { tmp, start, stored };
}

const refused = (e: Error) => /model\.weights\.bin has 100 bytes/.test(e.message) && !e.message.includes('\n');

test(`a new run on a model home whose CURRENT cannot be loaded (other versions saved) is refused in one line before \
the database is opened: the --db file not there yet is not made`, async () => {
  const { tmp, start } = await brokenHome();
  try {
    const fresh = path.join(tmp.dir, 'fresh', 'bot.db');
    await assert.rejects(start(fresh), refused);
    assert.equal(existsSync(fresh), false, 'no database made');
    assert.equal(existsSync(path.dirname(fresh)), false, 'nor its folder');
  } finally {
    tmp.cleanup();
  }
});

test(`--reset of a stored run, its model home's CURRENT unable to be loaded: refused in one line before the stored \
run is removed`, async () => {
  const { tmp, start, stored } = await brokenHome();
  try {
    await assert.rejects(start(stored, true), refused);
    const store = CandleStore.open(stored);
    try {
      const runs = new RunRepository(store.db).list();
      assert.deepEqual(
        runs.map((r) => [r.name, r.modelVersion]),
        [['model', 'initial']],
        'the stored run is kept',
      );
    } finally {
      store.close();
    }
  } finally {
    tmp.cleanup();
  }
});
