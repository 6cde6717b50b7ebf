/**
 * Conv1D and MaxPooling1D as row operations, for the JS trainer and the folded inference: im2col turns a batch of
 * [steps, channels] rows into one row per output position, so a convolution is one matrix product; pooling keeps
 * which step won each window for its gradient.
 */
import type * as tf from '@tensorflow/tfjs';

export function first(v: unknown): number {
  return Array.isArray(v) ? (v[0] as number) : (v as number);
}

/** A Conv1D's geometry for im2col: each of `positions` output steps reads `taps` input steps of `inChannels`. */
export interface ConvShape {
  steps: number;
  inChannels: number;
  taps: number;
  /** Zero padding before the first input step ('same': ⌊(taps − 1)/2⌋; 'valid': 0). */
  before: number;
  positions: number;
}

/** Rows [n·positions, taps·inChannels] from rows [n, steps·inChannels]; out-of-range taps are zeros. */
export function im2col(x: Float32Array, n: number, c: ConvShape, out: Float32Array): Float32Array {
  const { steps, inChannels: ci, taps, before, positions } = c;
  const width = taps * ci;
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < positions; t++) {
      const row = (r * positions + t) * width;
      for (let q = 0; q < taps; q++) {
        const src = t + q - before;
        if (src < 0 || src >= steps) out.fill(0, row + q * ci, row + (q + 1) * ci);
        else out.set(x.subarray((r * steps + src) * ci, (r * steps + src + 1) * ci), row + q * ci);
      }
    }
  }
  return out;
}

/** im2col's adjoint: adds every column block back onto the input step it was read from. */
export function col2im(cols: Float32Array, n: number, c: ConvShape, out: Float32Array): Float32Array {
  const { steps, inChannels: ci, taps, before, positions } = c;
  const width = taps * ci;
  out.fill(0);
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < positions; t++) {
      const row = (r * positions + t) * width;
      for (let q = 0; q < taps; q++) {
        const src = t + q - before;
        if (src < 0 || src >= steps) continue;
        const o = (r * steps + src) * ci,
          i = row + q * ci;
        for (let j = 0; j < ci; j++) out[o + j] += cols[i + j];
      }
    }
  }
  return out;
}

/**
 * MaxPooling1D ('valid'): pooled[r, t, c] = max over the window; `which` keeps the winning step (the first of ties).
 */
export interface PoolShape {
  size: number;
  stride: number;
  positions: number;
  pooled: number;
}

export function maxPool(
  y: Float32Array,
  n: number,
  p: PoolShape,
  u: number,
  out: Float32Array,
  which: Float32Array,
): void {
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < p.pooled; t++) {
      const o = (r * p.pooled + t) * u;
      const start = t * p.stride;
      for (let c = 0; c < u; c++) {
        let best = y[(r * p.positions + start) * u + c],
          at = start;
        for (let q = 1; q < p.size; q++) {
          const v = y[(r * p.positions + start + q) * u + c];
          if (v > best) {
            best = v;
            at = start + q;
          }
        }
        out[o + c] = best;
        which[o + c] = at;
      }
    }
  }
}

/** The pooling gradient: each window's gradient to its winning step, zeros elsewhere. */
export function unpool(
  g: Float32Array,
  which: Float32Array,
  n: number,
  p: PoolShape,
  u: number,
  out: Float32Array,
): Float32Array {
  out.fill(0);
  for (let r = 0; r < n; r++) {
    for (let t = 0; t < p.pooled; t++) {
      const o = (r * p.pooled + t) * u;
      for (let c = 0; c < u; c++) out[(r * p.positions + which[o + c]) * u + c] += g[o + c];
    }
  }
  return out;
}

/** A Conv1D layer's geometry (stride and dilation 1, 'same' or 'valid' padding, channels last). */
export function convShapeOf(layer: tf.layers.Layer): ConvShape {
  const cfg = layer.getConfig() as Record<string, unknown>;
  const [steps, inChannels] = (layer.input as tf.SymbolicTensor).shape.slice(1) as number[];
  const taps = first(cfg.kernelSize);
  return {
    steps,
    inChannels,
    taps,
    positions: (layer.outputShape as number[])[1],
    before: cfg.padding === 'same' ? Math.floor((taps - 1) / 2) : 0,
  };
}

/** A MaxPooling1D layer's windows over `positions` steps ('valid' padding). */
export function poolShapeOf(layer: tf.layers.Layer, positions: number): PoolShape {
  const cfg = layer.getConfig() as Record<string, unknown>;
  const size = first(cfg.poolSize);
  return { size, stride: first(cfg.strides ?? size), positions, pooled: (layer.outputShape as number[])[1] };
}
