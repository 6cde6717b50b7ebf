/**
 * A portfolio paper `--once` run whose CURRENT cannot be loaded falls back on the version it served before: that
 * version's fills are charged its own recipe's costs, not those of CURRENT the run's costs were built from at the
 * start (as one market's run does: model-fallback-costs.test.ts). Real SQLite, real saved portfolio model files.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { CandleStore } from '../../src/data/store.ts';
import { promoteVersion, stageVersion } from '../../src/agents/model-pointer.ts';
import { modelMarketCosts } from '../../src/market/costs.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { portfolioModelSource } from '../../src/trading/portfolio-model-source.ts';
import { PortfolioTrader } from '../../src/trading/portfolio-trader.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { pairRecipe } from '../agents/portfolio-helpers.ts';
import { savePortfolioModel as saveModel, UNLOADABLE } from './agents.ts';
import { quietLogger, seriesFeed, tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const make = (seed: number, symbol: string, startPrice: number) =>
  syntheticCandles({ seed, count: 400, timeframe: '1h', start: Date.UTC(2024, 0, 1), symbol, startPrice });
const a = make(81, 'A/KRW', 50_000_000);
const b = make(82, 'B/KRW', 3_000_000);
const symbols = ['A/KRW', 'B/KRW'];
const START = 300;
/** The policy head's bias that puts (nearly) everything in A, whatever the features. */
const ALL_IN_A = [20, -20];

test(`portfolio paper --once falling back on the version the run served before, CURRENT's files unloadable: the \
fill is charged that version's costs, not CURRENT's the run's costs were built from at the start`, async () => {
  const tmp = tempDir('bot-pf-fallback-costs-');
  const config = loadConfig({
    overrides: { ml: { backend: 'wasm' }, log: { file: '' }, data: { database: path.join(tmp.dir, 'bot.db') } },
  });
  await initBackend('wasm');
  const store = CandleStore.open(config.data.database);
  const repo = new RunRepository(store.db);
  const home = path.join(tmp.dir, 'models', 'pf');
  const ex = config.exchange.id;
  /** A process of `bot paper --symbols A/KRW,B/KRW --model … --once` after candle k closed, its costs the session's. */
  const onceAfter = async (k: number) => {
    const now = a.ts[k] + HOUR + 1000;
    const source = await portfolioModelSource(home, config, symbols, () => now);
    try {
      const costs = modelMarketCosts(symbols, source.costs, config.account).map((c) => c.costs);
      const trader = new PortfolioTrader({
        repo,
        store,
        feeds: [seriesFeed(a, HOUR), seriesFeed(b, HOUR)],
        policies: source,
        key: { mode: 'paper', name: 'costs', exchange: ex, symbol: symbols.join(','), timeframe: '1h' },
        symbols,
        costs,
        band: 0.01,
        balance: 10_000_000,
        historyCandles: 5,
        start: a.ts[START],
        clock: () => now,
        logger: quietLogger(),
      });
      await trader.tick();
      return source.costs;
    } finally {
      source.dispose?.();
    }
  };
  try {
    // the version the run serves first trades free of fees and slippage
    await saveModel(home, pairRecipe({ cash: true, costs: 'zero' }), [a, b], ex, ALL_IN_A);
    await onceAfter(START);
    const id = repo.list()[0].id;
    assert.equal(repo.trades(id).length, 0, 'the buy of A waits for the next open');
    // CURRENT, at Upbit's fee and slippage, cannot be loaded: the run's costs of the next process are its
    const staged = stageVersion(home, 'upbit');
    await saveModel(staged.dir, pairRecipe({ cash: true, costs: 'upbit-krw' }), [a, b], ex, ALL_IN_A);
    UNLOADABLE[0].spoil(staged.dir);
    staged.commit();
    promoteVersion(home, 'upbit');
    assert.equal(await onceAfter(START + 1), 'upbit-krw', "the process's costs are CURRENT's");
    assert.equal(repo.get(id).modelVersion, 'initial', 'the version served before decides');
    const fills = repo.trades(id);
    assert.ok(fills.length > 0, 'the buy filled');
    for (const f of fills) {
      assert.equal(f.fee, 0, `${f.side} at 'initial''s costs: no fee`);
      const open = (f.market === 'B/KRW' ? b : a).open[START + 1];
      assert.equal(f.price, open, `${f.side} at 'initial''s costs: no slippage`);
    }
  } finally {
    store.close();
    tmp.cleanup();
  }
});
