/**
 * The image blocks' max-pooling passes: the WebAssembly SIMD module (src/nn/backend/image-passes.wat) against the JS
 * reference (image-passes.ts), bit for bit, on channel counts that take the SIMD path and one that falls back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { jsPasses, type ElementwisePasses } from '../../src/nn/backend/elementwise-passes.ts';
import { wasmPasses } from '../../src/nn/backend/elementwise-passes-wasm.ts';
import type { MaxPoolGeometry } from '../../src/nn/backend/image-passes.ts';
import { Rng } from '../../src/core/random.ts';

await initBackend('wasm');

/** Runs the three passes on the same random inputs through `p`; returns what they wrote, as plain arrays. */
function runAll(p: ElementwisePasses, images: number, g: MaxPoolGeometry, u: number, seed: number) {
  const rng = new Rng(seed);
  const len = images * g.inH * g.inW * u,
    pooled = images * g.outH * g.outW * u;
  p.reset();
  p.reserve(4 * (3 * len + 4 * pooled) + 64 * u + 4096);
  const fill = <A extends Float32Array | Float64Array>(a: A, f: () => number): A => {
    for (let i = 0; i < a.length; i++) a[i] = f();
    return a;
  };
  // a few repeated values, so ties inside a window are exercised too
  const z = fill(p.f32(len), () => (rng.next() < 0.2 ? 0.5 : rng.normal()));
  const scale = fill(p.f32(u), () => rng.normal()),
    shift = fill(p.f32(u), () => rng.normal());
  const out = p.f32(pooled),
    which = p.i32(pooled);
  p.maxPoolForward(z, images, g, u, scale, shift, 0.01, out, which);
  const dy = fill(p.f32(pooled), () => rng.normal());
  const mean = fill(p.f64(u), () => rng.normal());
  const gr = p.f32(pooled),
    sumG = p.f64(u),
    sumGz = p.f64(u);
  p.maxPoolBackward(dy, which, z, u, scale, shift, 0.01, mean, gr, sumG, sumGz);
  const ka = fill(p.f32(u), () => rng.normal()),
    kb = fill(p.f32(u), () => rng.normal()),
    kc = fill(p.f32(u), () => rng.normal());
  const dz = p.f32(len);
  p.normScatter(z, u, kb, kc, ka, gr, which, dz);
  return { out: [...out], which: [...which], g: [...gr], sumG: [...sumG], sumGz: [...sumGz], dz: [...dz] };
}

const GEOMETRIES: { title: string; images: number; g: MaxPoolGeometry }[] = [
  {
    title: '2×2 windows, odd input (edge pixels in no window)',
    images: 3,
    g: { inH: 9, inW: 7, pH: 2, pW: 2, strideH: 2, strideW: 2, outH: 4, outW: 3 },
  },
  {
    title: '3×2 windows, stride 2 (overlapping rows)',
    images: 2,
    g: { inH: 8, inW: 6, pH: 3, pW: 2, strideH: 2, strideW: 2, outH: 3, outW: 3 },
  },
  { title: '2×1 windows', images: 2, g: { inH: 6, inW: 3, pH: 2, pW: 1, strideH: 2, strideW: 1, outH: 3, outW: 3 } },
];

for (const { title, images, g } of GEOMETRIES) {
  for (const u of [4, 8, 6]) {
    test(`max-pooling passes: SIMD equals JS bit for bit, ${title}, ${u} channels`, () => {
      const simd = wasmPasses();
      assert.ok(simd, 'the SIMD passes compiled');
      const ours = runAll(simd, images, g, u, 7 + u);
      const theirs = runAll(jsPasses(), images, g, u, 7 + u);
      for (const key of Object.keys(theirs) as (keyof typeof theirs)[]) assert.deepEqual(ours[key], theirs[key], key);
      // the JS reference itself: every pooled value is its winner's activation
      assert.ok(
        theirs.which.every((w, o) => w % u === o % u),
        'each winner is in its own channel',
      );
    });
  }
}
