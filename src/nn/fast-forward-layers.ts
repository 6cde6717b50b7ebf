/**
 * The plain-JS layer kernels of the single-observation forward pass (fast-forward.ts): dense, batch norm, LSTM/GRU,
 * Conv1D, pooling, concatenation and activations, each compiled once into a closure over preallocated buffers.
 */
import * as tf from '@tensorflow/tfjs';
import { first } from './conv-rows.ts';

export interface Buf {
  data: Float32Array;
  /** Shape without the batch dimension. */
  shape: number[];
}

export type Run = () => void;
export type LayerConfig = Record<string, unknown>;

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function outputShape(layer: tf.layers.Layer): number[] {
  const s = layer.outputShape;
  const one = (Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
  return one.slice(1).map((d) => {
    if (d === null) throw new Error(`fast forward: layer ${layer.name} has an unknown dimension`);
    return d;
  });
}

/** In-place activation over `n` values; softmax works on rows of `last`. */
export function activationFn(
  name: string,
  layerName: string,
  alpha = 0.3,
): (a: Float32Array | Float64Array, n: number, last: number) => void {
  switch (name) {
    case 'linear':
      return () => {};
    case 'relu':
      return (a, n) => {
        for (let i = 0; i < n; i++) if (a[i] < 0) a[i] = 0;
      };
    case 'relu6':
      return (a, n) => {
        for (let i = 0; i < n; i++) a[i] = Math.min(6, Math.max(0, a[i]));
      };
    case 'leakyRelu':
      return (a, n) => {
        for (let i = 0; i < n; i++) if (a[i] < 0) a[i] *= alpha;
      };
    case 'sigmoid':
      return (a, n) => {
        for (let i = 0; i < n; i++) a[i] = 1 / (1 + Math.exp(-a[i]));
      };
    case 'hardSigmoid':
      return (a, n) => {
        for (let i = 0; i < n; i++) a[i] = Math.min(1, Math.max(0, 0.2 * a[i] + 0.5));
      };
    case 'tanh':
      return (a, n) => {
        for (let i = 0; i < n; i++) a[i] = Math.tanh(a[i]);
      };
    case 'elu':
      return (a, n) => {
        for (let i = 0; i < n; i++) if (a[i] < 0) a[i] = Math.exp(a[i]) - 1;
      };
    case 'selu':
      return (a, n) => {
        const s = 1.0507009873554805,
          al = 1.6732632423543772;
        for (let i = 0; i < n; i++) a[i] = a[i] > 0 ? s * a[i] : s * al * (Math.exp(a[i]) - 1);
      };
    case 'softplus':
      return (a, n) => {
        for (let i = 0; i < n; i++) a[i] = Math.log1p(Math.exp(a[i]));
      };
    case 'softsign':
      return (a, n) => {
        for (let i = 0; i < n; i++) a[i] = a[i] / (1 + Math.abs(a[i]));
      };
    case 'swish':
      return (a, n) => {
        for (let i = 0; i < n; i++) a[i] = a[i] / (1 + Math.exp(-a[i]));
      };
    case 'softmax':
      return (a, n, last) => {
        for (let r = 0; r < n; r += last) {
          let max = -Infinity;
          for (let j = 0; j < last; j++) if (a[r + j] > max) max = a[r + j];
          let sum = 0;
          for (let j = 0; j < last; j++) sum += a[r + j] = Math.exp(a[r + j] - max);
          for (let j = 0; j < last; j++) a[r + j] /= sum;
        }
      };
    default:
      throw new Error(`fast forward: activation '${name}' of layer ${layerName} is not supported`);
  }
}

/** Copies of a layer's weights by leaf name (kernel, bias, gamma, …), refreshed by sync(). */
export class WeightTable {
  private readonly entries: { variable: tf.LayerVariable; data: Float32Array }[] = [];

  take(layer: tf.layers.Layer): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const w of layer.weights) {
      const data = new Float32Array(size(w.shape as number[]));
      this.entries.push({ variable: w, data });
      out.set(w.originalName.split('/').pop() ?? w.originalName, data);
    }
    return out;
  }

  sync(): void {
    for (const e of this.entries) e.data.set(e.variable.read().dataSync() as Float32Array);
  }
}

export function need(weights: Map<string, Float32Array>, name: string, layer: string): Float32Array {
  const w = weights.get(name);
  if (!w) throw new Error(`fast forward: layer ${layer} has no weight '${name}'`);
  return w;
}

export function dense(cfg: LayerConfig, w: Map<string, Float32Array>, name: string, x: Buf, y: Buf): Run {
  const units = cfg.units as number;
  const inner = x.shape[x.shape.length - 1];
  const rows = size(x.shape) / inner;
  const kernel = need(w, 'kernel', name);
  const bias = cfg.useBias === false ? undefined : need(w, 'bias', name);
  const act = activationFn(String(cfg.activation ?? 'linear'), name);
  const n = y.data.length;
  const acc = new Float64Array(units);
  return () => {
    // locals, not closure slots, in the hot loop: V8 keeps them in registers
    const xs = x.data,
      ys = y.data,
      k = kernel,
      sum = acc;
    for (let r = 0; r < rows; r++) {
      const yo = r * units,
        xo = r * inner;
      if (bias) for (let j = 0; j < units; j++) sum[j] = bias[j];
      else sum.fill(0);
      for (let i = 0; i < inner; i++) {
        const xi = xs[xo + i];
        if (xi === 0) continue;
        const ko = i * units;
        for (let j = 0; j < units; j++) sum[j] += xi * k[ko + j];
      }
      for (let j = 0; j < units; j++) ys[yo + j] = sum[j];
    }
    act(ys, n, units);
  };
}

export function batchNorm(
  cfg: LayerConfig,
  w: Map<string, Float32Array>,
  name: string,
  x: Buf,
  y: Buf,
): { run: Run; refresh: () => void } {
  const axis = Array.isArray(cfg.axis) ? (cfg.axis as number[]) : [cfg.axis as number];
  if (axis.length !== 1 || (axis[0] !== -1 && axis[0] !== x.shape.length)) {
    throw new Error(`fast forward: batch norm ${name} over axis ${String(cfg.axis)} is not supported (last axis only)`);
  }
  const ch = x.shape[x.shape.length - 1];
  const eps = cfg.epsilon as number;
  const gamma = cfg.scale === false ? undefined : need(w, 'gamma', name);
  const beta = cfg.center === false ? undefined : need(w, 'beta', name);
  const mean = need(w, 'moving_mean', name);
  const variance = need(w, 'moving_variance', name);
  const scale = new Float32Array(ch),
    shift = new Float32Array(ch);
  const xs = x.data,
    ys = y.data,
    n = x.data.length;
  return {
    refresh: () => {
      for (let c = 0; c < ch; c++) {
        // same float32 rounding as tfjs: (x - mean) * (gamma / sqrt(var + eps)) + beta
        scale[c] = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + eps);
        shift[c] = beta ? beta[c] : 0;
      }
    },
    run: () => {
      for (let i = 0, c = 0; i < n; i++) {
        ys[i] = (xs[i] - mean[c]) * scale[c] + shift[c];
        if (++c === ch) c = 0;
      }
    },
  };
}

export function recurrent(
  kind: 'LSTM' | 'GRU',
  cfg: LayerConfig,
  w: Map<string, Float32Array>,
  name: string,
  x: Buf,
  y: Buf,
): Run {
  if (cfg.goBackwards || cfg.stateful)
    throw new Error(`fast forward: ${kind} ${name} with goBackwards/stateful is not supported`);
  if (kind === 'GRU' && cfg.resetAfter) throw new Error(`fast forward: GRU ${name} with resetAfter is not supported`);
  const u = cfg.units as number;
  const [steps, inner] = x.shape;
  const gates = kind === 'LSTM' ? 4 : 3;
  const kernelW = need(w, 'kernel', name);
  const recurrentW = need(w, 'recurrent_kernel', name);
  const bias = cfg.useBias === false ? undefined : need(w, 'bias', name);
  const act = activationFn(String(cfg.activation ?? 'tanh'), name);
  const rec = activationFn(String(cfg.recurrentActivation ?? 'hardSigmoid'), name);
  const seq = cfg.returnSequences === true;
  const gatesBuf = new Float64Array(gates * u);
  const hBuf = new Float64Array(u),
    cBuf = new Float64Array(u);
  const rh = new Float64Array(u),
    hh = new Float64Array(u),
    zr = new Float64Array(2 * u);
  const G = gates * u;
  return () => {
    const xs = x.data,
      ys = y.data,
      kernel = kernelW,
      rk = recurrentW,
      z = gatesBuf,
      h = hBuf,
      c = cBuf;
    h.fill(0);
    c.fill(0);
    for (let t = 0; t < steps; t++) {
      const xo = t * inner;
      if (bias) z.set(bias);
      else z.fill(0);
      for (let i = 0; i < inner; i++) {
        const xi = xs[xo + i];
        if (xi === 0) continue;
        const ko = i * G;
        for (let j = 0; j < G; j++) z[j] += xi * kernel[ko + j];
      }
      if (kind === 'LSTM') {
        for (let i = 0; i < u; i++) {
          const hi = h[i];
          if (hi === 0) continue;
          const ko = i * G;
          for (let j = 0; j < G; j++) z[j] += hi * rk[ko + j];
        }
        // gate order i, f, c, o (Keras)
        const ig = z.subarray(0, u),
          fg = z.subarray(u, 2 * u),
          cg = z.subarray(2 * u, 3 * u),
          og = z.subarray(3 * u, 4 * u);
        rec(ig, u, u);
        rec(fg, u, u);
        act(cg, u, u);
        rec(og, u, u);
        for (let j = 0; j < u; j++) c[j] = fg[j] * c[j] + ig[j] * cg[j];
        hh.set(c);
        act(hh, u, u);
        for (let j = 0; j < u; j++) h[j] = og[j] * hh[j];
      } else {
        // gate order z, r, h; the candidate uses (r ⊙ h_{t-1}) · U_h (tfjs GRU, reset_after = false)
        zr.fill(0);
        for (let i = 0; i < u; i++) {
          const hi = h[i];
          if (hi === 0) continue;
          const ko = i * G;
          for (let j = 0; j < 2 * u; j++) zr[j] += hi * rk[ko + j];
        }
        for (let j = 0; j < 2 * u; j++) z[j] += zr[j];
        const zg = z.subarray(0, u),
          rg = z.subarray(u, 2 * u),
          hg = z.subarray(2 * u, 3 * u);
        rec(zg, u, u);
        rec(rg, u, u);
        for (let i = 0; i < u; i++) rh[i] = rg[i] * h[i];
        for (let i = 0; i < u; i++) {
          const v = rh[i];
          if (v === 0) continue;
          const ko = i * G + 2 * u;
          for (let j = 0; j < u; j++) hg[j] += v * rk[ko + j];
        }
        act(hg, u, u);
        for (let j = 0; j < u; j++) h[j] = zg[j] * h[j] + (1 - zg[j]) * hg[j];
      }
      if (seq) ys.set(h, t * u);
    }
    if (!seq) ys.set(h);
  };
}

/** Where a window of `k` taps (dilation d) starts for each output step, as tfjs pads 'same' / 'valid' / 'causal'. */
export function padBefore(
  padding: string,
  steps: number,
  outSteps: number,
  k: number,
  stride: number,
  d: number,
): number {
  if (padding === 'valid') return 0;
  if (padding === 'causal') return (k - 1) * d;
  const total = Math.max((outSteps - 1) * stride + (k - 1) * d + 1 - steps, 0);
  return Math.floor(total / 2);
}

export function conv1d(cfg: LayerConfig, w: Map<string, Float32Array>, name: string, x: Buf, y: Buf): Run {
  const k = first(cfg.kernelSize),
    stride = first(cfg.strides ?? 1),
    d = first(cfg.dilationRate ?? 1);
  if (cfg.dataFormat === 'channelsFirst')
    throw new Error(`fast forward: conv1d ${name} channelsFirst is not supported`);
  const [steps, inC] = x.shape;
  const [outSteps, filters] = y.shape;
  const before = padBefore(String(cfg.padding), steps, outSteps, k, stride, d);
  const kernelW = need(w, 'kernel', name);
  const bias = cfg.useBias === false ? undefined : need(w, 'bias', name);
  const act = activationFn(String(cfg.activation ?? 'linear'), name);
  const n = y.data.length;
  return () => {
    const xs = x.data,
      ys = y.data,
      kernel = kernelW;
    for (let t = 0; t < outSteps; t++) {
      const yo = t * filters;
      if (bias) for (let f = 0; f < filters; f++) ys[yo + f] = bias[f];
      else ys.fill(0, yo, yo + filters);
      for (let q = 0; q < k; q++) {
        const src = t * stride + q * d - before;
        if (src < 0 || src >= steps) continue;
        for (let ci = 0; ci < inC; ci++) {
          const xi = xs[src * inC + ci];
          if (xi === 0) continue;
          const ko = (q * inC + ci) * filters;
          for (let f = 0; f < filters; f++) ys[yo + f] += xi * kernel[ko + f];
        }
      }
    }
    act(ys, n, filters);
  };
}

export function pool1d(max: boolean, cfg: LayerConfig, name: string, x: Buf, y: Buf): Run {
  const p = first(cfg.poolSize),
    stride = first(cfg.strides ?? p);
  if (cfg.dataFormat === 'channelsFirst')
    throw new Error(`fast forward: pooling ${name} channelsFirst is not supported`);
  const [steps, ch] = x.shape;
  const outSteps = y.shape[0];
  const before = padBefore(String(cfg.padding ?? 'valid'), steps, outSteps, p, stride, 1);
  const xs = x.data,
    ys = y.data;
  return () => {
    for (let t = 0; t < outSteps; t++) {
      for (let c = 0; c < ch; c++) {
        let acc = max ? -Infinity : 0,
          count = 0;
        for (let q = 0; q < p; q++) {
          const src = t * stride + q - before;
          if (src < 0 || src >= steps) continue;
          const v = xs[src * ch + c];
          if (max) acc = v > acc ? v : acc;
          else acc += v;
          count++;
        }
        ys[t * ch + c] = max ? acc : acc / count;
      }
    }
  };
}

export function concatenate(cfg: LayerConfig, name: string, xs: Buf[], y: Buf): Run {
  const axis = cfg.axis as number;
  if (axis !== -1 && axis !== y.shape.length)
    throw new Error(`fast forward: concatenate ${name} on axis ${axis} is not supported`);
  const lasts = xs.map((b) => b.shape[b.shape.length - 1]);
  const rows = size(y.shape) / y.shape[y.shape.length - 1];
  const out = y.data,
    width = y.shape[y.shape.length - 1];
  return () => {
    for (let r = 0; r < rows; r++) {
      let o = r * width;
      for (let k = 0; k < xs.length; k++) {
        const l = lasts[k];
        out.set(xs[k].data.subarray(r * l, (r + 1) * l), o);
        o += l;
      }
    }
  };
}
