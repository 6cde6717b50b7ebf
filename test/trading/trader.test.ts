import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ACTIONS } from '../../src/core/policy.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { MarketSim } from '../../src/market/sim.ts';
import { ObservationBuilder } from '../../src/market/observation.ts';
import { PaperMarket } from '../../src/trading/paper-market.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { Trader } from '../../src/trading/trader.ts';
import { rulePolicySource } from '../../src/trading/rule-policy-source.ts';
import { RULE_WARMUP_CANDLES, type RuleStrategy } from '../../src/agents/strategy.ts';
import { createRulePolicy } from '../../src/agents/rule-guard.ts';
import { candleRows } from '../../src/core/candles.ts';
import { loadConfig } from '../../src/config/load.ts';
import { loadSeries } from '../../src/data/source.ts';
import { runBacktest } from '../../src/market/backtest-engine.ts';
import { rangeIndices } from '../../src/backtest/range.ts';
import rsiReversion from '../../strategies/rsi-reversion.ts';
import { sessionCandles } from '../data/helpers.ts';
import type { RunKey } from '../../src/trading/types.ts';
import { momentumPolicy, momentumSource, quietLogger, seriesFeed, tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const COSTS = { feeRate: 0.0005, sellTax: 0, slippageBps: 5, minOrderValue: 5000, quantityPrecision: 8 };
const KEY: RunKey = { mode: 'paper', name: 'default', exchange: 'upbit', symbol: 'BTC/KRW', timeframe: '1h' };
const candles = syntheticCandles({
  seed: 11,
  count: 160,
  timeframe: '1h',
  start: Date.UTC(2024, 0, 1),
  tick: 1000,
  gapProbability: 0.03,
});
const HISTORY = 20;
const START = candles.ts[40];

function setup(dbFile: string, clock: () => number) {
  const store = CandleStore.open(dbFile);
  const repo = new RunRepository(store.db);
  const feed = seriesFeed(candles, HOUR);
  const trader = new Trader({
    repo,
    store,
    feed,
    market: new PaperMarket(COSTS, { kind: 'all' }),
    policies: momentumSource(),
    key: KEY,
    balance: 10_000_000,
    historyCandles: HISTORY,
    start: START,
    clock,
    logger: quietLogger(),
  });
  return { store, repo, feed, trader };
}

function summary(repo: RunRepository) {
  const run = repo.list()[0];
  return {
    account: run.account,
    pending: run.pending,
    lastTs: run.lastTs,
    decisions: repo.decisions(run.id).map((d) => [d.ts, d.action]),
    trades: repo.trades(run.id),
  };
}

test(`ticking at every close and one catch-up tick after downtime give the same run; a repeated tick acts on \
nothing`, async () => {
  const tmp = tempDir();
  try {
    const end = candles.ts[candles.ts.length - 1] + HOUR + 10_000;
    let now = START + HOUR + 10_000;
    const a = setup(path.join(tmp.dir, 'a.db'), () => now);
    for (; now <= end; now += HOUR) await a.trader.tick();
    const again = await a.trader.tick();
    assert.equal(again.acted, 0, 'no candle is acted on twice');
    const b = setup(path.join(tmp.dir, 'b.db'), () => end);
    const report = await b.trader.tick();
    assert.ok(report.acted > 100);
    const sa = summary(a.repo);
    const sb = summary(b.repo);
    assert.ok(sa.trades.length >= 4, `the test policy trades (${sa.trades.length})`);
    assert.deepEqual(sb, sa);
    assert.equal(
      sa.decisions.length,
      candles.ts.filter((ts) => ts >= START).length,
      'one decision per closed candle since the start',
    );
    a.store.close();
    b.store.close();
  } finally {
    tmp.cleanup();
  }
});

test('paper fills equal core MarketSim fills: decision at t, fill at t+1 open with slippage and fees', async () => {
  const tmp = tempDir();
  try {
    const end = candles.ts[candles.ts.length - 1] + HOUR + 10_000;
    const a = setup(path.join(tmp.dir, 'a.db'), () => end);
    await a.trader.tick();
    const run = a.repo.list()[0];
    // the same candles the trader loaded: from history start
    const from = candles.ts.findIndex((ts) => ts >= START - HISTORY * HOUR);
    const c = {
      ...candles,
      ts: candles.ts.subarray(from),
      open: candles.open.subarray(from),
      high: candles.high.subarray(from),
      low: candles.low.subarray(from),
      close: candles.close.subarray(from),
      volume: candles.volume.subarray(from),
    };
    const sim = new MarketSim(c, 10_000_000, COSTS, { kind: 'all' });
    const first = c.ts.findIndex((ts) => ts >= START);
    sim.start(first);
    const policy = momentumPolicy(c);
    const builder = new ObservationBuilder({ candles: c, window: 0 });
    const fills: { ts: number; side: string; price: number; units: number }[] = [];
    while (sim.t < c.ts.length - 1) {
      const d = policy.decide(builder.build(sim.t, sim.account));
      if (sim.advance(ACTIONS.indexOf(d.action), d.confidence, d.targetPosition)) {
        const f = sim.account.lastFill;
        fills.push({ ts: c.ts[sim.t], side: f.side, price: f.price, units: f.units });
      }
    }
    const trades = a.repo.trades(run.id).map((t) => ({ ts: t.ts, side: t.side, price: t.price, units: t.units }));
    assert.deepEqual(trades, fills);
    // the last decision's order is still pending (it fills at the next candle's open); the account before it matches
    const last = c.close.length - 1;
    const equity = a.repo.equity(run.id);
    assert.equal(equity[equity.length - 1].equity, sim.account.value(c.close[last]));
    a.store.close();
  } finally {
    tmp.cleanup();
  }
});

test('a failed fetch loses no candle: the next tick catches up', async () => {
  const tmp = tempDir();
  try {
    let now = START + HOUR + 10_000;
    const a = setup(path.join(tmp.dir, 'a.db'), () => now);
    await a.trader.tick();
    now += 3 * HOUR;
    a.feed.failNext = 1;
    await assert.rejects(() => a.trader.tick(), /exchange down/);
    now += HOUR;
    const r = await a.trader.tick();
    assert.equal(r.acted, 4);
    const run = a.repo.list()[0];
    assert.equal(a.repo.decisionCount(run.id), candles.ts.filter((ts) => ts >= START && ts + HOUR <= now).length);
    a.store.close();
  } finally {
    tmp.cleanup();
  }
});

test('a restarted trader resumes from the database; a run with another policy is refused', async () => {
  const tmp = tempDir();
  try {
    const file = path.join(tmp.dir, 'a.db');
    let now = START + 10 * HOUR + 10_000;
    const a = setup(file, () => now);
    await a.trader.tick();
    a.store.close();
    now += 5 * HOUR;
    const b = setup(file, () => now);
    const r = await b.trader.tick();
    assert.equal(r.acted, candles.ts.filter((ts) => ts > START + 9 * HOUR && ts + HOUR <= now).length);
    const store = b.store;
    const other = new Trader({
      repo: b.repo,
      store,
      feed: b.feed,
      market: new PaperMarket(COSTS, { kind: 'all' }),
      policies: { ...momentumSource(), label: 'strategy:other' },
      key: KEY,
      balance: 1,
      historyCandles: HISTORY,
      clock: () => now,
      logger: quietLogger(),
    });
    await assert.rejects(() => other.tick(), /trades strategy:momentum-test, not strategy:other/);
    store.close();
  } finally {
    tmp.cleanup();
  }
});

test(`a stop asked during a long catch-up ends it between candles; the next tick carries on to exactly the \
uninterrupted run`, async () => {
  const tmp = tempDir();
  try {
    const end = candles.ts[candles.ts.length - 1] + HOUR + 10_000;
    const whole = setup(path.join(tmp.dir, 'whole.db'), () => end);
    const full = await whole.trader.tick();
    const cut = setup(path.join(tmp.dir, 'cut.db'), () => end);
    let asked = 0;
    const first = await cut.trader.tick({ shouldStop: () => ++asked > 0 });
    assert.equal(first.interrupted, true);
    assert.ok(first.acted > 0 && first.acted < full.acted, `stopped part way (${first.acted} of ${full.acted})`);
    assert.equal(summary(cut.repo).decisions.length, first.acted, 'what was acted on is stored');
    const rest = await cut.trader.tick();
    assert.equal(rest.interrupted, undefined);
    assert.equal(first.acted + rest.acted, full.acted, 'no candle skipped or repeated');
    assert.deepEqual(summary(cut.repo), summary(whole.repo));
    whole.store.close();
    cut.store.close();
  } finally {
    tmp.cleanup();
  }
});

test(`a rule's history is counted in time, as bot backtest --from's warm-up: holes in its 100 hours are not fetched \
from further back, so its path-dependent indicators start from the candle the backtest's start from`, async () => {
  const start = candles.ts[140];
  const from = start - RULE_WARMUP_CANDLES * HOUR;
  assert.ok(candles.ts.filter((ts) => ts >= from && ts < start).length < RULE_WARMUP_CANDLES, 'holes in the span');
  const tmp = tempDir();
  const store = CandleStore.open(path.join(tmp.dir, 'rule.db'));
  try {
    const seen: number[] = [];
    const rule = rulePolicySource(
      {
        kind: 'rule',
        name: 'hold',
        description: 'hold',
        createPolicy: ({ candles: given }) => {
          seen.push(given.ts[0]);
          return { name: 'hold', decide: () => ({ action: 'hold', confidence: 0 }) };
        },
      },
      1,
    );
    const trader = new Trader({
      repo: new RunRepository(store.db),
      store,
      feed: seriesFeed(candles, HOUR),
      market: new PaperMarket(COSTS, { kind: 'all' }),
      policies: rule,
      key: KEY,
      balance: 10_000_000,
      historyCandles: HISTORY,
      start,
      clock: () => start + HOUR + 1000,
      logger: quietLogger(),
    });
    await trader.tick();
    assert.equal(store.load(KEY.exchange, KEY.symbol, KEY.timeframe, 0, from).ts.length, 0, 'nothing fetched earlier');
    assert.deepEqual(seen, [candles.ts[candles.ts.findIndex((ts) => ts >= from)]]);
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`a rule on a market that closes (7 hours a weekday): paper from T starts its RSI at the candle bot backtest \
--from T's warm-up does on the same store, the 100th stored candle back; decides and fills as it`, async () => {
  const opens = ['14:00', '15:00', '16:00', '17:00', '18:00', '19:00', '20:00'];
  const c = sessionCandles({ seed: 7, count: 420, opens });
  const start = c.ts[300];
  assert.ok(
    c.ts.filter((ts) => ts >= start - RULE_WARMUP_CANDLES * HOUR && ts < start).length < RULE_WARMUP_CANDLES / 2,
    'the market is closed in most of the 100 hours before the start',
  );
  const tmp = tempDir();
  const database = path.join(tmp.dir, 'stock.db');
  const store = CandleStore.open(database);
  try {
    // the full store: every candle before the start, as `bot data download` leaves it
    store.upsert(
      KEY.exchange,
      KEY.symbol,
      KEY.timeframe,
      candleRows(c).filter(({ ts }) => ts < start),
    );
    const firstSeen: number[] = [];
    const rule: RuleStrategy = {
      ...rsiReversion,
      createPolicy: (ctx) => {
        firstSeen.push(ctx.candles.ts[0]);
        return rsiReversion.createPolicy(ctx);
      },
    };
    const repo = new RunRepository(store.db);
    const trader = new Trader({
      repo,
      store,
      feed: seriesFeed(c, HOUR),
      market: new PaperMarket(COSTS, { kind: 'all' }),
      policies: rulePolicySource(rule, 1),
      key: KEY,
      balance: 10_000_000,
      historyCandles: HISTORY,
      start,
      clock: () => c.ts[c.ts.length - 1] + HOUR + 1000,
      logger: quietLogger(),
    });
    await trader.tick();
    const run = repo.list()[0];
    const paperTrades = repo.trades(run.id).map((t) => ({ ts: t.ts, side: t.side, price: t.price, units: t.units }));
    const paperDecisions = repo.decisions(run.id).map((d) => [d.ts, d.action]);

    // bot backtest --from start on that store (now holding every candle the paper run fetched)
    const config = loadConfig({
      overrides: { exchange: { id: KEY.exchange }, symbol: KEY.symbol, timeframe: KEY.timeframe, data: { database } },
    });
    const series = await loadSeries({ config, from: start, warmup: RULE_WARMUP_CANDLES, download: false });
    const loaded = series.candles;
    assert.equal(loaded.ts[0], c.ts[200], "the backtest's warm-up: the 100 stored candles before --from");
    assert.deepEqual(firstSeen, [loaded.ts[0]], "paper's indicators start from the backtest's first candle");
    const result = runBacktest({
      candles: loaded,
      window: 0,
      range: rangeIndices(loaded, start),
      costs: COSTS,
      balance: 10_000_000,
      sizing: { kind: 'all' },
      policy: createRulePolicy(rule, { candles: loaded, seed: 1 }),
    });
    const decisions = [...result.actions].map((a, i) => [result.timestamps[i], ACTIONS[a]]);
    assert.ok(result.trades.length > 0, 'the rule trades in the range');
    assert.deepEqual(paperDecisions.slice(0, decisions.length), decisions);
    const trades = result.trades.map((t) => ({ ts: t.ts, side: t.side, price: t.price, units: t.units }));
    assert.deepEqual(paperTrades, trades);
  } finally {
    store.close();
    tmp.cleanup();
  }
});
