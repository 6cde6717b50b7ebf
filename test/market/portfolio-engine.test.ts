/** The portfolio engine: fills at the next open each market has, holes wait, P/L adds up, no look-ahead per series. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candlesFromRows, type Candles } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { equalWeightPolicy } from '../../src/agents/portfolio-strategy.ts';
import { COST_PRESETS, type Costs } from '../../src/market/costs.ts';
import { runPortfolioBacktest, type PortfolioPolicy } from '../../src/market/portfolio-engine.ts';

const H = 3_600_000;
const whole: Costs = { feeRate: 0.001, sellTax: 0, slippageBps: 10, minOrderValue: 0, quantityPrecision: 6 };

function series(symbol: string, hours: number[], base: number): Candles {
  const rows = hours.map((h) => ({
    ts: h * H,
    open: base + h,
    high: base + h + 2,
    low: base + h - 2,
    close: base + h + 1,
    volume: 1,
  }));
  return candlesFromRows('x', symbol, '1h', rows);
}

test('decided at a close, filled at the next open each market has; a market without a candle waits', () => {
  const a = series('A/USD', [0, 1, 2, 3, 4, 5], 100);
  const b = series('B/USD', [0, 1, 3, 4, 5], 50); // no candle at hour 2
  const policy: PortfolioPolicy = { name: 'at-1', decide: (v) => (v.t === 1 ? [0.5, 0.5] : null) };
  const r = runPortfolioBacktest({ series: [a, b], costs: [whole, whole], balance: 10_000, policy, band: 0 });
  // decided at the close of hour 1; A fills at hour 2's open, B has no candle there and fills at hour 3's open
  assert.deepEqual(
    r.fills.map((f) => [f.t, f.market, f.side]),
    [
      [2, 0, 'buy'],
      [3, 1, 'buy'],
    ],
  );
  assert.equal(r.fills[0].price, 102 * 1.001);
  assert.equal(r.fills[1].price, 53 * 1.001);
  assert.equal(r.markets[1].waited, 1);
  assert.equal(r.markets[1].missing, 1);
  // value at each close = cash + Σ units × (own close, else the last close); contributions add up to the P/L
  const total = r.markets.reduce((s, m) => s + m.contribution, 0);
  assert.ok(Math.abs(total - (r.finalValue - 10_000)) < 1e-8);
  assert.equal(r.equity[0], 10_000);
  assert.ok(r.markets.every((m) => m.turnover > 0 && m.feesPaid > 0));
});

test('equal weights rebalanced every K candles on synthetic markets: weights at 1/N after each rebalance', () => {
  const s = ['A/KRW', 'B/KRW', 'C/KRW'].map((sym, i) => ({
    ...syntheticCandles({ seed: 10 + i, count: 300, timeframe: '1h' }),
    symbol: sym,
  }));
  const costs = s.map(() => COST_PRESETS['upbit-krw']);
  const r = runPortfolioBacktest({ series: s, costs, balance: 10_000_000, policy: equalWeightPolicy(3, 20), band: 0 });
  const decided = r.decisions.map((d, t) => (d === null ? -1 : t)).filter((t) => t >= 0);
  assert.deepEqual(decided.slice(0, 4), [0, 20, 40, 60]);
  for (let m = 0; m < 3; m++) assert.ok(Math.abs(r.weights[m][1] - 1 / 3) < 0.01, `weight ${r.weights[m][1]}`);
  const total = r.markets.reduce((x, m) => x + m.contribution, 0);
  assert.ok(Math.abs(total - (r.finalValue - 10_000_000)) < 1e-4);
});

/** Puts everything in the market whose close rose most over its last 5 candles, read from what the view holds. */
const momentum: PortfolioPolicy = {
  name: 'momentum',
  decide: (v) => {
    const score = v.series.map((c) => {
      const n = c.close.length;
      return n > 5 ? c.close[n - 1] / c.close[n - 6] : 1;
    });
    const best = score.indexOf(Math.max(...score));
    return score.map((_, i) => (i === best ? 1 : 0));
  },
};

test('no look-ahead: rewriting the future of ONE series leaves every earlier decision and fill unchanged', () => {
  const mk = () => [
    { ...syntheticCandles({ seed: 21, count: 400, timeframe: '1h' }), symbol: 'A/KRW' },
    { ...syntheticCandles({ seed: 22, count: 400, timeframe: '1h' }), symbol: 'B/KRW' },
  ];
  const costs = [COST_PRESETS['upbit-krw'], COST_PRESETS['upbit-krw']];
  const base = runPortfolioBacktest({ series: mk(), costs, balance: 10_000_000, policy: momentum, band: 0 });
  const cut = 250;
  const changed = mk();
  const b = changed[1];
  for (let i = cut; i < b.close.length; i++) {
    const k = 1 + ((i * 7919) % 13) / 10; // a different future for B only
    b.open[i] *= k;
    b.high[i] *= k * 1.5;
    b.low[i] *= k * 0.5;
    b.close[i] *= k;
  }
  const after = runPortfolioBacktest({ series: changed, costs, balance: 10_000_000, policy: momentum, band: 0 });
  const t0 = base.timeline.ts.indexOf(b.ts[cut]);
  assert.deepEqual(after.decisions.slice(0, t0), base.decisions.slice(0, t0));
  assert.notDeepEqual(after.decisions, base.decisions, 'the rewrite changes later decisions');
  const early = (r: typeof base) => r.fills.filter((f) => f.t < t0);
  assert.deepEqual(early(after), early(base), 'fills before the first rewritten candle');
  assert.deepEqual([...after.equity.subarray(0, t0)], [...base.equity.subarray(0, t0)]);
});

test(`a policy reading its view's buffers finds no candle after the one it decides (a view of the whole series \
would hold them all)`, () => {
  const mk = (seed: number, symbol: string) => ({ ...syntheticCandles({ seed, count: 120, timeframe: '1h' }), symbol });
  const found: string[] = [];
  const policy: PortfolioPolicy = {
    name: 'peek',
    decide: (v) => {
      for (const s of v.series) {
        const n = s.close.length;
        for (const col of [s.close, s.open, s.ts]) {
          const later = new Float64Array(col.buffer).slice(n).filter((x) => Number.isFinite(x)).length;
          if (later > 0) found.push(`t=${v.t} ${s.symbol}: ${later}`);
        }
      }
      return v.t % 10 === 0 ? [0.5, 0.5] : null;
    },
  };
  const upbit = COST_PRESETS['upbit-krw'];
  runPortfolioBacktest({ series: [mk(1, 'A/KRW'), mk(2, 'B/KRW')], costs: [upbit, upbit], balance: 1e7, policy });
  assert.deepEqual(found.slice(0, 3), []);
});

test(`a sell whose remainder would be below the market's minimum order sells everything (no unsellable dust, no \
refused sell of it later)`, () => {
  // Upbit KRW (5,000 KRW minimum): weight 0.03% of 10M KRW would leave ~3,000 KRW of BTC that no order could sell
  const flat = (symbol: string, p: number) =>
    candlesFromRows(
      'x',
      symbol,
      '1h',
      [0, 1, 2, 3, 4].map((h) => ({ ts: h * H, open: p, high: p, low: p, close: p, volume: 1 })),
    );
  const plan = [[0.5, 0.5], [0.0003, 0.5], [0, 0.5], null];
  const policy: PortfolioPolicy = { name: 'scripted', decide: (v) => plan[v.t] };
  const upbit = COST_PRESETS['upbit-krw'];
  const r = runPortfolioBacktest({
    series: [flat('BTC/KRW', 1e8), flat('ETH/KRW', 5e6)],
    costs: [upbit, upbit],
    balance: 10_000_000,
    policy,
    band: 0.01,
  });
  const btc = r.fills.filter((f) => f.market === 0);
  assert.deepEqual(
    btc.map((f) => [f.t, f.side]),
    [
      [1, 'buy'],
      [2, 'sell'],
    ],
  );
  assert.equal(btc[1].units, btc[0].units, 'the sell at weight 0.03% sells all that was bought');
  assert.equal(r.weights[0][4], 0);
  assert.equal(r.markets[0].rejected.below_min_order, 0);
});
