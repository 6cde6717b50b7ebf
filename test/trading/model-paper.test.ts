import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadAgent } from '../../src/agents/load-agent.ts';
import { runBacktest } from '../../src/market/backtest-engine.ts';
import { loadConfig } from '../../src/config/load.ts';
import { sliceCandles } from '../../src/core/candles.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { modelPolicySource } from '../../src/trading/model-policy-source.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { Trader } from '../../src/trading/trader.ts';
import { saveAgent, SMALL_RECIPE } from './agents.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import { featureHistory } from '../../src/features/index.ts';
import { quietLogger, seriesFeed, tempDir } from './helpers.ts';

const HOUR = 3_600_000;

/**
 * Paper-trades a seeded network saved with `recipe` from candle `startIndex` on (history: trading.historyCandles 120)
 * and backtests the same model from the same candle over `candles` from `backtestFrom` on: both runs' trades.
 */
async function paperAndBacktest(o: {
  recipe?: AgentRecipe;
  count: number;
  startIndex: number;
  backtestFrom: number;
}): Promise<{ paper: TradeRow[]; backtest: TradeRow[]; history: number }> {
  const tmp = tempDir();
  const candles = syntheticCandles({
    seed: 8,
    count: o.count,
    timeframe: '1h',
    start: Date.UTC(2024, 0, 1),
    tick: 1000,
  });
  const config = loadConfig({
    overrides: {
      data: { database: path.join(tmp.dir, 'bot.db') },
      log: { file: '' },
      trading: { historyCandles: 120 },
    },
  });
  const home = path.join(tmp.dir, 'models', 'seeded');
  const store = CandleStore.open(config.data.database);
  try {
    await saveAgent(home, 'seeded', candles, o.recipe, 3);
    const { source, sizing, costs } = await modelPolicySource(home, config);
    const history = source.history ?? config.trading.historyCandles;
    const trader = new Trader({
      repo: new RunRepository(store.db),
      store,
      feed: seriesFeed(candles, HOUR),
      market: new PaperMarket(costs, sizing),
      policies: source,
      key: { mode: 'paper', name: 'model', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' },
      balance: config.account.balance,
      historyCandles: config.trading.historyCandles,
      start: candles.ts[o.startIndex],
      clock: () => candles.ts[candles.ts.length - 1] + HOUR + 1000,
      logger: quietLogger(),
    });
    const repo = new RunRepository(store.db);
    await trader.tick();
    const run = repo.list()[0];
    const paper = repo.trades(run.id).map((t) => ({ ts: t.ts, side: t.side, price: t.price, units: t.units }));
    assert.equal(run.modelVersion, 'initial');

    const loaded = sliceCandles(candles, o.backtestFrom, candles.ts.length);
    const agent = await loadAgent(home);
    const bt = runBacktest({
      ...agent.observationSource(loaded),
      range: { from: o.startIndex - o.backtestFrom, to: loaded.ts.length },
      costs,
      balance: config.account.balance,
      sizing,
      policy: agent.policy,
    });
    agent.dispose();
    source.dispose?.();
    const backtest = bt.trades.map((t) => ({ ts: t.ts, side: t.side, price: t.price, units: t.units }));
    return { paper, backtest, history };
  } finally {
    store.close();
    tmp.cleanup();
  }
}

interface TradeRow {
  ts: number;
  side: string;
  price: number;
  units: number;
}

test(`paper trading a saved model makes exactly the trades of the backtest engine with that model on the same \
candles`, async () => {
  const { paper, backtest } = await paperAndBacktest({ count: 320, startIndex: 160, backtestFrom: 40 });
  assert.ok(backtest.length >= 2, `the seeded network trades (${backtest.length})`);
  assert.deepEqual(paper, backtest);
});

test(`a model reading recursive features (ta's EMAs) loads the history they need: its paper trades are those of a \
backtest over the whole file, not only over the candles a short trading.historyCandles loads`, async () => {
  const recipe: AgentRecipe = { ...SMALL_RECIPE, features: 'rltrader-v1+ta' };
  const { paper, backtest, history } = await paperAndBacktest({
    recipe,
    count: 1100,
    startIndex: 900,
    backtestFrom: 0,
  });
  assert.equal(history, featureHistory('rltrader-v1+ta') + recipe.window - 1, 'history: warm-up + settle + window');
  assert.ok(backtest.length >= 2, `the seeded network trades (${backtest.length})`);
  assert.deepEqual(paper, backtest);
});
