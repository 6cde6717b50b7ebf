/**
 * Markets whose candles open on offset grids (an audit: hourly A at :00, B at :30 of one random walk). On their union
 * clock a decision at B's time read B's candle, which closes after A's next open, and filled at that open: a policy
 * reading B's close went all in A before A's rise and made +1,974% at zero cost. The proof: the future of EVERY series
 * after a time x is rewritten, and every fill at or before x must stay (or the series are refused before any fill).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { candlesFromRows, type Candles } from '../../src/core/candles.ts';
import { candlesToCsv } from '../../src/data/csv.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import type { Costs } from '../../src/market/costs.ts';
import { runPortfolioBacktest, type PortfolioPolicy, type PortfolioResult } from '../../src/market/portfolio-engine.ts';
import { tempDir } from '../data/helpers.ts';
import { runBot } from '../cli/run.ts';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const zero: Costs = { feeRate: 0, sellTax: 0, slippageBps: 0, minOrderValue: 0, quantityPrecision: 8 };
const costs = [zero, zero];

/** A seeded random walk sampled every half hour (price ~100). */
function walk(seed: number, points: number): number[] {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32) * 2 - 1;
  const p = [100];
  for (let k = 1; k < points; k++) p.push(p[k - 1] * (1 + 0.004 * rnd()));
  return p;
}

/** Hourly candles of `p` opening at half hour `first` (0: at :00, 1: at :30), every second point; `skip` holes. */
function hourly(symbol: string, p: number[], first: number, skip = (_i: number) => false): Candles {
  const rows = [];
  for (let k = first, i = 0; k + 2 < p.length; k += 2, i++) {
    if (skip(i)) continue;
    const span = p.slice(k, k + 3);
    const [open, close] = [p[k], p[k + 2]];
    rows.push({ ts: T0 + (k * H) / 2, open, high: Math.max(...span), low: Math.min(...span), close, volume: 1 });
  }
  return candlesFromRows('csv', symbol, '1h', rows);
}

/** The audit's policy: all in A when B's last close (read from B) is above A's last close, else all in B. */
const peek: PortfolioPolicy = {
  name: 'peek',
  decide(v) {
    const [a, b] = v.series;
    return b.close[b.close.length - 1] > a.close[a.close.length - 1] ? [1, 0] : [0, 1];
  },
};

/** Every candle that closes after x gets another high, low and close; one that opens after x another open too. */
function rewriteAfter(c: Candles, x: number): Candles {
  const out = { ...c, open: c.open.slice(), high: c.high.slice(), low: c.low.slice(), close: c.close.slice() };
  for (let i = 0; i < c.ts.length; i++) {
    if (c.ts[i] + H <= x) continue;
    const k = i % 2 === 0 ? 0.5 : 2; // far from the true path both ways
    if (c.ts[i] > x) out.open[i] *= k;
    out.close[i] *= k;
    out.high[i] = Math.max(out.open[i], out.close[i], c.high[i]);
    out.low[i] = Math.min(out.open[i], out.close[i], c.low[i]);
  }
  return out;
}

function run(series: Candles[]): PortfolioResult {
  return runPortfolioBacktest({ series, costs, balance: 1e7, band: 0, policy: peek });
}

/**
 * Rewrites the future of every series after each of several clock times x and checks that every fill at or before x
 * and every decision whose candles all closed by x are unchanged. Returns how many runs were refused instead.
 */
function assertNoLookAhead(mk: () => Candles[]): 'refused' | 'checked' {
  let base: PortfolioResult;
  try {
    base = run(mk());
  } catch (e) {
    assert.match((e as Error).message, /candles open on different 1h grids/);
    return 'refused';
  }
  const ts = base.timeline.ts;
  let laterChanged = 0;
  for (let t = 20; t < ts.length - 5; t += 37) {
    const x = ts[t];
    const after = run(mk().map((c) => rewriteAfter(c, x)));
    const upTo = (r: PortfolioResult) => r.fills.filter((f) => f.ts <= x);
    assert.deepEqual(upTo(after), upTo(base), `fills at or before ${new Date(x).toISOString()}`);
    const decided = (r: PortfolioResult) => r.decisions.filter((_, k) => ts[k] + H <= x);
    assert.deepEqual(decided(after), decided(base));
    if (JSON.stringify(after.fills) !== JSON.stringify(base.fills)) laterChanged++;
  }
  assert.ok(laterChanged > 0, 'the rewrites change later fills: the policy reads the data');
  return 'checked';
}

test('one grid with holes: rewriting the future of every series leaves earlier fills and decisions unchanged', () => {
  const mk = () => [hourly('A/USD', walk(7, 1200), 0), hourly('B/USD', walk(8, 1200), 0, (i) => i % 29 === 3)];
  assert.equal(assertNoLookAhead(mk), 'checked');
});

test('offset grids (A at :00, B at :30 of one walk): no fill at or before x changes with the future after x', () => {
  const p = walk(7, 1200);
  const mk = () => [hourly('A/USD', p, 0), hourly('B/USD', p, 1)];
  // refused here (a correct engine filling at the first open after every close read would pass as 'checked')
  assert.equal(assertNoLookAhead(mk), 'refused');
});

test(`the audit's peeking policy cannot profit from B's later close: the engine and bot backtest refuse the offset \
series in one line before any run`, async () => {
  const p = walk(11, 2400);
  const [a, b] = [hourly('A/USD', p, 0), hourly('B/USD', p, 1)];
  assert.throws(() => run([a, b]), {
    message:
      /^A\/USD and B\/USD candles open on different 1h grids \(A\/USD at :00, B\/USD at :30; from 2024-01-01T00:30/,
  });
  const dir = tempDir('bot-offset-grid-');
  writeFileSync(path.join(dir, 'a.csv'), candlesToCsv(a));
  writeFileSync(path.join(dir, 'b.csv'), candlesToCsv(b));
  const config = path.join(dir, 'zero.json');
  writeFileSync(config, JSON.stringify({ account: { feeRate: 0, slippageBps: 0, minOrderValue: 0 } }));
  const out = path.join(dir, 'ew');
  const flags = ['--timeframe', '1h', '--config', config, '--rebalance-every', '1', '--band', '0', '--out', out];
  const r = await runBot(['backtest', '--symbols', 'A/USD,B/USD', '--data', `${dir}/a.csv,${dir}/b.csv`, ...flags]);
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /A\/USD and B\/USD candles open on different 1h grids \(A\/USD at :00, B\/USD at :30/);
  assert.match(r.stderr, /give series whose candles open at the same times, or trade them in separate runs/);
  assert.equal(existsSync(out), false, 'no run folder');
});

test(`--data files of different timeframes (a 1d and a 1h file) are refused naming the timeframes, not as offset \
grids`, async () => {
  const dir = tempDir('bot-two-timeframes-');
  const make = (symbol: string, timeframe: string, count: number) =>
    syntheticCandles({ seed: 7, count, timeframe, start: T0, symbol, startPrice: 100 });
  writeFileSync(path.join(dir, 'a.csv'), candlesToCsv(make('A/USD', '1d', 120)));
  writeFileSync(path.join(dir, 'b.csv'), candlesToCsv(make('B/USD', '1h', 2880)));
  const out = path.join(dir, 'ew');
  const r = await runBot(['backtest', '--symbols', 'A/USD,B/USD', '--data', `${dir}/a.csv,${dir}/b.csv`, '--out', out]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(
    r.stderr,
    'error: A/USD has 1d candles and B/USD 1h candles: the series of a portfolio share one timeframe; give series ' +
      'of one timeframe, or trade them in separate runs\n',
  );
  assert.equal(existsSync(out), false, 'no run folder');
});
