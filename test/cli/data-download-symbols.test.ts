/** `bot data download --symbols A,B` (issue 14): each market into the store; bad input stops before any work. */
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { startFakeUpbit } from '../fake-exchange/server.ts';
import { tempDir } from '../data/helpers.ts';
import { runBot } from './run.ts';

const H = 3_600_000;

test('bot data download --symbols stores every market; bad --symbols is one line before any work', async () => {
  // the CLI runs on the real clock: the series end long before now, so which candles are closed cannot change
  const start = Math.floor(Date.now() / H) * H - 1000 * H;
  const markets = ['KRW-BTC', 'KRW-ETH', 'KRW-XRP'];
  const truth = markets.map((m, i) =>
    syntheticCandles({ seed: 60 + i, count: 250, timeframe: '1h', start, tick: 10, startPrice: 10 ** (7 - i) }),
  );
  const fake = await startFakeUpbit({ series: markets.map((market, i) => ({ market, candles: truth[i] })) });
  const dir = tempDir('bot-cli-download-symbols-');
  try {
    const config = path.join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ exchange: { ccxt: fake.ccxtOptions(), backoffMs: 5 }, log: { file: '' } }));
    const db = path.join(dir, 'bot.db');
    const base = ['data', 'download', '--config', config, '--db', db, '--log-level', 'warn'];
    const since = ['--since', new Date(start).toISOString()];
    const r = await runBot([...base, '--symbols', 'BTC/KRW,ETH/KRW,XRP/KRW', ...since]);
    assert.equal(r.code, 0, r.stderr);
    for (const s of ['BTC', 'ETH', 'XRP'])
      assert.match(r.stdout, new RegExp(`upbit ${s}/KRW 1h: 250 closed candles fetched in \\d+ requests`));
    const store = CandleStore.open(db);
    try {
      ['BTC/KRW', 'ETH/KRW', 'XRP/KRW'].forEach((s, i) => {
        const c = store.load('upbit', s, '1h');
        assert.deepEqual([...c.close], [...truth[i].close], s);
      });
    } finally {
      store.close();
    }
    const other = path.join(dir, 'never.db');
    for (const [args, message] of [
      [['--symbols', 'BTC/KRW'], /at least two markets/],
      [['--symbols', 'BTC/KRW,BTC/KRW'], /names a market twice/],
      [['--symbols', 'BTC/KRW,ETH/KRW', '--symbol', 'BTC/KRW'], /either --symbol .* or --symbols/],
    ] as const) {
      const bad = await runBot(['data', 'download', '--config', config, '--db', other, ...args]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, message);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    }
    assert.equal(existsSync(other), false, 'nothing written');
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
