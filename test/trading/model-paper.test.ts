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
import { saveAgent } from './agents.ts';
import { quietLogger, seriesFeed, tempDir } from './helpers.ts';

const HOUR = 3_600_000;

test(`paper trading a saved model makes exactly the trades of the backtest engine with that model on the same \
candles`, async () => {
  const tmp = tempDir();
  const candles = syntheticCandles({ seed: 8, count: 320, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 1000 });
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
    await saveAgent(home, 'seeded', candles, undefined, 3);
    const { source, sizing, costs } = await modelPolicySource(home, config);
    const startIndex = 160;
    const trader = new Trader({
      repo: new RunRepository(store.db),
      store,
      feed: seriesFeed(candles, HOUR),
      market: new PaperMarket(costs, sizing),
      policies: source,
      key: { mode: 'paper', name: 'model', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' },
      balance: config.account.balance,
      historyCandles: config.trading.historyCandles,
      start: candles.ts[startIndex],
      clock: () => candles.ts[candles.ts.length - 1] + HOUR + 1000,
      logger: quietLogger(),
    });
    // two ticks: half the candles, then the rest (the model is rebuilt over the longer series)
    const repo = new RunRepository(store.db);
    await trader.tick();
    const run = repo.list()[0];
    const paperTrades = repo.trades(run.id).map((t) => ({ ts: t.ts, side: t.side, price: t.price, units: t.units }));
    assert.equal(run.modelVersion, 'initial');

    const loaded = sliceCandles(candles, startIndex - 120, candles.ts.length);
    const agent = await loadAgent(home);
    const bt = runBacktest({
      ...agent.observationSource(loaded),
      range: { from: 120, to: loaded.ts.length },
      costs,
      balance: config.account.balance,
      sizing,
      policy: agent.policy,
    });
    agent.dispose();
    source.dispose?.();
    const engineTrades = bt.trades.map((t) => ({ ts: t.ts, side: t.side, price: t.price, units: t.units }));
    assert.ok(engineTrades.length >= 2, `the seeded network trades (${engineTrades.length})`);
    assert.deepEqual(paperTrades, engineTrades);
  } finally {
    store.close();
    tmp.cleanup();
  }
});
