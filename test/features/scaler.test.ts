import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticCandles } from '../../src/data/synthetic.ts';
import { UserError } from '../../src/core/errors.ts';
import { computeFeatures, type FeatureMatrix } from '../../src/features/index.ts';
import { applyScaler, fitScaler, scaleRow, scalerFromJSON, SCALER_KINDS } from '../../src/features/scaler.ts';

const candles = syntheticCandles({ seed: 41, count: 600 });
const m = computeFeatures(candles, 'rltrader-v1+ta');
const trainEnd = 400;

function withRowsAfter(src: FeatureMatrix, row: number, value: number): FeatureMatrix {
  const data = Float32Array.from(src.data);
  data.fill(value, row * src.cols);
  return { ...src, data };
}

test('each scaler fits on training rows only: changing rows from trainEnd on changes nothing', () => {
  for (const kind of SCALER_KINDS) {
    const a = fitScaler(kind, m, 0, trainEnd);
    const b = fitScaler(kind, withRowsAfter(m, trainEnd, 1e6), 0, trainEnd);
    assert.deepEqual(b, a, kind);
    assert.deepEqual(a.fittedRows, [m.firstValidRow, trainEnd], 'warm-up rows are skipped');
  }
});

test('z-score gives mean 0 and std 1 on the training rows; min-max maps them onto 0..1; tanh stays inside ±1', () => {
  const z = applyScaler(fitScaler('zscore', m, 0, trainEnd), m);
  const mm = applyScaler(fitScaler('minmax', m, 0, trainEnd), m);
  const th = applyScaler(fitScaler('tanh', m, 0, trainEnd), m);
  const rows = trainEnd - m.firstValidRow;
  for (let c = 0; c < m.cols; c++) {
    let sum = 0;
    let ss = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = m.firstValidRow; i < trainEnd; i++) {
      const v = z[i * m.cols + c];
      sum += v;
      ss += v * v;
      lo = Math.min(lo, mm[i * m.cols + c]);
      hi = Math.max(hi, mm[i * m.cols + c]);
    }
    const name = m.names[c];
    const clipped = Array.from({ length: rows }, (_, k) => Math.abs(z[(m.firstValidRow + k) * m.cols + c])).some(
      (v) => v >= 8,
    );
    if (!clipped) {
      assert.ok(Math.abs(sum / rows) < 1e-4, `${name} mean ${sum / rows}`);
      assert.ok(Math.abs(ss / rows - 1) < 1e-3, `${name} var ${ss / rows}`);
    }
    assert.ok(Math.abs(lo) < 1e-6 && Math.abs(hi - 1) < 1e-6, `${name} min-max ${lo}..${hi}`);
  }
  for (let i = 0; i < th.length; i++) assert.ok(th[i] >= -1 && th[i] <= 1);
  // Warm-up rows stay 0 after scaling.
  for (let i = 0; i < m.firstValidRow * m.cols; i++) assert.equal(z[i], 0);
});

test('outputs are clipped to a sane range when later data leaves the training range', () => {
  const state = fitScaler('zscore', m, 0, trainEnd);
  const wild = withRowsAfter(m, trainEnd, 1e9);
  const out = applyScaler(state, wild);
  for (let i = trainEnd * m.cols; i < out.length; i++) assert.ok(out[i] <= 8 && out[i] >= -8);
  const mm = applyScaler(fitScaler('minmax', m, 0, trainEnd), wild);
  for (let i = trainEnd * m.cols; i < mm.length; i++) assert.equal(mm[i], 1.5);
});

test('state survives JSON exactly: a restored scaler gives bit-identical outputs', () => {
  for (const kind of SCALER_KINDS) {
    const state = fitScaler(kind, m, 0, trainEnd);
    const restored = scalerFromJSON(JSON.parse(JSON.stringify(state)));
    assert.deepEqual(restored, state);
    const a = applyScaler(state, m);
    const b = applyScaler(restored, m);
    assert.deepEqual(Buffer.from(b.buffer), Buffer.from(a.buffer), kind);
    // One row at a time (the paper trader's path) gives the same numbers as the whole matrix.
    const t = 500;
    assert.deepEqual(
      scaleRow(restored, m.data.subarray(t * m.cols, (t + 1) * m.cols)),
      a.subarray(t * m.cols, (t + 1) * m.cols),
    );
  }
});

test('mismatched columns, malformed state and too few rows are UserErrors', () => {
  const state = fitScaler('zscore', m, 0, trainEnd);
  const other = computeFeatures(candles, 'rltrader-v1');
  assert.throws(
    () => applyScaler(state, other),
    (e: unknown) => e instanceof UserError && /fitted on columns of rltrader-v1@1\+ta@1/.test(e.message),
  );
  assert.throws(() => scalerFromJSON({ ...state, scale: state.scale.slice(1) }), UserError);
  assert.throws(() => scalerFromJSON({ ...state, kind: 'robust' }), UserError);
  assert.throws(() => scalerFromJSON(null), UserError);
  assert.throws(() => fitScaler('zscore', m, 0, m.firstValidRow + 1), /at least 2 training rows/);
  assert.throws(() => fitScaler('robust' as never, m, 0, trainEnd), UserError);
});

test('a constant column scales to 0 instead of dividing by zero', () => {
  const data = Float32Array.from(m.data);
  for (let i = 0; i < m.rows; i++) data[i * m.cols] = 3;
  const flat = { ...m, data };
  for (const kind of SCALER_KINDS) {
    const out = applyScaler(fitScaler(kind, flat, 0, trainEnd), flat);
    for (let i = m.firstValidRow; i < m.rows; i++) assert.ok(Number.isFinite(out[i * m.cols]));
    if (kind !== 'none') assert.equal(out[trainEnd * m.cols], 0);
  }
});
