/**
 * The dashboard's REST API (issue 15) over real HTTP on 127.0.0.1, against a real SQLite file a real paper Trader
 * writes while the server reads it: runs, paged decisions, orders, fills, equity, candles with markers, models,
 * backtests, logs, validation errors, server-sent events and control commands the trader then honours.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isoTime } from '../../src/data/timeframe.ts';
import { runLockName } from '../../src/trading/lock.ts';
import { runBot } from '../trading/cli.ts';
import { KEY, paperFixture, serve, writeRetrains, type PaperFixture, type Served } from './fixture.ts';

/** A JSON reply of one of many shapes; the assertions check what each test reads. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let f: PaperFixture;
let s: Served;

before(async () => {
  f = await paperFixture();
  s = await serve(f, { token: true });
});
after(async () => {
  await s.server.close();
  f.cleanup();
});

async function get(path: string, token = s.token): Promise<{ status: number; body: Json; text: string; type: string }> {
  const res = await fetch(s.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, type: res.headers.get('content-type') ?? '' };
}

async function post(path: string, payload: unknown, token = s.token) {
  const res = await fetch(s.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(payload),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

test('runs: the paper run with market, policy, balance, position, P&L vs buy-and-hold, halted and ticks', async () => {
  const health = await get('/api/v1/health', undefined);
  assert.equal(health.status, 200);
  assert.deepEqual([health.body.ok, health.body.runs, health.body.auth], [true, 1, true]);
  const { status, body } = await get('/api/v1/runs');
  assert.equal(status, 200);
  const [run] = body.runs;
  const state = f.repo.list()[0];
  assert.equal(run.id, f.runId);
  assert.deepEqual(
    [run.mode, run.exchange, run.symbol, run.timeframe, run.policy],
    ['paper', 'upbit', 'BTC/KRW', '1h', 'strategy:momentum-test'],
  );
  assert.equal(run.cash, state.account.cash);
  assert.equal(run.units, state.account.units);
  assert.equal(typeof run.pnl, 'number');
  assert.equal(typeof run.buyHoldPnl, 'number');
  assert.equal(run.halted, null);
  assert.equal(run.lastCandle, new Date(state.lastTs as number).toISOString().replace('.000Z', 'Z'));
  assert.equal(run.passedOver, null, 'not paused: no candle passed over');
  assert.ok(run.nextTick > run.lastCandle);
  assert.equal(run.spark.length, 60);
  const one = await get(`/api/v1/runs/${f.runId}`);
  assert.equal(one.body.run.lastDecisions.length, 10);
});

test('decisions are paged newest first with confidence and model version, and add up to the database', async () => {
  const total = f.repo.decisionCount(f.runId);
  const seen: number[] = [];
  let cursor: number | null = null;
  do {
    const page = await get(`/api/v1/runs/${f.runId}/decisions?limit=7${cursor !== null ? `&before=${cursor}` : ''}`);
    assert.equal(page.status, 200);
    assert.equal(page.body.total, total);
    for (const d of page.body.items) {
      assert.ok('confidence' in d && 'modelVersion' in d && 'action' in d);
      seen.push(d.ts);
    }
    cursor = page.body.next;
  } while (cursor !== null);
  assert.deepEqual(
    seen,
    f.repo
      .decisions(f.runId)
      .map((d) => d.ts)
      .reverse(),
  );
});

test('orders, fills, equity with buy-and-hold and a candle window with buy/sell markers', async () => {
  const fills = await get(`/api/v1/runs/${f.runId}/fills?limit=1000`);
  const trades = f.repo.trades(f.runId);
  assert.ok(trades.length >= 2, `the run traded (${trades.length})`);
  assert.equal(fills.body.total, trades.length);
  const orders = await get(`/api/v1/runs/${f.runId}/orders`);
  assert.equal(orders.body.total, f.repo.orders(f.runId).length);
  const eq = await get(`/api/v1/runs/${f.runId}/equity`);
  const rows = f.repo.equity(f.runId);
  assert.equal(eq.body.points.length, rows.length);
  const first = eq.body.points[0];
  assert.equal(first.buyHold, 10_000_000, 'buy-and-hold starts at the initial balance on the first close');
  const win = await get(`/api/v1/runs/${f.runId}/candles?limit=40`);
  assert.equal(win.body.candles.length, 40);
  assert.equal(win.body.candles[39].ts, f.store.lastTs('upbit', 'BTC/KRW', '1h'));
  const inWindow = trades.filter((t) => t.ts >= win.body.candles[0].ts);
  assert.deepEqual(
    win.body.markers.map((m: { ts: number; side: string }) => [m.ts, m.side]),
    inWindow.map((t) => [t.ts, t.side]),
  );
  const older = await get(`/api/v1/runs/${f.runId}/candles?limit=10&to=${win.body.candles[0].ts - 1}`);
  assert.equal(older.body.candles[9].ts, win.body.candles[0].ts - 3_600_000, 'the window before, a window at a time');
});

test('models, backtests (list, report, trades, files) and the log tail filtered by level', async () => {
  const models = await get('/api/v1/models');
  assert.deepEqual(
    models.body.models.map((m: { name: string; current: string }) => [m.name, m.current]),
    [['btc-dqn', 'v2']],
  );
  assert.deepEqual(
    models.body.models[0].versions.map((v: { version: string }) => v.version),
    ['initial', 'v2'],
  );
  assert.equal(models.body.models[0].meta.metrics.validationSharpe, 2.5, 'the serving version v2');
  const list = await get('/api/v1/backtests');
  assert.deepEqual(
    list.body.backtests.map((b: { id: string; kind: string }) => [b.id, b.kind]),
    [
      ['pf-run', 'portfolio'],
      ['run-a', 'single'],
      ['run-b', 'single'],
    ],
  );
  assert.equal(list.body.backtests[1].buyHold.totalReturn, 0.05);
  // a portfolio backtest (bot backtest --symbols) is listed too: its summary, and equal weights held as buy-and-hold
  const pf = f.portfolio;
  const held = pf.baselines.find((b) => b.name === 'equal weights bought and held');
  const fills =
    readFileSync(path.join(f.backtestsDir, 'pf-run', 'trades.csv'), 'utf8')
      .trim()
      .split('\n').length - 1;
  assert.ok(fills > 0 && held);
  const { name: _strategy, ...figures } = pf.summary;
  const { name: _held, ...heldFigures } = held;
  assert.deepEqual(list.body.backtests[0], {
    id: 'pf-run',
    kind: 'portfolio',
    title: 'equal-weight/24 on BTC/KRW, ETH/KRW',
    createdAt: pf.createdAt,
    strategy: 'equal-weight',
    market: 'BTC/KRW, ETH/KRW',
    from: '2024-01-01T00:00:00Z',
    to: isoTime(pf.portfolio.timestamps[pf.portfolio.timestamps.length - 1]),
    trades: fills,
    metrics: figures,
    buyHold: heldFigures,
    notOutOfSample: false,
  });
  const pfReport = await get('/api/v1/backtests/pf-run');
  assert.equal(pfReport.status, 200);
  assert.equal(pfReport.body.report.summary.totalReturn, pf.summary.totalReturn);
  assert.deepEqual(pfReport.body.files, ['report.html', 'report.json', 'trades.csv']);
  assert.equal((await get('/api/v1/backtests/pf-run/trades')).body.trades[0].market, 'BTC/KRW');
  const report = await get('/api/v1/backtests/run-a');
  assert.equal(report.body.report.metrics.totalReturn, 0.12);
  assert.deepEqual(report.body.files, ['report.json', 'trades.csv']);
  const trades = await get('/api/v1/backtests/run-a/trades');
  assert.deepEqual(trades.body.trades[1], {
    index: 9,
    time: '2024-01-20T00:00:00Z',
    side: 'sell',
    price: 110,
    units: 1,
    gross: 110,
    fee: 0,
    tax: 0,
    realized_pnl: 0,
    cash: 1_120_000,
    units_after: 0,
  });
  const csv = await get('/api/v1/backtests/run-a/files/trades.csv');
  assert.equal(csv.status, 200);
  assert.match(csv.type, /text\/csv/);
  assert.match(csv.text, /^index,time,side/);
  const errors = await get('/api/v1/logs?level=error');
  assert.deepEqual(
    errors.body.entries.map((e: { message: string }) => e.message),
    ['tick failed, the next tick catches up: exchange down'],
  );
  const info = await get('/api/v1/logs?level=info&limit=5');
  assert.equal(info.body.entries.length, 2);
  assert.equal((await get('/api/v1/retrains')).body.retrains.length, 0);
});

test(`equity's drawdown runs from the run's own peak, also in a window that starts after it (a long run's last \
5000 points)`, async () => {
  const all: { equity: number; drawdown: number }[] = (await get(`/api/v1/runs/${f.runId}/equity?limit=50000`)).body
    .points;
  let peak = -Infinity;
  const whole = all.map((p) => {
    peak = Math.max(peak, p.equity);
    return p.equity / peak - 1;
  });
  // the shortest window whose own rows never reach the peak before it: measured alone, it understates its drawdown
  const n = [...all.keys()]
    .map((i) => all.length - i)
    .find((k) => Math.max(...all.slice(-k).map((p) => p.equity)) < Math.max(...all.slice(0, -k).map((p) => p.equity)));
  assert.ok(n !== undefined && n > 1, 'the fixture has a peak before a window of its newest points');
  const window: { drawdown: number }[] = (await get(`/api/v1/runs/${f.runId}/equity?limit=${n}`)).body.points;
  assert.equal(window.length, n);
  for (const [i, p] of window.entries()) assert.ok(Math.abs(p.drawdown - whole[all.length - n + i]) < 1e-12, `${i}`);
  assert.ok(window[0].drawdown < 0, 'the window opens below the peak before it');
});

test('every parameter is validated: a 400 with a one-line JSON error; unknown things are 404', async () => {
  const bad = [
    '/api/v1/runs/abc',
    '/api/v1/runs/1.5',
    `/api/v1/runs/${f.runId}/decisions?limit=0`,
    `/api/v1/runs/${f.runId}/decisions?limit=100000`,
    // every route with a limit refuses 0 (equity answered an empty list, a run without points)
    `/api/v1/runs/${f.runId}/equity?limit=0`,
    `/api/v1/runs/${f.runId}/equity?limit=50001`,
    `/api/v1/runs/${f.runId}/orders?limit=0`,
    `/api/v1/runs/${f.runId}/fills?limit=0`,
    `/api/v1/runs/${f.runId}/candles?limit=0`,
    `/api/v1/runs/${f.runId}/commands?limit=0`,
    '/api/v1/retrains?limit=0',
    '/api/v1/logs?limit=0',
    `/api/v1/runs/${f.runId}/decisions?before=-1`,
    `/api/v1/runs/${f.runId}/decisions?colour=red`,
    `/api/v1/runs/${f.runId}/candles?to=1e9`,
    '/api/v1/logs?level=verbose',
    '/api/v1/runs?x=1',
  ];
  for (const p of bad) {
    const r = await get(p);
    assert.equal(r.status, 400, p);
    assert.deepEqual(Object.keys(r.body), ['error'], p);
    assert.doesNotMatch(r.body.error, /\n/);
  }
  assert.equal((await get('/api/v1/runs/999')).status, 404);
  assert.equal((await get('/api/v1/backtests/nope')).status, 404);
  // a backtest that does not exist is not one without trades
  const noRun = await get('/api/v1/backtests/nope/trades');
  assert.equal(noRun.status, 404);
  assert.equal(noRun.body.error, 'no backtest nope');
  // no BOT_API_PASSWORD on this server: no password could log in, which "wrong password" hid
  const login = await post('/api/v1/login', { password: 'anything' }, undefined);
  assert.equal(login.status, 403);
  assert.equal(login.body.error, 'login by password is not configured (BOT_API_PASSWORD is not set on the server)');
  assert.equal((await get('/api/v1/nothing')).status, 404);
  const body = await post(`/api/v1/runs/${f.runId}/commands`, { kind: 'explode' });
  assert.equal(body.status, 400);
  assert.match(body.body.error, /^body kind: /);
  // malformed and oversized bodies are refused cleanly
  const malformed = await fetch(`${s.url}/api/v1/runs/${f.runId}/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` },
    body: '{"kind":',
  });
  assert.equal(malformed.status, 400);
  const huge = await fetch(`${s.url}/api/v1/runs/${f.runId}/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` },
    body: JSON.stringify({ kind: 'pause', reason: 'x'.repeat(100_000) }),
  });
  assert.equal(huge.status, 413);
  assert.ok('error' in ((await huge.json()) as object));
});

test('a time range whose from is after its to is a 400 naming both, on every route that takes one', async () => {
  for (const route of ['equity', 'weights']) {
    const r = await get(`/api/v1/runs/${f.runId}/${route}?from=500000000000&to=100000000000`);
    assert.equal(r.status, 400, route);
    assert.deepEqual(r.body, { error: 'query from: must not be after to (from 500000000000, to 100000000000)' }, route);
  }
  // an equal pair is a range of one instant, and one end alone is open
  for (const q of ['from=500000000000&to=500000000000', 'from=500000000000', 'to=100000000000'])
    assert.equal((await get(`/api/v1/runs/${f.runId}/equity?${q}`)).status, 200);
});

test('from and to are epoch milliseconds or ISO times, read as the CLI reads --from and --to', async () => {
  const run = `/api/v1/runs/${f.runId}`;
  const iso = await get(`${run}/equity?from=2024-01-06&to=2024-01-07T12:00Z`);
  assert.equal(iso.status, 200, JSON.stringify(iso.body));
  const ms = await get(`${run}/equity?from=${Date.UTC(2024, 0, 6)}&to=${Date.UTC(2024, 0, 7, 12)}`);
  assert.ok(iso.body.points.length > 0);
  assert.deepEqual(iso.body, ms.body);
  const candles = await get(`${run}/candles?to=2024-01-07T12:00%2B09:00&limit=1`);
  assert.deepEqual(candles.body, (await get(`${run}/candles?to=${Date.UTC(2024, 0, 7, 3)}&limit=1`)).body);
  // a year alone (or any number under 12 digits) is no time to the CLI, and was read as milliseconds after 1970
  for (const q of ['from=2024-02-30', 'to=yesterday', 'from=1e9', 'to=2025', 'from=99999999999'])
    assert.deepEqual((await get(`${run}/equity?${q}`)).body, {
      error: `query ${q.split('=')[0]}: expected epoch milliseconds (12 digits or more) or an ISO time such as \
2026-11-25T09:00Z`,
    });
  assert.equal((await get(`${run}/equity?from=100000000000`)).status, 200, 'twelve digits are milliseconds');
});

test('a method a route does not take is a 405 with an Allow header naming the ones it takes', async () => {
  const call = (method: string, path: string) =>
    fetch(s.url + path, { method, headers: { authorization: `Bearer ${s.token}` } });
  for (const [method, path, allow] of [
    ['DELETE', `/api/v1/runs/${f.runId}`, 'GET, HEAD, OPTIONS'],
    ['PUT', `/api/v1/runs/${f.runId}/equity?from=1`, 'GET, HEAD, OPTIONS'],
    ['GET', `/api/v1/runs/${f.runId}/commands/pause`, null],
    ['DELETE', '/api/v1/login', 'POST, OPTIONS'],
    ['DELETE', '/', 'GET, HEAD'],
  ] as const) {
    const res = await call(method, path);
    const body = (await res.json()) as Json;
    if (allow === null) {
      assert.equal(res.status, 404, path);
      continue;
    }
    assert.equal(res.status, 405, `${method} ${path}`);
    assert.equal(res.headers.get('allow'), allow, path);
    assert.deepEqual(body, { error: `method ${method} is not allowed here: this route takes ${allow}` });
  }
  // a path no route has stays a 404, whatever the method
  assert.equal((await call('DELETE', '/api/v1/nothing')).status, 404);
});

test(`a run whose process is not running has no next tick: a crashed one shows its last heartbeat, a stopped one \
none; in bot status (text, --json) and the API alike`, async () => {
  const g = await paperFixture();
  const t = await serve(g);
  try {
    const views = async () => {
      const api = ((await (await fetch(`${t.url}/api/v1/runs`)).json()) as Json).runs[0];
      const json = await runBot(['status', '--json', '--db', g.dbFile]);
      const text = await runBot(['status', '--db', g.dbFile]);
      assert.equal(json.code, 0, json.stderr);
      assert.equal(text.code, 0, text.stderr);
      const nextTick = /next tick (.*)$/m.exec(text.stdout)?.[1];
      return { api, json: JSON.parse(json.stdout) as Json, nextTick };
    };
    const running = await views();
    for (const v of [running.api, running.json]) assert.deepEqual([v.running, v.lastSeen], [true, null]);
    assert.match(running.api.nextTick, /^\d{4}-/);
    assert.match(running.nextTick ?? '', /^\d{4}-\d\d-\d\dT/);

    // crashed: the lock's row stays with a heartbeat older than trading.lockStaleSeconds (120 s)
    g.lock.release();
    const beat = Date.now() - 600_000;
    g.store.db
      .prepare('INSERT INTO trading_locks (name, pid, host, acquired_at, heartbeat) VALUES (?, ?, ?, ?, ?)')
      .run(runLockName(KEY), process.pid, os.hostname(), beat - 60_000, beat);
    const crashed = await views();
    for (const v of [crashed.api, crashed.json])
      assert.deepEqual([v.nextTick, v.running, v.lastSeen], [null, false, isoTime(beat)]);
    assert.equal(crashed.nextTick, `— (not running; last seen ${isoTime(beat)})`);

    // stopped: a clean stop released the lock
    g.store.db.prepare('DELETE FROM trading_locks').run();
    const stopped = await views();
    for (const v of [stopped.api, stopped.json])
      assert.deepEqual([v.nextTick, v.running, v.lastSeen], [null, false, null]);
    assert.equal(stopped.nextTick, '— (not running)');
  } finally {
    await t.server.close();
    g.cleanup();
  }
});

test(`an order of unknown outcome missing past the configured trading.live.unknownOrderGraceSeconds shows the command \
that settles it by hand in the API as in bot status; before it, in neither, by the trader's rule: the grace counts \
from the sending and from the first look-up that missed it (trading_orders.missing_since), so an order sent long ago \
but first missed a minute ago, or not looked up yet, is still within it`, async () => {
  const g = await paperFixture();
  const t = await serve(g, { unknownOrderGraceSeconds: 120 });
  try {
    const cfg = path.join(g.dir, 'grace.json');
    writeFileSync(cfg, JSON.stringify({ log: { file: '' }, trading: { live: { unknownOrderGraceSeconds: 120 } } }));
    // sent 5 minutes ago: past the configured 120 s, inside the default 600 s; the API and bot status by the wall clock
    g.clock.now = Date.now();
    const sent = g.clock.now - 300_000;
    g.repo.insertOrder(g.runId, sent, 'buy', 100_000, 'submitting', sent, undefined, 'bot1-grace-1');
    const views = async () => {
      const api = ((await (await fetch(`${t.url}/api/v1/runs/${g.runId}`)).json()) as Json).run;
      const cli = await runBot(['status', '--json', '--db', g.dbFile, '--config', cfg]);
      assert.equal(cli.code, 0, cli.stderr);
      return [api, JSON.parse(cli.stdout) as Json];
    };
    const update = (column: string, value: number | null) =>
      g.store.db.prepare(`UPDATE trading_orders SET ${column} = ? WHERE client_id = 'bot1-grace-1'`).run(value);
    // missed by a look-up right after it was sent: past the grace on both counts, the next look-up writes it off
    update('missing_since', sent);
    for (const v of await views()) {
      assert.equal(v.inFlight.length, 1);
      assert.match(v.inFlight[0].settle ?? '', /--settle-order bot1-grace-1 --exchange-order-id ID/);
      assert.match(v.inFlight[0].state, new RegExp(`missing since ${isoTime(sent)}, written off if still missing`));
    }
    // first missed just now (a restart after a long downtime): the trader waits the grace from that miss; a few
    // seconds back, so the two views below have most of the 120 s grace to run in before it would end by the wall clock
    const missed = g.clock.now - 5_000;
    update('missing_since', missed);
    for (const v of await views()) {
      assert.equal(v.inFlight[0].settle, null, v.inFlight[0].state);
      const from = isoTime(missed + 120_000);
      assert.match(v.inFlight[0].state, new RegExp(`missing since ${isoTime(missed)}, .* from ${from}$`));
    }
    // no look-up has missed it yet: the first one starts the grace
    update('missing_since', null);
    for (const v of await views()) {
      assert.equal(v.inFlight[0].settle, null);
      assert.match(v.inFlight[0].state, /, no look-up has missed it yet$/);
    }
    // sent a minute ago and missed since: inside the grace period, no way out shown yet
    update('created_at', sent + 240_000);
    update('missing_since', sent + 240_000);
    for (const v of await views()) assert.equal(v.inFlight[0].settle, null);
  } finally {
    await t.server.close();
    g.cleanup();
  }
});

/** Reads server-sent events until `until` says stop. */
/**
 * Reads an event stream until `until` holds. `connected` settles once the server's `: connected` line arrives: the
 * server registers the stream before writing it, so an event after that reaches this reader (no fixed wait).
 */
function readEvents(
  path: string,
  until: (events: { event: string; data: Json }[]) => boolean,
): { connected: Promise<void>; events: Promise<{ event: string; data: Json }[]> } {
  let isConnected!: () => void;
  const connected = new Promise<void>((r) => (isConnected = r));
  const events = new Promise<{ event: string; data: Json }[]>((resolve, reject) => {
    const seen: { event: string; data: Json }[] = [];
    const req = http.get(s.url + path, { headers: { authorization: `Bearer ${s.token}` } }, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream');
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        if (/^: connected$/m.test(buf)) isConnected();
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event && data) seen.push({ event, data: JSON.parse(data) });
        }
        if (until(seen)) {
          req.destroy();
          resolve(seen);
        }
      });
    });
    req.on('error', (e) =>
      e.message.includes('aborted') || e.message.includes('socket hang up') ? undefined : reject(e),
    );
    setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(seen)}`)), 10_000).unref();
  });
  return { connected, events };
}

test(`server-sent events carry a new decision when the trader ticks; a pause asked over the API is honoured and \
pushed`, async () => {
  const before = f.repo.decisionCount(f.runId);
  const stream = readEvents('/api/v1/events', (ev) => ev.some((e) => e.event === 'decision'));
  await stream.connected;
  await f.advance(1);
  const events = await stream.events;
  const d = events.find((e) => e.event === 'decision');
  assert.equal(d?.data.runId, f.runId);
  assert.equal(d?.data.ts, f.repo.list()[0].lastTs);
  assert.equal(f.repo.decisionCount(f.runId), before + 1);

  const queued = await post(`/api/v1/runs/${f.runId}/commands`, { kind: 'pause', reason: 'api test' });
  assert.equal(queued.status, 202);
  assert.equal(queued.body.command.status, 'pending');
  assert.match(queued.body.command.requestedBy, /^token:[0-9a-f]{8}@127\.0\.0\.1$/);
  const paused = readEvents('/api/v1/events', (ev) => ev.some((e) => e.event === 'pause'));
  await paused.connected;
  await f.advance(2);
  const ev = await paused.events;
  assert.match(ev.find((e) => e.event === 'pause')?.data.by, /api test/);
  assert.equal(f.repo.decisionCount(f.runId), before + 1, 'no decision while paused');
  const cmds = await get(`/api/v1/runs/${f.runId}/commands`);
  assert.equal(cmds.body.commands[0].status, 'applied');
  const run = await get(`/api/v1/runs/${f.runId}`);
  assert.match(run.body.run.paused, /paused by token:/);
  await post(`/api/v1/runs/${f.runId}/commands`, { kind: 'resume' });
  await f.advance(1);
  assert.equal(f.repo.decisionCount(f.runId), before + 2);
});

test(`retrains: the holdout and the challenger's place on it, schedule and --retry-holdout, the costs judged at, a \
row closed after its process was killed, and when a refused winner's home is free; secrets masked`, async () => {
  const secret = 'sk-retrain-0123456789';
  process.env.BOT_TEST_RETRAIN_KEY = secret;
  const remove = writeRetrains(f, secret);
  try {
    const { status, body, text } = await get('/api/v1/retrains');
    assert.equal(status, 200);
    assert.doesNotMatch(text, /sk-retrain-0123456789/);
    const pick = (r: Json) => [
      r.challengerVersion,
      r.outcome,
      r.holdoutFrom,
      r.holdoutTo,
      r.holdoutTrial,
      r.scheduled,
      r.retryHoldout,
      r.costs,
      r.killed,
      r.freeFrom,
    ];
    const from = Date.UTC(2024, 0, 10);
    const to = Date.UTC(2024, 0, 11);
    assert.deepEqual(body.retrains.map(pick), [
      ['v4', 'promoted', from, to, 1, false, false, 'account.preset upbit-krw', true, null],
      ['v3', 'promoted', from, to, 3, true, true, 'cost preset ***', false, null],
      ['v2', 'rejected', from, to, 2, false, false, 'account.preset upbit-krw', false, Date.UTC(2024, 0, 12, 17)],
    ]);
    assert.match(body.retrains[0].reason, /\(CURRENT names it\) \*\*\*$/);
  } finally {
    remove();
    delete process.env.BOT_TEST_RETRAIN_KEY;
  }
});
