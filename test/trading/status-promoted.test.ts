/**
 * `bot status` of a model run whose home a retrain promoted a new version into: the run serves the old one until its
 * next tick, and the status says CURRENT names the new one (it showed only `@ <old version>`).
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
    const trader = new Trader({
      repo,
      store,
      feed: seriesFeed(candles, HOUR),
      market: new PaperMarket(served.costs, served.sizing),
      policies: served.source,
      key: KEY,
      balance: config.account.balance,
      historyCandles: config.trading.historyCandles,
      start: candles.ts[200],
      clock: () => now,
      logger: quietLogger(),
    });
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
