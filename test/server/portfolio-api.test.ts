/**
 * The dashboard's REST API for a portfolio run (issue 14), over a real SQLite file from a real `bot paper --symbols`
 * run against the fake exchange: the run's markets and weights, weights over time, equity rows without a price,
 * orders, fills and candles per market, validated parameters, and nothing secret in a response.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Candles } from '../../src/core/candles.ts';
import { CandleStore } from '../../src/data/store.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import type { DashboardServer } from '../../src/server/app.ts';
import { DbWatcher } from '../../src/server/events.ts';
import { noticeFor } from '../../src/server/notify.ts';
import { runBot } from '../trading/cli.ts';
import { ETH_FEE, portfolioFixture, servePortfolio, SYMBOLS, type PortfolioFixture } from './portfolio-fixture.ts';

/** A JSON reply of one of many shapes; the assertions check what each test reads. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let f: PortfolioFixture;
let s: { server: DashboardServer; url: string };
let pfId: number;
let singleId: number;
/** What the trader wrote, read straight from the file. */
let db: { positions: { ts: number; market: string; units: number; price: number; weight: number }[]; fills: number };

before(async () => {
  f = await portfolioFixture();
  s = await servePortfolio(f);
  const store = CandleStore.open(f.dbFile);
  try {
    const repo = new RunRepository(store.db);
    const runs = repo.list();
    pfId = runs.find((r) => r.portfolio)!.id;
    singleId = runs.find((r) => !r.portfolio)!.id;
    db = {
      positions: store.db
        .prepare('SELECT ts, market, units, price, weight FROM trading_positions WHERE run_id = ? ORDER BY ts, market')
        .all(pfId) as typeof db.positions,
      fills: repo.trades(pfId).length,
    };
  } finally {
    store.close();
  }
});
after(async () => {
  await s?.server.close();
  f?.cleanup();
});

async function get(path: string): Promise<{ status: number; body: Json; text: string }> {
  const res = await fetch(s.url + '/api/v1' + path);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Json, text };
}

/** The last close at or before ts (a market without a candle at ts is valued at its last close). */
function markAt(c: Candles, ts: number): number {
  let j = -1;
  for (let i = 0; i < c.ts.length && c.ts[i] <= ts; i++) j = i;
  return c.close[j];
}

test('the run lists its markets, each position and weight, and equal weights held as its buy-and-hold', async () => {
  const { body } = await get('/runs');
  const run = body.runs.find((r: Json) => r.id === pfId);
  assert.deepEqual(run.markets, SYMBOLS);
  assert.equal(run.symbol, SYMBOLS.join(','));
  assert.deepEqual(
    run.positions.map((p: Json) => p.market),
    SYMBOLS,
  );
  const lastTs = Math.max(...db.positions.map((p) => p.ts));
  for (const p of run.positions) {
    const row = db.positions.find((x) => x.ts === lastTs && x.market === p.market)!;
    assert.equal(p.price, row.price);
    assert.ok(Math.abs(p.weight - p.value / run.equity) < 1e-9);
  }
  const cashWeight = run.cash / run.equity;
  assert.ok(Math.abs(cashWeight + run.positions.reduce((a: number, p: Json) => a + p.weight, 0) - 1) < 1e-9);
  // equal weights bought at the first acted close and held, from the served closes
  const first = Math.min(...db.positions.map((p) => p.ts));
  const ratio = f.series.reduce((a, c) => a + markAt(c, lastTs) / markAt(c, first), 0) / f.series.length;
  assert.ok(Math.abs(run.buyHoldPnl - (ratio - 1)) < 1e-9, `${run.buyHoldPnl} vs ${ratio - 1}`);
  const single = body.runs.find((r: Json) => r.id === singleId);
  assert.equal(single.markets, undefined, 'a single-market run has no markets list');
  assert.equal(single.positions, undefined);
});

test("bot status --symbols: its buy-and-hold is the API's (equal weights held), in --json and the table", async () => {
  const api = (await get(`/runs/${pfId}`)).body.run.buyHoldPnl as number;
  assert.equal(typeof api, 'number');
  const common = [
    'status',
    '--symbols',
    SYMBOLS.join(','),
    '--db',
    f.dbFile,
    '--config',
    path.join(f.dir, 'config.json'),
  ];
  const json = await runBot([...common, '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.equal((JSON.parse(json.stdout) as { buyHoldPnl: number | null }).buyHoldPnl, api);
  const table = await runBot(common);
  assert.equal(table.code, 0, table.stderr);
  // the figure pays no costs, unlike the backtest's baseline of the same name: the line says so
  assert.match(
    table.stdout,
    new RegExp(`P&L -?[\\d.]+% vs equal weights held before costs ${(api * 100).toFixed(2)}%`),
  );
});

test('GET /runs/:id: fills, traded value and fees per market; the config file gave ETH/KRW its own fee', async () => {
  const { body } = await get(`/runs/${pfId}`);
  assert.deepEqual(
    body.marketStats.map((m: Json) => m.market),
    SYMBOLS,
  );
  const [btc, eth] = body.marketStats;
  assert.equal(btc.fills + eth.fills, db.fills);
  assert.ok(btc.fills >= 3 && eth.fills >= 3, `${btc.fills} and ${eth.fills} fills`);
  assert.equal(btc.buys + btc.sells, btc.fills);
  assert.ok(Math.abs(btc.fees - 0.0005 * btc.traded) < 1e-6 * btc.traded, 'BTC/KRW at account.feeRate');
  assert.ok(Math.abs(eth.fees - ETH_FEE * eth.traded) < 1e-6 * eth.traded, 'ETH/KRW at account.markets fee');
  assert.equal((await get(`/runs/${singleId}`)).body.marketStats, undefined);
});

test('GET /runs/:id/weights: every candle time, as the trader wrote it; limit, from and to', async () => {
  const { status, body } = await get(`/runs/${pfId}/weights?limit=50000`);
  assert.equal(status, 200);
  assert.deepEqual(body.markets, SYMBOLS);
  const times = [...new Set(db.positions.map((p) => p.ts))];
  assert.equal(body.points.length, times.length);
  assert.ok(times.length > 100);
  body.points.forEach((p: Json, k: number) => {
    assert.equal(p.ts, times[k]);
    SYMBOLS.forEach((m, i) =>
      assert.equal(p.weights[i], db.positions.find((x) => x.ts === p.ts && x.market === m)!.weight),
    );
    assert.ok(Math.abs(p.cash + p.weights[0] + p.weights[1] - 1) < 1e-9);
  });
  assert.ok(
    body.points.some((p: Json) => p.weights[0] > 0.3 && p.weights[1] > 0.3),
    'equal weight held both',
  );
  const newest = (await get(`/runs/${pfId}/weights?limit=10`)).body.points;
  assert.deepEqual(
    newest.map((p: Json) => p.ts),
    times.slice(-10),
  );
  const window = (await get(`/runs/${pfId}/weights?from=${times[5]}&to=${times[9]}`)).body.points;
  assert.deepEqual(
    window.map((p: Json) => p.ts),
    times.slice(5, 10),
  );
  const single = await get(`/runs/${singleId}/weights`);
  assert.equal(single.status, 404);
  assert.match(single.body.error, /trades one market: it has no portfolio weights/);
});

test('GET /runs/:id/equity: a portfolio row has value and cash, no price or units; one market keeps them', async () => {
  const { body } = await get(`/runs/${pfId}/equity`);
  const first = body.points[0];
  assert.deepEqual(Object.keys(first).sort(), ['buyHold', 'cash', 'drawdown', 'equity', 'ts']);
  const initial = 10_000_000;
  assert.ok(Math.abs(first.buyHold - initial) < 1e-6, 'equal weights held start at the initial balance');
  const last = body.points[body.points.length - 1];
  const ratio = f.series.reduce((a, c) => a + markAt(c, last.ts) / markAt(c, first.ts), 0) / f.series.length;
  assert.ok(Math.abs(last.buyHold - initial * ratio) < 1e-6);
  const single = (await get(`/runs/${singleId}/equity`)).body.points[0];
  assert.deepEqual(Object.keys(single).sort(), ['buyHold', 'cash', 'drawdown', 'equity', 'price', 'ts', 'units']);
  assert.ok(single.price > 0);
});

test('orders, fills and candles per market; decisions carry their target weights', async () => {
  const all = (await get(`/runs/${pfId}/fills?limit=1000`)).body;
  assert.equal(all.total, db.fills);
  let sum = 0;
  for (const m of SYMBOLS) {
    const q = `market=${encodeURIComponent(m)}&limit=1000`;
    const fills = (await get(`/runs/${pfId}/fills?${q}`)).body;
    assert.ok(fills.items.length > 0 && fills.items.every((x: Json) => x.market === m));
    assert.equal(fills.total, fills.items.length);
    sum += fills.total;
    const orders = (await get(`/runs/${pfId}/orders?${q}`)).body;
    assert.ok(orders.items.length >= fills.total && orders.items.every((x: Json) => x.market === m));
    const win = (await get(`/runs/${pfId}/candles?${q}`)).body;
    assert.equal(win.symbol, m);
    const served = f.series[SYMBOLS.indexOf(m)];
    const k = served.ts.indexOf(win.candles[0].ts);
    assert.deepEqual(
      win.candles.map((c: Json) => c.close),
      Array.from(served.close.slice(k, k + win.candles.length)),
    );
    const inWindow = fills.items.filter((x: Json) => x.ts >= win.candles[0].ts);
    assert.equal(win.markers.length, inWindow.length, `${m}: markers are this market's fills only`);
  }
  assert.equal(sum, all.total);
  assert.equal((await get(`/runs/${pfId}/candles`)).body.symbol, SYMBOLS[0], 'the first market by default');
  const decisions = (await get(`/runs/${pfId}/decisions?limit=1000`)).body.items;
  const rebalances = decisions.filter((d: Json) => d.action === 'rebalance');
  assert.ok(rebalances.length > 5);
  for (const d of rebalances) assert.deepEqual(d.targets, [0.5, 0.5]);
  for (const d of decisions.filter((x: Json) => x.action === 'keep')) assert.equal(d.targets, null);
});

test('bad parameters: one-line 400s naming them; nothing secret in any response', async () => {
  for (const [path, message] of [
    [`/runs/${pfId}/fills?market=XRP/KRW`, /query market: XRP\/KRW is not a market of run \d+ \(BTC\/KRW, ETH\/KRW\)/],
    [`/runs/${pfId}/orders?market=%3Cscript%3E`, /query market: expected a market such as BTC\/KRW/],
    // a derivative used to pass as a name and then match no market: now the spot parser's line
    [
      `/runs/${pfId}/fills?market=BTC/KRW:KRW`,
      /^query market: BTC\/KRW:KRW is a derivative \(settled in KRW\); this bot trades spot markets only, e\.g\. BTC/,
    ],
    [`/runs/${pfId}/candles?market=${'A'.repeat(65)}`, /query market: expected at most 64 characters/],
    [`/runs/${singleId}/candles?market=ETH/KRW`, /ETH\/KRW is not a market of run/],
    [`/runs/${pfId}/weights?limit=abc`, /query limit: expected a whole number/],
    [`/runs/${pfId}/weights?limit=0`, /^query limit: expected at least 1$/],
    [`/runs/${pfId}/equity?limit=0`, /^query limit: expected at least 1$/],
    [`/runs/${pfId}/weights?market=BTC/KRW`, /query market: Unrecognized key/],
    [`/runs/${pfId}/decisions?market=BTC/KRW`, /query market: Unrecognized key/],
    ['/runs/999/weights', /no run 999/],
  ] as const) {
    const r = await get(path);
    assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
    assert.match(r.body.error, message);
    assert.equal(r.body.error.includes('\n'), false);
  }
  for (const path of ['/runs', `/runs/${pfId}`, `/runs/${pfId}/weights`, `/runs/${pfId}/orders?limit=1000`]) {
    const { text } = await get(path);
    assert.doesNotMatch(text, /apiKey|secret|password|"books"|"portfolio"/i, `${path} shows only what it should`);
  }
});

test('fill events and their notices name the market of each fill', () => {
  const store = CandleStore.open(f.dbFile);
  try {
    const events = new DbWatcher(store.db, pfId, true).poll().filter((e) => e.type === 'fill');
    const trades = new RunRepository(store.db).trades(pfId);
    assert.equal(events.length, trades.length);
    assert.deepEqual(
      events.map((e) => e.market),
      [...trades].sort((a, b) => a.orderId - b.orderId).map((t) => t.market),
    );
    const eth = events.find((e) => e.market === 'ETH/KRW')!;
    const notice = noticeFor(eth, () => 'paper default')!;
    assert.match(notice.text, /^paper default: (buy|sell) [\d.e-]+ ETH\/KRW @ /);
    assert.equal((notice.data as { market: string }).market, 'ETH/KRW');
  } finally {
    store.close();
  }
});
