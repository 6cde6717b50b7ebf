/**
 * A paper run (real SQLite, real tfjs model files) whose model home's pointer is switched to a version that needs
 * more history than the one the run started with: from the tick that serves it, the run decides as a backtest of
 * that version over the whole file does, because the tick loads (and backfills) the history of the model it serves.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadAgent } from '../../src/agents/load-agent.ts';
import { promoteVersion, stageVersion } from '../../src/agents/model-pointer.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import { recipeHistory } from '../../src/agents/setup.ts';
import { loadConfig } from '../../src/config/load.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { runBacktest } from '../../src/market/backtest-engine.ts';
import { modelPolicySource } from '../../src/trading/model-policy-source.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { Trader } from '../../src/trading/trader.ts';
import { saveAgent, SMALL_RECIPE } from './agents.ts';
import { quietLogger, seriesFeed, tempDir } from './helpers.ts';

const HOUR = 3_600_000;

test(`paper: a model pointer switched to a version that needs more history (ta's EMAs) is served on the history it \
needs: the run's trades from then on are those of a backtest of that version over the whole file`, async () => {
  const tmp = tempDir();
  const candles = syntheticCandles({ seed: 8, count: 1100, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000 });
  const config = loadConfig({
    overrides: {
      data: { database: path.join(tmp.dir, 'bot.db') },
      log: { file: '' },
      trading: { historyCandles: 120 },
    },
  });
  const home = path.join(tmp.dir, 'models', 'switched');
  const store = CandleStore.open(config.data.database);
  // ta's EMAs settle over 600 candles, and a 60-candle window reaches past the history the first version loads
  const longer: AgentRecipe = { ...SMALL_RECIPE, features: 'rltrader-v1+ta', window: 60 };
  try {
    // the version the run starts with stays flat (always sell), so the run's account is the backtest's at the switch
    await saveAgent(home, 'sell', candles);
    const { source, sizing, costs } = await modelPolicySource(home, config);
    const startIndex = 900;
    let now = candles.ts[startIndex] + HOUR + 1000;
    const repo = new RunRepository(store.db);
    const trader = new Trader({
      repo,
      store,
      feed: seriesFeed(candles, HOUR),
      market: new PaperMarket(costs, sizing),
      policies: source,
      key: { mode: 'paper', name: 'model', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' },
      balance: config.account.balance,
      historyCandles: config.trading.historyCandles,
      start: candles.ts[startIndex],
      clock: () => now,
      logger: quietLogger(),
    });
    await trader.tick();
    const run = repo.list()[0];
    assert.equal(run.lastTs, candles.ts[startIndex]);
    assert.ok(
      recipeHistory(longer) > (source.history ?? 0) + 500,
      `the new version needs more history: ${recipeHistory(longer)} vs ${source.history}`,
    );

    const staged = stageVersion(home, 'longer');
    await saveAgent(staged.dir, 'seeded', candles, longer, 3);
    staged.commit();
    promoteVersion(home, 'longer');
    // a running loop's ticks, one candle each, then a catch-up after downtime
    for (let i = startIndex + 1; i <= startIndex + 30; i++) {
      now = candles.ts[i] + HOUR + 1000;
      await trader.tick();
    }
    now = candles.ts[candles.ts.length - 1] + HOUR + 1000;
    await trader.tick();
    const decisions = repo.decisions(run.id).filter((d) => d.ts > candles.ts[startIndex]);
    assert.equal(decisions.length, candles.ts.length - 1 - startIndex);
    assert.deepEqual(new Set(decisions.map((d) => d.modelVersion)), new Set(['longer']));
    const warm = decisions.filter((d) => d.policy === 'warm-up').length;
    assert.equal(warm, 0, `${warm} candles after the switch were held as the new version's warm-up`);
    const paper = repo.trades(run.id).map((t) => ({ ts: t.ts, side: t.side, price: t.price, units: t.units }));

    const agent = await loadAgent(path.join(home, 'versions', 'longer'));
    const bt = runBacktest({
      ...agent.observationSource(candles),
      range: { from: startIndex + 1, to: candles.ts.length },
      costs,
      balance: config.account.balance,
      sizing,
      policy: agent.policy,
    });
    const names = ['buy', 'sell', 'hold'];
    assert.deepEqual(
      decisions.slice(0, -1).map((d) => d.action),
      [...bt.actions].map((a) => names[a]),
      "every decision is the backtest's",
    );
    agent.dispose();
    source.dispose?.();
    const backtest = bt.trades.map((t) => ({ ts: t.ts, side: t.side, price: t.price, units: t.units }));
    assert.ok(backtest.length >= 2, `the seeded network trades (${backtest.length})`);
    assert.deepEqual(paper, backtest);
  } finally {
    store.close();
    tmp.cleanup();
  }
});
