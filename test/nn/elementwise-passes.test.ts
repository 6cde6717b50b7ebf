/**
 * The block trainer's element-wise passes: the WebAssembly SIMD module (src/nn/backend/elementwise-passes.wat) against
 * the JS
 * reference of each pass, on widths that take the SIMD path (multiples of 4) and one that falls back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { jsPasses, type Activation, type ElementwisePasses } from '../../src/nn/backend/elementwise-passes.ts';
import { wasmPasses } from '../../src/nn/backend/elementwise-passes-wasm.ts';
import { Rng } from '../../src/core/random.ts';

await initBackend('wasm');

function close(ours: ArrayLike<number>, theirs: ArrayLike<number>, what: string, rel = 1e-6): void {
  assert.equal(ours.length, theirs.length, `${what}: length`);
  for (let i = 0; i < ours.length; i++) {
    assert.ok(
      Math.abs(ours[i] - theirs[i]) <= rel * (1 + Math.abs(theirs[i])),
      `${what}[${i}]: ${ours[i]} vs ${theirs[i]}`,
    );
  }
}

/** Runs every pass on the same random inputs through `p`; returns everything they wrote, as plain arrays. */
function runAll(p: ElementwisePasses, n: number, u: number, act: Activation, seed: number): Record<string, number[]> {
  const rng = new Rng(seed);
  p.reset();
  p.reserve(64 * n * u + 4096);
  const fill = (a: Float32Array | Float64Array, f: () => number) => {
    for (let i = 0; i < a.length; i++) a[i] = f();
    return a;
  };
  const a = fill(p.f32(n * u), () => (act === 'sigmoid' ? rng.next() : rng.normal())) as Float32Array;
  const dy = fill(p.f32(n * u), () => rng.normal()) as Float32Array;
  const mask = p.f32(n * u);
  const state = p.dropoutMask(mask, 0x1234567, Math.round(0.9 * 65536), 1 / 0.9);
  const sum = p.f64(u),
    sumSq = p.f64(u);
  p.columnMoments(a, n, u, sum, sumSq);
  const scale = fill(p.f32(u), () => rng.normal()) as Float32Array;
  const shift = fill(p.f32(u), () => rng.normal()) as Float32Array;
  const y = p.f32(n * u),
    yNoMask = p.f32(n * u);
  p.scaleShift(a, y, n, u, scale, shift, mask);
  p.scaleShift(a, yNoMask, n, u, scale, shift, undefined);
  const sumG = p.f64(u),
    sumGa = p.f64(u);
  const g = p.maskedColumnSums(dy, mask, p.f32(n * u), a, n, u, sumG, sumGa);
  const alpha = fill(p.f64(u), () => rng.normal()) as Float64Array;
  const beta = fill(p.f64(u), () => rng.normal()) as Float64Array;
  const gamma = fill(p.f64(u), () => rng.normal()) as Float64Array;
  const dz = p.f32(n * u),
    dzT = p.f32(n * u),
    db = p.f64(u);
  p.activationBackward(act, g, a, n, u, alpha, beta, gamma, dz, dzT, db);
  const out: Record<string, number[]> = {
    mask: [...mask],
    state: [state],
    sum: [...sum],
    sumSq: [...sumSq],
    y: [...y],
    yNoMask: [...yNoMask],
  };
  Object.assign(out, { g: [...g], sumG: [...sumG], sumGa: [...sumGa], dz: [...dz], dzT: [...dzT], db: [...db] });
  return out;
}

test('the SIMD passes are compiled when the backend starts', () => {
  assert.ok(wasmPasses(), 'wabt compiled src/nn/backend/elementwise-passes.wat');
});

for (const act of ['sigmoid', 'tanh', 'relu', 'linear'] as const) {
  for (const [n, u] of [
    [37, 8],
    [5, 64],
    [9, 6],
  ]) {
    test(`SIMD passes equal the JS passes: ${act}, ${n} × ${u}${u % 4 ? ' (JS fallback width)' : ''}`, () => {
      const theirs = runAll(jsPasses(), n, u, act, n * 100 + u);
      const ours = runAll(wasmPasses()!, n, u, act, n * 100 + u);
      // the dropout stream and the float64 sums are bit for bit the same; float32 arithmetic within rounding
      assert.deepEqual(ours.mask, theirs.mask, 'dropout mask');
      assert.deepEqual(ours.state, theirs.state, 'generator state');
      assert.deepEqual(ours.sum, theirs.sum, 'column sums');
      assert.deepEqual(ours.sumSq, theirs.sumSq, 'column sums of squares');
      for (const key of ['y', 'yNoMask', 'g', 'sumG', 'sumGa', 'dz', 'dzT', 'db']) close(ours[key], theirs[key], key);
      const dzT = ours.dzT,
        dz = ours.dz;
      for (let r = 0; r < n; r++)
        for (let c = 0; c < u; c++) assert.equal(dzT[c * n + r], dz[r * u + c], `dzT is dz transposed at ${r},${c}`);
    });
  }
}

for (const [rows, cols] of [
  [490, 128],
  [7, 4],
  [3, 8],
  [6, 5],
]) {
  test(`SIMD transpose of ${rows} × ${cols}${cols % 4 ? ' (JS fallback width)' : ''}`, () => {
    const p = wasmPasses()!;
    p.reset();
    p.reserve(8 * rows * cols + 1024);
    const m = p.f32(rows * cols);
    for (let i = 0; i < m.length; i++) m[i] = i + 0.5;
    const out = p.transpose(m, rows, cols, p.f32(rows * cols));
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) assert.equal(out[c * rows + r], m[r * cols + c], `${r},${c}`);
  });
}
