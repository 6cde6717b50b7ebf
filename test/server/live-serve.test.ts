/**
 * `bot live … --serve PORT` (issue 15): the dashboard beside the live trader in one process, over the fake exchange
 * with its order endpoints: the run, its order and fill are served; no API response carries the exchange keys; SIGTERM
 * stops both.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { isoTime } from '../../src/data/timeframe.ts';
import { dashboardUrl, runBot, startBot } from '../trading/cli.ts';
import { liveCliSetup } from '../trading/live-setup.ts';

const KEY = 'serve-test-access-key-0123';
const SECRET = 'serve-test-secret-key-4567';

test('bot live --serve 0: the live run, its order and fill are served, never the keys; SIGTERM ends it', async () => {
  const { tmp, now, fake, book, cfg, db } = await liveCliSetup(47, 2_000_000, (dir) => ({
    server: { tokensFile: path.join(dir, 'tokens.json'), pollMs: 100 },
  }));
  const env = { UPBIT_API_KEY: KEY, UPBIT_API_SECRET: SECRET, NO_COLOR: '1' };
  const token = (await runBot(['serve', '--new-token', '--config', cfg])).stdout.trim();
  const bot = startBot(
    [
      'live',
      '--strategy',
      'buy-and-hold',
      '--confirm-live',
      '--now',
      isoTime(now),
      '--db',
      db,
      '--config',
      cfg,
      '--log-level',
      'warn',
      '--serve',
      '0',
    ],
    env,
  );
  try {
    const url = await dashboardUrl(bot);
    const auth = { authorization: `Bearer ${token}` };
    const get = async (p: string) => {
      const res = await fetch(`${url}/api/v1/${p}`, { headers: auth });
      const text = await res.text();
      assert.equal(res.status, 200, `${p}: ${text}`);
      assert.ok(!text.includes(KEY) && !text.includes(SECRET), `${p} must not carry the exchange keys`);
      return JSON.parse(text) as unknown;
    };
    type Run = { id: number; mode: string; lastDecisions: unknown[] };
    let runs: Run[] = [];
    for (let k = 0; k < 150 && !runs[0]?.lastDecisions.length; k++) {
      runs = (
        (await get('runs')) as {
          runs: Run[];
        }
      ).runs;
      if (!runs[0]?.lastDecisions.length) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(runs.length, 1, 'the live run the trader writes');
    assert.equal(runs[0].mode, 'live');
    let fills = { total: 0 };
    for (let k = 0; k < 100 && fills.total === 0; k++) {
      fills = (await get(`runs/${runs[0].id}/fills?limit=10`)) as { total: number };
      if (fills.total === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(fills.total, 1, 'buy-and-hold bought once');
    assert.equal(book.orders.length, 1, 'one order reached the exchange');
    const orders = (await get(`runs/${runs[0].id}/orders?limit=10`)) as { items?: { status: string }[] };
    assert.ok(JSON.stringify(orders).includes('filled'), JSON.stringify(orders));
    for (const p of ['health', 'models', 'backtests', 'logs?level=debug', `runs/${runs[0].id}`]) await get(p);
  } finally {
    bot.child.kill('SIGTERM');
    const r = await bot.done;
    await fake.close();
    tmp.cleanup();
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stderr.includes(SECRET) && !r.stdout.includes(SECRET), 'no log line carries the secret');
  }
});
