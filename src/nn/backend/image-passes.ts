/**
 * The image blocks' max-pooling passes (issue 16), JS reference of image-passes.wat: forward, the batch norm's affine
 * and the leaky ReLU fused into the max pooling; backward, the pooling's sparse gradient with batch norm's column
 * sums, then the batch-norm gradient over every pixel with the winners' share scattered in. Float32 arithmetic
 * (Math.fround) exactly as the SIMD module rounds it, float64 sums in the same order, so the two agree bit for bit
 * (test/nn/image-passes.test.ts). Channels last: z is [images, inH, inW, u], the pooled output [images, outH, outW, u].
 */

/** A max pooling's windows ('valid' padding). */
export interface MaxPoolGeometry {
  inH: number;
  inW: number;
  pH: number;
  pW: number;
  strideH: number;
  strideW: number;
  outH: number;
  outW: number;
}

const f = Math.fround;

/**
 * out = max over each window of act(z·scale + shift) per channel (act(v) = v > 0 ? v : alpha·v); which = the index
 * into z of each window's first maximum in row-major window order (as tfjs's cpu kernel).
 */
export function maxPoolForward(
  z: Float32Array,
  images: number,
  p: MaxPoolGeometry,
  u: number,
  scale: Float32Array,
  shift: Float32Array,
  alpha: number,
  out: Float32Array,
  which: Int32Array,
): void {
  const { inH, inW, pH, pW, strideH, strideW, outH, outW } = p;
  const rowLen = inW * u,
    image = inH * rowLen,
    al = f(alpha);
  let o = 0;
  for (let b = 0; b < images; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        for (let c = 0; c < u; c++, o++) {
          const start = b * image + (oh * strideH * inW + ow * strideW) * u + c;
          let best = -Infinity,
            at = 0;
          for (let i = 0; i < pH; i++) {
            for (let j = 0; j < pW; j++) {
              const idx = start + i * rowLen + j * u;
              let v = f(f(z[idx] * scale[c]) + shift[c]);
              v = v > 0 ? v : f(v * al);
              if (v > best) {
                best = v;
                at = idx;
              }
            }
          }
          out[o] = best;
          which[o] = at;
        }
      }
    }
  }
}

/**
 * The gradient at the batch-norm output of the pooled values: g[o] = dy[o]·act'(z[which[o]]·scale + shift), only the
 * winners get one; and batch norm's sums over them: sumG[c] += g, sumGz[c] += g·(z − mean[c]). Channel c of pooled
 * value o is o mod u, as its winner's.
 */
export function maxPoolBackward(
  dy: Float32Array,
  which: Int32Array,
  z: Float32Array,
  u: number,
  scale: Float32Array,
  shift: Float32Array,
  alpha: number,
  mean: Float64Array,
  g: Float32Array,
  sumG: Float64Array,
  sumGz: Float64Array,
): void {
  const al = f(alpha);
  for (let o = 0, c = 0; o < dy.length; o++) {
    const zi = z[which[o]];
    const v = f(f(zi * scale[c]) + shift[c]);
    const gi = (g[o] = f(dy[o] * (v > 0 ? 1 : al)));
    sumG[c] += gi;
    sumGz[c] += gi * (zi - mean[c]);
    if (++c === u) c = 0;
  }
}

/** dz[i] = z[i]·kb[c] + kc[c] for every value of z, then dz[which[o]] += ka[c]·g[o] for every pooled value. */
export function normScatter(
  z: Float32Array,
  u: number,
  kb: Float32Array,
  kc: Float32Array,
  ka: Float32Array,
  g: Float32Array,
  which: Int32Array,
  dz: Float32Array,
): void {
  for (let i = 0, c = 0; i < z.length; i++) {
    dz[i] = f(f(z[i] * kb[c]) + kc[c]);
    if (++c === u) c = 0;
  }
  for (let o = 0, c = 0; o < g.length; o++) {
    const w = which[o];
    dz[w] = f(dz[w] + f(ka[c] * g[o]));
    if (++c === u) c = 0;
  }
}
