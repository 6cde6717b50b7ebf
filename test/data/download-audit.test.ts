/**
 * Adversarial cases of `bot data download` against the fake Upbit over 127.0.0.1 (real ccxt, real SQLite): a machine
 * clock that runs ahead of the exchange's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downloadToStore } from '../../src/data/download.ts';
import { createExchange, retryOptionsFrom } from '../../src/data/exchange.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { fakeConfig, tempDir } from './helpers.ts';

const H = 3_600_000;
const START = Date.UTC(2024, 0, 1);

const series = (count: number) => syntheticCandles({ seed: 5, count, timeframe: '1h', start: START, tick: 1000 });

test(`download with this machine's clock 30 s ahead of the exchange's: the candle the exchange still has open is not \
stored as closed, and the next run stores it with its final values`, async () => {
  let truth = series(300);
  const last = truth.ts.length - 1;
  // by this machine's clock the last candle closed 5 s ago; by the exchange's it has 25 s to go
  const machine = { now: truth.ts[last] + H + 5_000 };
  const fake = await startFakeUpbit({
    now: () => machine.now - 30_000,
    series: [{ market: 'KRW-BTC', candles: truth }],
  });
  const config = fakeConfig(fake, tempDir());
  const download = async () => {
    const store = CandleStore.open(config.data.database);
    try {
      await downloadToStore(
        store,
        createExchange(config),
        { exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h', since: START },
        { retry: retryOptionsFrom(config), now: () => machine.now },
      );
      return store.load('upbit', 'BTC/KRW', '1h');
    } finally {
      store.close();
    }
  };
  try {
    const first = await download();
    const at = first.ts.indexOf(truth.ts[last]);
    if (at >= 0) assert.equal(first.volume[at], truth.volume[last], 'a candle stored as closed has its final volume');

    // an hour later the candle has closed on the exchange too, and one more has opened
    fake.setSeries('KRW-BTC', (truth = series(301)));
    machine.now += H;
    const second = await download();
    const i = second.ts.indexOf(truth.ts[last]);
    assert.ok(i >= 0, 'the candle is stored once it has closed');
    assert.deepEqual(
      [second.close[i], second.volume[i]],
      [truth.close[last], truth.volume[last]],
      'stored with its final close and volume',
    );
    assert.equal(second.ts.length, 300, 'every closed candle, none twice');
  } finally {
    await fake.close();
  }
});
