/**
 * A portfolio paper run over markets whose candles open on offset grids (hourly BTC at :00, XRP at :30) is refused
 * as the backtest refuses it: its clock would fill a decision at an open before a candle it read had closed. Live
 * runs act on the same clock (clockTimes), so they are refused the same way.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { clockTimes } from '../../src/trading/portfolio-clock.ts';
import { CandleStore } from '../../src/data/store.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { paperRunFlags, runBot, writeFakeExchangeConfig } from './cli.ts';
import { tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const make = (seed: number, market: string, start: number) =>
  syntheticCandles({ seed, count: 300, timeframe: '1h', start, tick: 10, symbol: market, startPrice: 1_000_000 });
const btc = make(41, 'KRW-BTC', T0);
const xrp = make(42, 'KRW-XRP', T0 + HOUR / 2);
const START = btc.ts[150];
const END = btc.ts[btc.ts.length - 1] + HOUR + 10_000;
test('the paper and live clock refuses offset grids over the loaded candles, history included', () => {
  const offset = /KRW-BTC and KRW-XRP candles open on different 1h grids \(KRW-BTC at :00, KRW-XRP at :30/;
  // a tick's own range holds one time only: the candles before it still show the offset
  assert.throws(() => clockTimes([btc, xrp], btc.ts[200], btc.ts[200]), { message: offset });
  assert.equal(clockTimes([btc, { ...btc, symbol: 'KRW-ETH' }], btc.ts[200], btc.ts[209]).length, 10);
});

test('bot paper --symbols over offset grids: one line, non-zero exit, no run and no decision', async () => {
  const series = [
    { market: 'KRW-BTC', candles: btc },
    { market: 'KRW-XRP', candles: xrp },
  ];
  const [fake, tmp] = [await startFakeUpbit({ now: () => END, series }), tempDir('bot-pf-offset-')];
  try {
    const db = path.join(tmp.dir, 'paper.db');
    const flags = paperRunFlags(START, END, db, writeFakeExchangeConfig(tmp.dir, fake));
    const r = await runBot(['paper', '--symbols', 'BTC/KRW,XRP/KRW', '--rebalance-every', '1', '--once', ...flags]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(
      r.stderr,
      /BTC\/KRW and XRP\/KRW candles open on different 1h grids \(BTC\/KRW at :00, XRP\/KRW at :30/,
    );
    const store = CandleStore.open(db);
    try {
      assert.deepEqual(new RunRepository(store.db).list(), [], 'a start that fails before its first decision');
    } finally {
      store.close();
    }
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});
