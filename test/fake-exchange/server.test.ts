import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import assert from 'node:assert/strict';
import { createExchange } from '../../src/data/exchange.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { fakeConfig, tempDir } from '../data/helpers.ts';
import { startFakeUpbit } from './server.ts';

const D = 86_400_000;

test(`the fake answers like Upbit: newest first, \`to\` exclusive, count ≤ 200, open candle included, gaps \
skipped`, async () => {
  const days = syntheticCandles({ seed: 2, count: 30, timeframe: '1d', start: Date.UTC(2024, 0, 1) });
  const now = Date.UTC(2024, 0, 30, 6); // Jan 30 is still open
  const fake = await startFakeUpbit({ now: () => now, series: [{ market: 'KRW-BTC', candles: days }] });
  try {
    fake.dropCandles('KRW-BTC', '1d', (ts) => ts === Date.UTC(2024, 0, 10));
    const get = async (q: string) => {
      const r = await fetch(`${fake.url}/v1/candles/days?${q}`);
      return {
        status: r.status,
        body: (await r.json()) as { candle_date_time_utc: string; trade_price: number; error?: unknown }[],
      };
    };
    const page = await get('market=KRW-BTC&count=3&to=2024-01-12T00:00:00Z');
    assert.deepEqual(
      page.body.map((c) => c.candle_date_time_utc),
      ['2024-01-11T00:00:00', '2024-01-09T00:00:00', '2024-01-08T00:00:00'],
    );
    const latest = await get('market=KRW-BTC&count=2');
    assert.equal(latest.body[0].candle_date_time_utc, '2024-01-30T00:00:00', 'the still-open candle is served');
    assert.notEqual(latest.body[0].trade_price, days.close[29], 'with its price so far, not the final one');
    assert.equal((await get('market=KRW-BTC&count=201')).status, 400);
    assert.equal((await get('market=KRW-NOPE&count=1')).status, 404);

    const ex = createExchange(fakeConfig(fake, tempDir()));
    const ticker = await ex.fetchTicker('BTC/KRW');
    assert.equal(ticker.symbol, 'BTC/KRW');
    assert.ok((ticker.last ?? 0) > 0);
    const weekly = await ex.fetchOHLCV('BTC/KRW', '1w', undefined, 5);
    assert.ok(weekly.length > 0 && weekly.every((c) => c.length === 6));
    const quarter = await ex.fetchOHLCV('BTC/KRW', '15m', now - D, 10);
    assert.equal(quarter.length, 10);
    assert.equal(quarter[1][0]! - quarter[0][0]!, 15 * 60_000);
    assert.ok(fake.state.requests.some((r) => r.path === '/v1/candles/minutes/15'));
  } finally {
    await fake.close();
  }
});

test(`serve.ts --help prints its options and exits 0; an unknown flag is one line, exit 2 (it crashed with a \
stack)`, () => {
  const serve = (arg: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'test/fake-exchange/serve.ts'), arg], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
  const help = serve('--help');
  assert.equal(help.status, 0, help.stderr);
  for (const flag of ['--config-out', '--count', '--start', '--timeframe', '--now', '--rate', '--orders', '--help'])
    assert.match(help.stdout, new RegExp(`^ +(-h, )?${flag} `, 'm'), flag);
  const bad = serve('--bogus');
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "error: Unknown option '--bogus' (--help lists the options)\n");
});
