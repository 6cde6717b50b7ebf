/**
 * `bot paper … --serve PORT` (issue 15): the dashboard beside the trader in one process, over the fake exchange;
 * its webhook gets the run's fills; a pause through the API is recorded; bad --serve values stop before any work.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { startFakeUpbit, type FakeUpbit } from '../fake-exchange/server.ts';
import {
  dashboardUrl,
  haltFirstRun,
  paperRunFlags,
  runBot,
  startBot,
  writeFakeExchangeConfig,
} from '../trading/cli.ts';
import { tempDir } from '../trading/helpers.ts';

const HOUR = 3_600_000;
const candles = syntheticCandles({
  seed: 31,
  count: 500,
  timeframe: '1h',
  start: Date.UTC(2024, 0, 1),
  tick: 1000,
  symbol: 'KRW-BTC',
});
const START = candles.ts[300];
const END = candles.ts[candles.ts.length - 1] + HOUR + 10_000;
const tmp = tempDir('bot-paper-serve-');
let fake: FakeUpbit;
let hook: http.Server;
const hits: { event: string }[] = [];
let cfg: string;

before(async () => {
  fake = await startFakeUpbit({ now: () => END, series: [{ market: 'KRW-BTC', candles }] });
  hook = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      hits.push(JSON.parse(raw) as { event: string });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  cfg = writeFakeExchangeConfig(tmp.dir, fake, {
    server: { tokensFile: path.join(tmp.dir, 'tokens.json'), pollMs: 100 },
    notify: {
      webhooks: [{ url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`, format: 'json' }],
      events: ['fill', 'halt', 'promotion', 'tick-failed'],
      retries: 1,
      backoffMs: 10,
      timeoutMs: 2000,
      telegramApiUrl: 'https://api.telegram.org',
    },
  });
});
after(async () => {
  await fake.close();
  await new Promise<void>((r) => hook.close(() => r()));
  tmp.cleanup();
});

test(`bot paper --serve 0: the dashboard answers while the trader runs; its fills go to the webhook; SIGTERM stops \
both`, async () => {
  const db = path.join(tmp.dir, 'bot.db');
  const token = (await runBot(['serve', '--new-token', '--config', cfg])).stdout.trim();
  const bot = startBot(['paper', '--strategy', 'sma-cross', ...paperRunFlags(START, END, db, cfg), '--serve', '0']);
  try {
    const url = await dashboardUrl(bot);
    const auth = { authorization: `Bearer ${token}` };
    let runs: { id: number; lastDecisions: unknown[] }[] = [];
    for (let k = 0; k < 100 && !runs[0]?.lastDecisions.length; k++) {
      runs = ((await (await fetch(`${url}/api/v1/runs`, { headers: auth })).json()) as { runs: typeof runs }).runs;
      if (!runs[0]?.lastDecisions.length) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(runs.length, 1, 'the run the trader writes');
    // the trader catches up in slices while the dashboard answers: wait until it has acted on every closed candle
    const expected = candles.ts.filter((ts) => ts >= START).length;
    let decisions = { total: 0 };
    for (let k = 0; k < 300 && decisions.total < expected; k++) {
      if (k > 0) await new Promise((r) => setTimeout(r, 100));
      const res = await fetch(`${url}/api/v1/runs/${runs[0].id}/decisions?limit=1000`, { headers: auth });
      decisions = (await res.json()) as { total: number };
    }
    assert.equal(decisions.total, expected);
    const fills = (await (
      await fetch(`${url}/api/v1/runs/${runs[0].id}/fills?limit=1000`, { headers: auth })
    ).json()) as { total: number };
    assert.ok(fills.total >= 2, `sma-cross traded (${fills.total})`);
    const queued = await fetch(`${url}/api/v1/runs/${runs[0].id}/commands`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"kind":"pause"}',
    });
    assert.equal(queued.status, 202);
    for (let k = 0; k < 50 && hits.filter((h) => h.event === 'fill').length < fills.total; k++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(hits.filter((h) => h.event === 'fill').length, fills.total, 'one webhook per fill');
  } finally {
    bot.child.kill('SIGTERM');
    const r = await bot.done;
    assert.equal(r.code, 0, r.stderr);
  }
});

test('bad --serve values and --serve with --once stop in one line before any work', async () => {
  const db = path.join(tmp.dir, 'never.db');
  const bad = await runBot(['paper', '--strategy', 'sma-cross', '--db', db, '--config', cfg, '--serve', '99999']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim(), 'error: --serve: "99999" is not a port (0-65535)');
  const once = await runBot([
    'paper',
    '--strategy',
    'sma-cross',
    '--db',
    db,
    '--config',
    cfg,
    '--serve',
    '0',
    '--once',
  ]);
  assert.equal(once.stderr.trim(), 'error: --serve runs beside the trader loop: drop --once');
});

test('bot paper --once on a run halted from the dashboard stops in one line, without a stack trace', async () => {
  const db = path.join(tmp.dir, 'halted.db');
  const flags = ['paper', '--strategy', 'sma-cross', '--once', ...paperRunFlags(START, END, db, cfg)];
  const first = await runBot(flags);
  assert.equal(first.code, 0, first.stderr);
  haltFirstRun(db, END);
  const halted = await runBot([...flags, '--log-level', 'info']);
  assert.equal(halted.code, 1, halted.stderr);
  const lines = halted.stderr.split('\n').filter((l) => l.trim() !== '' && !/^\d\d:\d\d:\d\d (info|warn) /.test(l));
  assert.equal(lines.length, 1, halted.stderr);
  assert.match(lines[0], /^error: .*halted by token:ci/);
  assert.doesNotMatch(halted.stderr, /unexpected failure|HaltError|\n\s+at /);
});
