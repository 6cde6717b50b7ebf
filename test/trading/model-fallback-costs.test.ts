/**
 * A `--once` run whose CURRENT cannot serve (its files cannot be loaded, or its network cannot decide the run's
 * candles) falls back on the version it served before: that version's fills are charged its own recipe's costs, not
 * those of CURRENT or of the newest version whose meta.json reads. Real SQLite, real tfjs model files.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import type { Candles } from '../../src/core/candles.ts';
import { promoteVersion, stageVersion } from '../../src/agents/model-pointer.ts';
import { recipeWarmup } from '../../src/agents/recipe-reach.ts';
import { CandleStore } from '../../src/data/store.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { saveAgent, SMALL_RECIPE, spoilNetworkShape, UNLOADABLE } from './agents.ts';
import { tempDir } from './helpers.ts';
import { HOUR, modelRunBasics, paperOnce } from './model-once.ts';

const WARMUP = recipeWarmup(SMALL_RECIPE);
const START = 2;
/** The version the run serves first: no fee, no slippage. */
const FREE: AgentRecipe = { ...SMALL_RECIPE, costs: 'zero' };
/** The versions saved after it: Upbit's fee and slippage. */
const UPBIT: AgentRecipe = { ...SMALL_RECIPE, costs: 'upbit-krw' };

const cases: { name: string; spoil: (dir: string, candles: Candles) => unknown }[] = [
  { name: 'a meta.json that is not JSON', spoil: (dir) => UNLOADABLE[1].spoil(dir) },
  { name: 'a network that cannot decide', spoil: (dir, candles) => spoilNetworkShape(dir, candles, UPBIT) },
];

for (const c of cases) {
  test(`--once falling back on the version the run served before, CURRENT having ${c.name}: the fill is charged \
that version's costs, not CURRENT's nor the newest readable version's`, async () => {
    const tmp = tempDir('bot-fallback-costs-');
    const { candles, config } = modelRunBasics(tmp.dir);
    const home = path.join(tmp.dir, 'models', 'costs');
    const store = CandleStore.open(config.data.database);
    const repo = new RunRepository(store.db);
    try {
      await saveAgent(home, 'buy', candles, FREE);
      const once = (k: number) => paperOnce({ config, home, candles, start: START, now: candles.ts[k] + HOUR + 1000 });
      // one candle per process until 'initial' decides its buy, to fill at the next process's candle
      let k = WARMUP - 3;
      for (; k < WARMUP + 10; k++) {
        await once(k);
        if (repo.orders(repo.list()[0].id).length > 0) break;
      }
      const id = repo.list()[0].id;
      assert.equal(repo.orders(id, 'pending').length, 1, 'a buy waits for the next open');
      // a version saved but never served, then CURRENT, both at Upbit's costs
      for (const v of ['v2', 'v3']) {
        const staged = stageVersion(home, v);
        await saveAgent(staged.dir, 'buy', candles, UPBIT);
        if (v === 'v3') await c.spoil(staged.dir, candles);
        staged.commit();
      }
      promoteVersion(home, 'v3');
      await once(k + 1);
      const [fill] = repo.trades(id);
      assert.ok(fill, 'the buy filled');
      assert.equal(repo.get(id).modelVersion, 'initial', 'the version served before decides');
      assert.deepEqual([fill.price, fill.fee], [candles.open[k + 1], 0], "at 'initial''s costs: no slippage, no fee");
    } finally {
      store.close();
      tmp.cleanup();
    }
  });
}
