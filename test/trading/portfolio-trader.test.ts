/**
 * The portfolio paper trader's rule of time (issue 14): a market whose candle is late at time t is valued at its
 * last close and cannot fill at t — its order waits for its next candle — and the late candle, once it arrives,
 * never makes the trader act on t a second time; a command asked during downtime applies from its own candle time.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { CandleRow, Candles } from '../../src/core/candles.ts';
import { CandleStore } from '../../src/data/store.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { loadPortfolioStrategy } from '../../src/agents/portfolio-strategy.ts';
import { portfolioRuleSource } from '../../src/trading/portfolio-policy-source.ts';
import { PortfolioTrader, type PortfolioTraderOptions } from '../../src/trading/portfolio-trader.ts';
import { RunRepository } from '../../src/trading/run-repository.ts';
import { requestCommand } from '../../src/trading/commands.ts';
import type { CandleFeed } from '../../src/trading/types.ts';
import { quietLogger, tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const COSTS = { feeRate: 0.0005, sellTax: 0, slippageBps: 0, minOrderValue: 5000, quantityPrecision: 8 };

/** Closed candles in [since, until); `late(ts, now)` holds a candle back from the exchange for a while. */
function feed(
  c: Candles,
  clock: { now: number },
  late: (ts: number, now: number) => boolean = () => false,
): CandleFeed {
  return {
    async fetchClosed(since, until) {
      const rows: CandleRow[] = [];
      for (let i = 0; i < c.ts.length; i++) {
        const ts = c.ts[i];
        if (ts < since || ts + HOUR > until || late(ts, clock.now)) continue;
        rows.push({ ts, open: c.open[i], high: c.high[i], low: c.low[i], close: c.close[i], volume: c.volume[i] });
      }
      return rows;
    },
  };
}

/** A paper trader of A/KRW and B/KRW from `start` (5 candles of history, 10,000,000 of cash), no rebalance band. */
function paperTrader(
  o: Pick<PortfolioTraderOptions, 'repo' | 'store' | 'feeds' | 'policies' | 'start' | 'clock'>,
): PortfolioTrader {
  const symbols = ['A/KRW', 'B/KRW'];
  return new PortfolioTrader({
    ...o,
    key: { mode: 'paper', name: 'pf', exchange: 'upbit', symbol: symbols.join(','), timeframe: '1h' },
    symbols,
    costs: [COSTS, COSTS],
    band: 0,
    balance: 10_000_000,
    historyCandles: 5,
    logger: quietLogger(),
  });
}

test('a late candle: valued at its last close, cannot fill at its time, fills at its next; no second act', async () => {
  const tmp = tempDir('bot-pf-late-');
  const store = CandleStore.open(path.join(tmp.dir, 'bot.db'));
  try {
    const repo = new RunRepository(store.db);
    const make = (seed: number, startPrice: number) =>
      syntheticCandles({ seed, count: 40, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 10, startPrice });
    const a = make(7, 50_000_000);
    const b = make(8, 3_000_000);
    const START = a.ts[10];
    const L = a.ts[15]; // clock index 5: the decision at index 4 (every 2) waits for B there
    const clock = { now: START + HOUR + 10_000 };
    const strategy = await loadPortfolioStrategy('equal-weight');
    const symbols = ['A/KRW', 'B/KRW'];
    const trader = paperTrader({
      repo,
      store,
      feeds: [feed(a, clock), feed(b, clock, (ts, now) => ts === L && now < L + 3 * HOUR)],
      policies: portfolioRuleSource(strategy, { symbols, seed: 1, every: 2 }),
      start: START,
      clock: () => clock.now,
    });
    for (; clock.now < a.ts[30]; clock.now += HOUR) await trader.tick();
    const run = repo.list()[0];
    const decisions = repo.decisions(run.id);
    assert.deepEqual(
      decisions.map((d) => d.ts),
      [...a.ts].filter((ts) => ts >= START && ts < a.ts[30] - HOUR),
      'one decision per candle time, the late one included, none twice',
    );
    assert.equal(store.load('upbit', 'B/KRW', '1h').ts.includes(L), true, 'the late candle arrived later');
    const trades = repo.trades(run.id);
    // A had its candle at L: its part of the targets was done there (a buy with no cash yet: B's sell waits)
    const aOrder = repo.orders(run.id).find((o) => o.market === 'A/KRW' && o.decisionTs === a.ts[14]);
    assert.ok(aOrder && aOrder.status !== 'pending', `A's order settled at L: ${aOrder?.status} ${aOrder?.reason}`);
    assert.ok(!trades.some((t) => t.market === 'B/KRW' && t.ts === L), 'B had no candle when L was acted on');
    const bFill = trades.find((t) => t.market === 'B/KRW' && t.decisionTs === a.ts[14]);
    assert.ok(bFill, 'the order decided at L − 1 filled');
    assert.equal(bFill.ts, L + HOUR, "at B's next candle");
    assert.equal(bFill.price, b.open[16], "at that candle's open");
    const atL = store.db
      .prepare("SELECT price FROM trading_positions WHERE run_id = ? AND ts = ? AND market = 'B/KRW'")
      .get(run.id, L) as { price: number };
    assert.equal(atL.price, b.close[14], 'B valued at its last close at L');
  } finally {
    store.close();
    tmp.cleanup();
  }
});

test(`a portfolio run ticking at every close loads each market's lookback before the candle time it decides, not \
every candle since its history start, and trades as a run that reads them all`, async () => {
  const tmp = tempDir('bot-pf-lookback-');
  try {
    const make = (seed: number, startPrice: number) =>
      syntheticCandles({ seed, count: 60, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 10, startPrice });
    const a = make(3, 50_000_000);
    const b = make(4, 3_000_000);
    const symbols = ['A/KRW', 'B/KRW'];
    const strategy = await loadPortfolioStrategy('equal-weight');
    const outcome = async (name: string, lookback?: number) => {
      const store = CandleStore.open(path.join(tmp.dir, `${name}.db`));
      try {
        const repo = new RunRepository(store.db);
        const clock = { now: a.ts[10] + HOUR + 10_000 };
        const rule = portfolioRuleSource(strategy, { symbols, seed: 1, every: 3 });
        const loaded: number[] = [];
        const trader = new PortfolioTrader({
          repo,
          store,
          feeds: [feed(a, clock), feed(b, clock)],
          // the real rule source, with a short lookback and the lengths it is handed written down
          policies: {
            ...rule,
            ...(lookback !== undefined ? { lookback } : {}),
            forSeries: (series, informative) => {
              loaded.push(...series.map((s) => s.ts.length));
              return rule.forSeries(series, informative);
            },
          },
          key: { mode: 'paper', name, exchange: 'upbit', symbol: symbols.join(','), timeframe: '1h' },
          symbols,
          costs: [COSTS, COSTS],
          band: 0,
          balance: 10_000_000,
          historyCandles: 5,
          start: a.ts[10],
          clock: () => clock.now,
          logger: quietLogger(),
        });
        for (; clock.now < a.ts[59]; clock.now += HOUR) assert.equal((await trader.tick()).acted, 1);
        const run = repo.list()[0];
        const decisions = repo.decisions(run.id).map((d) => [d.ts, d.action, d.price]);
        return { decisions, trades: repo.trades(run.id), account: repo.list()[0].account, loaded };
      } finally {
        store.close();
      }
    };
    const short = await outcome('short', 3);
    const full = await outcome('full');
    assert.ok(short.trades.length >= 10, `the run trades (${short.trades.length})`);
    assert.ok(
      short.loaded.every((n) => n <= 4),
      `3 candles before the time decided, and that one: ${short.loaded.join(',')}`,
    );
    assert.ok(Math.max(...full.loaded) > 40, 'the default lookback reads the whole run here');
    assert.deepEqual({ ...short, loaded: [] }, { ...full, loaded: [] });
  } finally {
    tmp.cleanup();
  }
});

/**
 * Control commands asked during a run's downtime: each applies from the first candle time of the restart's catch-up
 * closing at or after it was asked; the times before are decided as if it had not been. The run decided START, then
 * `kind` was asked at START + `at`; its restart at START+6h decides (or passes over) START+1h … START+5h. Returns
 * the times decided after START (hours after it), with who decided each.
 */
async function restartAfter(kind: 'exit' | 'pause', at: number) {
  const tmp = tempDir('bot-pf-commands-');
  const store = CandleStore.open(path.join(tmp.dir, 'bot.db'));
  try {
    const make = (seed: number, startPrice: number) =>
      syntheticCandles({ seed, count: 40, timeframe: '1h', start: Date.UTC(2024, 0, 1), tick: 10, startPrice });
    const [a, b] = [make(7, 50_000_000), make(8, 3_000_000)];
    const START = a.ts[10];
    const repo = new RunRepository(store.db);
    const clock = { now: START + HOUR + 10_000 };
    const strategy = await loadPortfolioStrategy('equal-weight');
    const trader = paperTrader({
      repo,
      store,
      feeds: [feed(a, clock), feed(b, clock)],
      policies: portfolioRuleSource(strategy, { symbols: ['A/KRW', 'B/KRW'], seed: 1, every: 1 }),
      start: START,
      clock: () => clock.now,
    });
    await trader.tick();
    const run = repo.list()[0];
    requestCommand(store.db, { runId: run.id, kind, requestedBy: 'token:ci', now: START + at });
    clock.now = START + 6 * HOUR + 10_000;
    const report = await trader.tick();
    const decided = repo.decisions(run.id).filter((d) => d.ts > START);
    const state = repo.list()[0];
    return { report, decided: decided.map((d) => [(d.ts - START) / HOUR, d.policy]), passedTo: state.lastTs! - START };
  } finally {
    store.close();
    tmp.cleanup();
  }
}

test('an exit asked during the downtime sells at the first candle time closing after it', async () => {
  const { decided } = await restartAfter('exit', 3.5 * HOUR);
  assert.deepEqual(
    decided.map(([h, by]) => [h, by === 'manual-exit']),
    [
      [1, false],
      [2, false],
      [3, true],
      [4, false],
      [5, false],
    ],
    'START+3h closes at START+4h, the first close after the exit asked at START+3h30',
  );
});

test('a pause asked during the downtime passes over the candle times closing after it', async () => {
  const { decided, report, passedTo } = await restartAfter('pause', 3.5 * HOUR);
  assert.deepEqual(
    decided.map(([h]) => h),
    [1, 2],
  );
  assert.equal(report.acted, 2);
  assert.equal(report.paused, true);
  assert.equal(passedTo, 5 * HOUR, 'the times after the pause passed over');
});
