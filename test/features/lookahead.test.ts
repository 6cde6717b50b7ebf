import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Candles } from '../../src/core/candles.ts';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { computeFeatures, featureHistory, listFeatureSets } from '../../src/features/index.ts';
import { sliceCandles } from '../../src/core/candles.ts';
import { Rng } from '../../src/core/random.ts';

/** A copy of `c` whose candles after t are replaced by wild garbage (huge, zero, negative prices and volumes). */
function corruptAfter(c: Candles, t: number, seed: number): Candles {
  const rng = new Rng(seed);
  const copy = (a: Float64Array) => Float64Array.from(a);
  const out: Candles = {
    ...c,
    ts: copy(c.ts),
    open: copy(c.open),
    high: copy(c.high),
    low: copy(c.low),
    close: copy(c.close),
    volume: copy(c.volume),
  };
  for (let i = t + 1; i < out.close.length; i++) {
    const junk = () => [0, -1, 1e12, rng.next() * 1e9, c.close[i] * (1 + rng.normal())][rng.int(5)];
    out.open[i] = junk();
    out.high[i] = junk();
    out.low[i] = junk();
    out.close[i] = junk();
    out.volume[i] = rng.next() < 0.2 ? 0 : junk();
  }
  return out;
}

const candles = syntheticCandles({ seed: 31, count: 420, gapProbability: 0.03 });
const specs = [...listFeatureSets(), listFeatureSets().join('+')];

for (const spec of specs) {
  test(`no lookahead in ${spec}: rows ≤ t are unchanged when every candle after t is garbage`, () => {
    const clean = computeFeatures(candles, spec);
    const rng = new Rng(7);
    const ts = [
      0,
      1,
      2,
      5,
      clean.firstValidRow - 1,
      clean.firstValidRow,
      clean.firstValidRow + 1,
      candles.close.length - 2,
    ];
    while (ts.length < 24) ts.push(clean.firstValidRow + rng.int(candles.close.length - clean.firstValidRow - 1));
    for (const t of ts) {
      const dirty = computeFeatures(corruptAfter(candles, t, t), spec);
      const upto = (t + 1) * clean.cols;
      for (let k = 0; k < upto; k++) {
        if (clean.data[k] !== dirty.data[k]) {
          assert.fail(
            `${clean.names[k % clean.cols]} at row ${Math.floor(k / clean.cols)} changed ` +
              `(${clean.data[k]} → ${dirty.data[k]}) when candles after ${t} changed`,
          );
        }
      }
      // …and the corruption did reach later rows, so the comparison means something.
      if (t < candles.close.length - 2 && t >= clean.firstValidRow) {
        let differs = false;
        for (let k = upto; k < clean.data.length && !differs; k++) differs = clean.data[k] !== dirty.data[k];
        assert.ok(differs, `garbage after ${t} changed nothing at all`);
      }
    }
  });
}

test(`featureHistory candles make a row independent of where the data starts (the history a paper run loads): rows \
of a series cut that far back equal the whole series' rows`, () => {
  const long = syntheticCandles({ seed: 41, count: 2400, volatility: 0.02 });
  for (const spec of specs) {
    const h = featureHistory(spec);
    const whole = computeFeatures(long, spec);
    for (const start of [900, 1500]) {
      const cut = computeFeatures(sliceCandles(long, start - h, long.close.length), spec);
      let worst = 0;
      for (let r = start; r < long.close.length; r++)
        for (let j = 0; j < whole.cols; j++) {
          const d = Math.abs(cut.data[(r - start + h) * cut.cols + j] - whole.data[r * whole.cols + j]);
          worst = Math.max(worst, d);
        }
      // a sum kept by adding and subtracting (MFI's) differs in the last bits of a float64, nothing more
      assert.ok(worst <= 1e-12, `${spec} from ${start}: rows differ by up to ${worst} after ${h} candles of history`);
    }
  }
});
