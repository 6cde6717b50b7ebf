/**
 * Conv2D and 2-D pooling as row operations for the block trainer's image blocks (issue 16): im2col (here transposed,
 * one row per kernel tap) makes the weight gradient one untransposed matrix product on the backend, as conv-rows.ts
 * does for Conv1D; col2im is im2col's adjoint; max pooling keeps which pixel won each window for its gradient,
 * average pooling spreads it evenly. Channels last, as tfjs-layers' default.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LayerConfig } from './graph.ts';
import type { MaxPoolGeometry } from './backend/image-passes.ts';

/** A Conv2D's geometry: each of outH×outW output pixels reads kH×kW input pixels of `inC` channels. */
export interface Conv2DShape {
  inH: number;
  inW: number;
  inC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  /** Zero padding above and left of the image (tfjs 'same': half the total, rounded down; 'valid': 0). */
  top: number;
  left: number;
  /** Zero padding below and right (the rest of the total). */
  bottom: number;
  right: number;
  outH: number;
  outW: number;
}

function pair(v: unknown): [number, number] {
  if (Array.isArray(v)) return [v[0] as number, (v[1] ?? v[0]) as number];
  return [v as number, v as number];
}

/** Output size and padding before, as tfjs computes them for 'same' and 'valid'. */
function axis(
  size: number,
  k: number,
  stride: number,
  padding: string,
): { out: number; before: number; after: number } {
  if (padding === 'valid') {
    const out = Math.floor((size - k) / stride) + 1;
    return { out, before: 0, after: 0 };
  }
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
}

/** Why the image trainer cannot run this Conv2D's geometry, or undefined. */
export function conv2dUnsupported(name: string, cfg: LayerConfig): string | undefined {
  const [dh, dw] = pair(cfg.dilationRate ?? 1);
  if (dh !== 1 || dw !== 1) return `conv2d ${name} has dilation`;
  if (cfg.padding !== 'same' && cfg.padding !== 'valid') return `conv2d ${name} padding ${String(cfg.padding)}`;
  if (cfg.dataFormat === 'channelsFirst') return `conv2d ${name} is channels first`;
  return undefined;
}

/** A Conv2D layer's geometry (channels last, dilation 1). */
export function conv2dShapeOf(layer: tf.layers.Layer): Conv2DShape {
  const cfg = layer.getConfig() as LayerConfig;
  const [inH, inW, inC] = (layer.input as tf.SymbolicTensor).shape.slice(1) as number[];
  const [kH, kW] = pair(cfg.kernelSize);
  const [strideH, strideW] = pair(cfg.strides ?? 1);
  const padding = String(cfg.padding);
  const h = axis(inH, kH, strideH, padding),
    w = axis(inW, kW, strideW, padding);
  return {
    ...{ inH, inW, inC, kH, kW, strideH, strideW },
    ...{ top: h.before, bottom: h.after, left: w.before, right: w.after, outH: h.out, outW: w.out },
  };
}

/**
 * im2col transposed: [kH·kW·inC, images·outH·outW] from images [images, inH, inW, inC]. Row j = (kh, kw, c) holds that
 * tap's input value for every output pixel (zeros outside the image), so the weight gradient is the untransposed
 * product colsᵀ·dz = [taps, pixels]·[pixels, filters], already in the kernel's [kH, kW, inC, filters] order.
 */
export function im2colT(x: Float32Array, images: number, s: Conv2DShape, out: Float32Array): Float32Array {
  const { inH, inW, inC, kH, kW, strideH, strideW, top, left, outH, outW } = s;
  const image = inH * inW * inC;
  let o = 0;
  for (let kh = 0; kh < kH; kh++) {
    for (let kw = 0; kw < kW; kw++) {
      // output columns whose input column w = ow·stride + kw − left lies inside the image
      let first = 0;
      while (first < outW && first * strideW + kw - left < 0) first++;
      let end = outW;
      while (end > first && (end - 1) * strideW + kw - left >= inW) end--;
      for (let c = 0; c < inC; c++) {
        for (let b = 0; b < images; b++) {
          for (let oh = 0; oh < outH; oh++) {
            const h = oh * strideH + kh - top;
            if (h < 0 || h >= inH) {
              out.fill(0, o, o + outW);
              o += outW;
              continue;
            }
            const src = b * image + h * inW * inC + c + (kw - left) * inC;
            for (let ow = 0; ow < first; ow++) out[o++] = 0;
            const step = strideW * inC;
            if (step === 1) {
              out.set(x.subarray(src + first, src + end), o);
              o += end - first;
            } else {
              for (let ow = first; ow < end; ow++) out[o++] = x[src + ow * step];
            }
            for (let ow = end; ow < outW; ow++) out[o++] = 0;
          }
        }
      }
    }
  }
  return out;
}

/**
 * The input gradient of a strided convolution from d(cols) = dz·Wᵀ, rows [images·outH·outW, kH·kW·inC]: adds every
 * row's window back onto the pixels it was read from (im2col's adjoint). Stride-1 convolutions take the faster route
 * of a forward convolution of dz with the flipped kernel instead (image-block.ts).
 */
export function col2im2d(cols: Float32Array, images: number, s: Conv2DShape, out: Float32Array): Float32Array {
  const { inH, inW, inC, kH, kW, strideH, strideW, top, left, outH, outW } = s;
  const image = inH * inW * inC;
  out.fill(0, 0, images * image);
  let o = 0;
  for (let b = 0; b < images; b++) {
    const base = b * image;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * strideH - top;
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * strideW - left;
        for (let kh = 0; kh < kH; kh++) {
          const h = h0 + kh;
          if (h < 0 || h >= inH) {
            o += kW * inC;
            continue;
          }
          const rowBase = base + h * inW * inC;
          for (let kw = 0; kw < kW; kw++) {
            const w = w0 + kw;
            if (w < 0 || w >= inW) {
              o += inC;
            } else {
              const dst = rowBase + w * inC;
              for (let c = 0; c < inC; c++) out[dst + c] += cols[o++];
            }
          }
        }
      }
    }
  }
  return out;
}

/** MaxPooling2D / AveragePooling2D ('valid' padding) over [inH, inW, channels] images. */
export interface Pool2DShape extends MaxPoolGeometry {
  kind: 'max' | 'avg';
  channels: number;
}

export function pool2dUnsupported(name: string, cfg: LayerConfig): string | undefined {
  if (cfg.padding !== 'valid') return `pooling ${name} padding ${String(cfg.padding)}`;
  if (cfg.dataFormat === 'channelsFirst') return `pooling ${name} is channels first`;
  return undefined;
}

export function pool2dShapeOf(layer: tf.layers.Layer): Pool2DShape {
  const cfg = layer.getConfig() as LayerConfig;
  const [inH, inW, channels] = (layer.input as tf.SymbolicTensor).shape.slice(1) as number[];
  const [pH, pW] = pair(cfg.poolSize);
  const [strideH, strideW] = cfg.strides == null ? [pH, pW] : pair(cfg.strides);
  const [, outH, outW] = layer.outputShape as number[];
  const kind = layer.getClassName() === 'MaxPooling2D' ? 'max' : 'avg';
  return { kind, inH, inW, channels, pH, pW, strideH, strideW, outH, outW };
}

/**
 * The block's element-wise forward in one pass without a max pooling (that one is a SIMD pass, see
 * backend/image-passes.ts): a = act(z·scale + shift) per channel (batch norm folded into scale and shift; act(v) =
 * v > 0 ? v : alpha·v, so alpha 1 is no activation, 0 ReLU), then average-pooled into `out`, or `out` is a itself.
 */
export function normActPool(
  z: Float32Array,
  scale: Float64Array,
  shift: Float64Array,
  alpha: number,
  images: number,
  p: Pool2DShape | undefined,
  out: Float32Array,
): void {
  const u = scale.length;
  if (!p) {
    for (let o = 0; o < z.length; o += u) {
      for (let c = 0; c < u; c++) {
        const v = z[o + c] * scale[c] + shift[c];
        out[o + c] = v > 0 ? v : alpha * v;
      }
    }
    return;
  }
  const { inH, inW, pH, pW, strideH, strideW, outH, outW } = p;
  const image = inH * inW * u;
  const inv = 1 / (pH * pW);
  // channels innermost: each window pixel's u channels are contiguous in z, and so are the output's
  for (let b = 0, o = 0; b < images; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, o += u) {
        const start = b * image + (oh * strideH * inW + ow * strideW) * u;
        for (let c = 0; c < u; c++) out[o + c] = 0;
        for (let i = 0; i < pH; i++) {
          for (let j = 0; j < pW; j++) {
            const at = start + (i * inW + j) * u;
            for (let c = 0; c < u; c++) {
              const v = z[at + c] * scale[c] + shift[c];
              out[o + c] += v > 0 ? v : alpha * v;
            }
          }
        }
        for (let c = 0; c < u; c++) out[o + c] *= inv;
      }
    }
  }
}

/**
 * The gradient g at the activation's input (the batch-norm output) from the block output's gradient `dy`, through an
 * average pooling (spread evenly) or none.
 */
export function actPoolBackward(
  dy: Float32Array,
  z: Float32Array,
  scale: Float64Array,
  shift: Float64Array,
  alpha: number,
  images: number,
  p: Pool2DShape | undefined,
  g: Float32Array,
): void {
  const u = scale.length;
  const slope = (i: number, c: number): number => (z[i] * scale[c] + shift[c] > 0 ? 1 : alpha);
  if (!p) {
    for (let o = 0; o < dy.length; o += u) for (let c = 0; c < u; c++) g[o + c] = dy[o + c] * slope(o + c, c);
    return;
  }
  const { inH, inW, pH, pW, strideH, strideW, outH, outW } = p;
  const image = inH * inW * u;
  const inv = 1 / (pH * pW);
  g.fill(0, 0, images * image);
  let o = 0;
  for (let b = 0; b < images; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const start = b * image + (oh * strideH * inW + ow * strideW) * u;
        for (let c = 0; c < u; c++, o++) {
          const v = dy[o] * inv;
          for (let i = 0; i < pH; i++) {
            const row = start + i * inW * u + c;
            for (let j = 0; j < pW; j++) g[row + j * u] += v * slope(row + j * u, c);
          }
        }
      }
    }
  }
}
