/**
 * The portfolio learning environment (issue 14): the same account path as the portfolio engine for the same weights
 * (holes and waits included), observations that never look past t in any series, traded or informative, the seed's
 * −5% stop-loss and fixed-length random episodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candleRows, candlesFromRows, sliceCandles, type Candles } from '../../src/core/candles.ts';
import { isoTime } from '../../src/data/timeframe.ts';
import { Rng } from '../../src/core/random.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { alignSeries } from '../../src/data/timeline.ts';
import { computeFeatures } from '../../src/features/index.ts';
import { applyScaler, fitScaler } from '../../src/features/scaler.ts';
import { COST_PRESETS, type Costs } from '../../src/market/costs.ts';
import { runPortfolioBacktest } from '../../src/market/portfolio-engine.ts';
import { firstDecisionIndex, PortfolioEnv } from '../../src/market/portfolio-env.ts';
import { PortfolioObservationBuilder, type FeatureSeries } from '../../src/market/portfolio-observation.ts';
import { candlesFrom } from '../../src/data/timeline.ts';

const costs: Costs = { ...COST_PRESETS['upbit-krw'], minOrderValue: 1000 };

function featured(c: Candles): FeatureSeries {
  const m = computeFeatures(c, 'rltrader-v1');
  return {
    candles: c,
    features: { data: applyScaler(fitScaler('zscore', m, 0, 300), m), cols: m.cols, firstValidRow: m.firstValidRow },
  };
}

function market(seed: number, symbol: string, count = 600, holesEvery = 0): Candles {
  const c = { ...syntheticCandles({ seed, count, timeframe: '1h' }), symbol };
  if (!holesEvery) return c;
  const rows = candleRows(c).filter((_, i) => i % holesEvery !== 5);
  return candlesFromRows('x', symbol, '1h', rows);
}

function envOver(
  traded: Candles[],
  informative: Candles[],
  over: Partial<ConstructorParameters<typeof PortfolioEnv>[0]>,
) {
  const tl = alignSeries(traded);
  const builder = new PortfolioObservationBuilder([...traded, ...informative].map(featured), traded.length, 5);
  const from = firstDecisionIndex(tl, builder);
  return new PortfolioEnv({
    timeline: tl,
    series: traded,
    costs: traded.map(() => costs),
    balance: 1_000_000,
    band: 0.01,
    observation: builder,
    range: { from, to: tl.ts.length },
    reward: { kind: 'logReturn' },
    ...over,
  });
}

test('env = engine: the same weights give the same account path, fills and waits (a market with holes)', () => {
  const traded = [market(1, 'A/KRW'), market(2, 'B/KRW', 600, 13), market(3, 'C/KRW')];
  const env = envOver(traded, [market(4, 'I/KRW')], {});
  const tl = env.options.timeline;
  const start = env.options.range.from + 7;
  const rng = new Rng(11);
  const decisions: (number[] | null)[] = [];
  const envValues: number[] = [];
  env.reset({ from: start });
  envValues.push(env.sim.value());
  env.sim.fills = [];
  for (let t = start; t < tl.ts.length - 1; t++) {
    const raw = [rng.next(), rng.next(), rng.next(), rng.next()];
    const s = raw.reduce((a, b) => a + b, 0);
    const w = rng.next() < 0.3 ? null : raw.slice(0, 3).map((x) => x / s);
    decisions.push(w);
    // the env has no "keep" action: keeping is ordering the weights held now
    const step = env.step(w ?? env.sim.weights());
    envValues.push(step.value);
    if (step.done) break;
  }
  let k = 0;
  const engine = runPortfolioBacktest({
    series: traded.map((c) => candlesFrom(c, tl.ts[start])),
    costs: traded.map(() => costs),
    balance: 1_000_000,
    band: 0.01,
    policy: { name: 'replay', decide: (v) => decisions[k++] ?? [...v.weights] },
  });
  assert.equal(engine.equity.length, envValues.length);
  for (let t = 0; t < envValues.length; t++) assert.equal(engine.equity[t], envValues[t], `value at step ${t}`);
  assert.deepEqual(
    engine.fills.map((f) => [f.ts, f.market, f.side, f.units, f.price]),
    env.sim.fills.map((f) => [f.ts, f.market, f.side, f.units, f.price]),
  );
  assert.ok(engine.markets[1].waited > 0, 'B has holes: some of its orders waited');
  assert.deepEqual(
    engine.markets.map((m) => m.waited),
    env.sim.waited,
  );
});

test(`decisions start where every series' window holds feature rows past its warm-up (informative series too): \
no earlier observation, no earlier range`, () => {
  const traded = [market(1, 'A/KRW'), market(2, 'B/KRW')];
  const index = sliceCandles(market(5, 'I/KRW'), 30, 600); // opens 30 candles after the traded ones
  const builder = new PortfolioObservationBuilder([...traded, index].map(featured), 2, 5);
  // rltrader-v1's rows before 119 are the warm-up's zeros; a 5-row window ending at 123 is the first without them
  assert.equal(builder.firstTs, index.ts[123]);
  assert.equal(builder.firstLimitedBy, 'I/KRW');
  const tl = alignSeries(traded);
  const first = firstDecisionIndex(tl, builder);
  assert.equal(tl.ts[first], index.ts[123]);
  const x = builder.build(tl.ts[first], [0, 0], 0).features;
  for (let r = 0; r < builder.window; r++)
    for (let s = 0; s < 3; s++) {
      const row = x.subarray(r * builder.width + s * builder.cols, r * builder.width + (s + 1) * builder.cols);
      assert.ok(
        row.some((v) => v !== 0),
        `row ${r} of series ${s} is a feature row, not warm-up zeros`,
      );
    }
  assert.throws(() => builder.build(tl.ts[first - 1], [0, 0], 0), {
    message:
      `features are not full until ${isoTime(index.ts[123])} (I/KRW's warm-up): ` +
      `no observation at ${isoTime(tl.ts[first - 1])}`,
  });
  assert.throws(() => envOver(traded, [index], { range: { from: first - 1, to: tl.ts.length } }), {
    message:
      `range starts at clock time ${first - 1}; features (first valid row + window) are full from ${first} ` +
      `(${isoTime(tl.ts[first])})`,
  });
});

test('observations read each series up to t only: rewriting the future of one series changes nothing before it', () => {
  const traded = [market(1, 'A/KRW'), market(2, 'B/KRW')];
  const index = market(5, 'I/KRW');
  const base = new PortfolioObservationBuilder([...traded, index].map(featured), 2, 5);
  const cut = 400;
  const rewrite = (c: Candles): Candles => {
    const x = { ...c, close: c.close.slice(), open: c.open.slice(), high: c.high.slice(), low: c.low.slice() };
    for (let i = cut + 1; i < c.ts.length; i++) {
      x.close[i] *= 1.5;
      x.open[i] *= 0.7;
      x.high[i] *= 1.6;
      x.low[i] *= 0.6;
    }
    return x;
  };
  for (const which of [1, 2]) {
    const series = [traded[0], traded[1], index].map((c, i) => (i === which ? rewrite(c) : c));
    const changed = new PortfolioObservationBuilder(series.map(featured), 2, 5);
    for (let t = 200; t <= cut; t++) {
      const a = base.build(traded[0].ts[t], [0.2, 0.3], 0.01);
      const b = changed.build(traded[0].ts[t], [0.2, 0.3], 0.01);
      assert.deepEqual(b.features, a.features, `series ${which}, t ${t}`);
    }
    const after = traded[0].ts[cut + 3];
    assert.notDeepEqual(changed.build(after, [0, 0], 0).features, base.build(after, [0, 0], 0).features);
  }
});

test('the seed: a −5% stop ends the episode; random episodes last their length', () => {
  const fall = (symbol: string) =>
    candlesFromRows(
      'x',
      symbol,
      '1h',
      Array.from({ length: 400 }, (_, i) => {
        const p = i < 300 ? 100 + Math.sin(i / 5) : 100 * 0.99 ** (i - 300);
        return { ts: i * 3_600_000, open: p, high: p * 1.001, low: p * 0.999, close: p, volume: 1 };
      }),
    );
  const env = envOver([fall('A/USD'), fall('B/USD')], [], { stopLoss: 0.05 });
  env.reset({ from: 300 });
  let steps = 0;
  let last;
  do {
    last = env.step([0.5, 0.5]);
    steps++;
  } while (!last.done);
  assert.equal(last.end, 'stop_loss');
  assert.ok(last.value <= 1_000_000 * 0.95 && steps < 10, `stopped after ${steps} steps at ${last.value}`);

  const traded = [market(1, 'A/KRW'), market(2, 'B/KRW')];
  const episodic = envOver(traded, [], { episode: { kind: 'random', length: 30, seed: 4 } });
  const starts = new Set<number>();
  for (let e = 0; e < 5; e++) {
    episodic.reset();
    starts.add(episodic.sim.t);
    let n = 0;
    let s;
    do {
      s = episodic.step([0.5, 0.5]);
      n++;
    } while (!s.done);
    assert.equal(n, 29, 'a 30-candle episode makes 29 decisions');
    assert.equal(s.end, 'end');
  }
  assert.ok(starts.size > 1, 'episodes start at random places');
});
