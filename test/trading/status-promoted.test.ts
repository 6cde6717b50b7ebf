/**
 * `bot status` of a model run whose home a retrain promoted a new version into: the run serves the old one until its
 * next tick, and the status says CURRENT names the new one (it showed only `@ <old version>`), also from another
 * folder than the run's, when the run names its home by a relative path.
 */
import '../helpers/state-dir.ts';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { CandleStore } from '../../src/data/store.ts';
import { modelPolicySource } from '../../src/trading/model-policy-source.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { formatStatus, runStatus } from '../../src/trading/status.ts';
import { Trader } from '../../src/trading/trader.ts';
import type { RunKey } from '../../src/trading/types.ts';
import { promotedChampion, riseThenFall } from './agents.ts';
import { quietLogger, seriesFeed, tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const KEY: RunKey = { mode: 'paper', name: 'p', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' };

test(`bot status says when the model home's CURRENT names a version the run does not serve yet: it takes over at \
the next tick`, async () => {
  const tmp = tempDir();
  const candles = riseThenFall(260, 40);
  const config = loadConfig({ overrides: { data: { database: path.join(tmp.dir, 'bot.db') }, log: { file: '' } } });
  const store = CandleStore.open(config.data.database);
  const home = path.join(tmp.dir, 'models', 'h5');
  let now = candles.ts[200] + HOUR + 1000;
  try {
    await promotedChampion(home, candles);
    const served = await modelPolicySource(home, config, () => now);
    const repo = new RunRepository(store.db);
    const trader = traderOf(served, { store, repo, candles, config, clock: () => now });
    const status = () => runStatus(repo, KEY, now, 5, { tickDelaySeconds: 10, lockStaleSeconds: 120 })!;
    try {
      await trader.tick();
      assert.equal(status().modelVersion, 'champion');
      assert.equal(status().promotedVersion, null);
      assert.doesNotMatch(formatStatus(status()), /CURRENT is now/);
      await promotedChampion(home, candles, 'v2'); // a retrain promoted v2 after the tick
      assert.equal(status().promotedVersion, 'v2');
      assert.match(
        formatStatus(status()).split('\n')[0],
        / @ champion \(CURRENT is now v2: it takes over at the next tick\)$/,
      );
      now += HOUR;
      await trader.tick();
      assert.equal(status().modelVersion, 'v2');
      assert.doesNotMatch(formatStatus(status()), /CURRENT is now/);
    } finally {
      served.source.dispose?.();
    }
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`the status note reads the home the run stored by its real path, not its policy's path from the working folder: \
bot status from another folder than a run given --model models/h5 still says CURRENT is now v2`, async () => {
  const tmp = tempDir();
  const candles = riseThenFall(260, 40);
  const config = loadConfig({ overrides: { data: { database: path.join(tmp.dir, 'bot.db') }, log: { file: '' } } });
  const store = CandleStore.open(config.data.database);
  const home = path.join(tmp.dir, 'models', 'h5');
  const elsewhere = process.cwd();
  const now = candles.ts[200] + HOUR + 1000;
  try {
    await promotedChampion(home, candles);
    process.chdir(tmp.dir); // the run's folder: it names its home models/h5
    const served = await modelPolicySource(path.join('models', 'h5'), config, () => now);
    const repo = new RunRepository(store.db);
    try {
      await traderOf(served, { store, repo, candles, config, clock: () => now }).tick();
    } finally {
      served.source.dispose?.();
      process.chdir(elsewhere);
    }
    assert.equal(repo.find(KEY)?.policy, `model:${path.join('models', 'h5')}`);
    await promotedChampion(home, candles, 'v2');
    const status = runStatus(repo, KEY, now, 5, { tickDelaySeconds: 10, lockStaleSeconds: 120 })!;
    assert.equal(status.promotedVersion, 'v2');
    assert.match(
      formatStatus(status).split('\n')[0],
      / @ champion \(CURRENT is now v2: it takes over at the next tick\)$/,
    );
  } finally {
    process.chdir(elsewhere);
    store.close();
    tmp.cleanup();
  }
});

/** A paper trader of KEY serving `served` over `candles` from candle 200 on. */
function traderOf(
  served: Awaited<ReturnType<typeof modelPolicySource>>,
  o: {
    store: CandleStore;
    repo: RunRepository;
    candles: ReturnType<typeof riseThenFall>;
    config: ReturnType<typeof loadConfig>;
    clock: () => number;
  },
): Trader {
  return new Trader({
    repo: o.repo,
    store: o.store,
    feed: seriesFeed(o.candles, HOUR),
    market: new PaperMarket(served.costs, served.sizing),
    policies: served.source,
    key: KEY,
    balance: o.config.account.balance,
    historyCandles: o.config.trading.historyCandles,
    start: o.candles.ts[200],
    clock: o.clock,
    logger: quietLogger(),
  });
}
