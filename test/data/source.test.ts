/**
 * A rule strategy's warm-up from the store (loadSeries with `warmup`): timeframes back on a market that trades around
 * the clock, as the paper trader's history is, holes and all; stored candles back on a market that closes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { loadSeries } from '../../src/data/source.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import type { Candles } from '../../src/core/candles.ts';
import { CHINA_FUTURE_OPENS, sessionCandles, tempDir } from './helpers.ts';

const H = 3_600_000;

async function warmedUp(c: Candles, from: number): Promise<Candles> {
  const database = path.join(tempDir(), 'bot.db');
  const store = CandleStore.open(database);
  store.upsert(
    'x',
    c.symbol,
    '1h',
    [...c.ts].map((ts, i) => ({ ts, ...ohlcv(c, i) })),
  );
  store.close();
  const config = loadConfig({
    overrides: { exchange: { id: 'x' }, symbol: c.symbol, timeframe: '1h', data: { database } },
  });
  return (await loadSeries({ config, from, warmup: 100, download: false })).candles;
}

function ohlcv(c: Candles, i: number) {
  return { open: c.open[i], high: c.high[i], low: c.low[i], close: c.close[i], volume: c.volume[i] };
}

test('around the clock, holes and all: the warm-up is 100 hours back, where the paper trader starts too', async () => {
  const c = syntheticCandles({ seed: 1, count: 400, gapProbability: 0.2, symbol: 'A/KRW' });
  const from = c.ts[300];
  const loaded = await warmedUp(c, from);
  const first = c.ts.findIndex((ts) => ts >= from - 100 * H);
  assert.equal(loaded.ts[0], c.ts[first]);
  assert.ok(300 - first < 100, `${300 - first} candles in 100 hours with a fifth of them missing`);
});

test("an index future's 4 candles a weekday: the warm-up is the 100 stored candles before --from", async () => {
  const c = sessionCandles({ seed: 2, count: 400, opens: CHINA_FUTURE_OPENS });
  const loaded = await warmedUp(c, c.ts[300]);
  assert.equal(loaded.ts[0], c.ts[200], '100 hours back would hold only about 20 of them');
  assert.equal(loaded.ts.length, 200);
});
