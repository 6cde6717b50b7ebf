/**
 * Batched inference for a chain of dense or Conv1D blocks (Flatten, then Dense|Conv1D → BatchNormalization? →
 * MaxPooling1D? → dropout?, repeated), the feature trunks of the dnn and cnn networks. Each block is one fused product
 * (bias and activation included) on the tfjs backend; a Conv1D is a product over its im2col rows. An inference-mode
 * batch norm feeding a Dense directly is folded into that layer's weights: y = a·s + h (s = γ/√(moving var + ε),
 * h = β − moving mean·s) feeding z = y·W + b is z = a·(diag(s)·W) + (h·W + b). Others (before a pooling, a conv's zero
 * padding, or the trunk's end) are applied in JS. RLTrader's DNN trunk ran ~2× faster this way than through
 * model.predict on wasm. Equal to model.predict up to float rounding (test/nn/trunk-cache.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { readInto } from './tensor-read.ts';
import { convShapeOf, im2col, maxPool, poolShapeOf, type ConvShape, type PoolShape } from './conv-rows.ts';
import { inferenceAffine, weightValues } from './layer-weights.ts';

type LayerConfig = Record<string, unknown>;
const FUSED = new Set(['linear', 'relu', 'sigmoid']);
const IN_JS = new Set(['tanh']);

interface Link {
  layer: tf.layers.Layer;
  bn?: tf.layers.Layer;
  pool?: PoolShape;
  conv?: ConvShape;
  units: number;
  /** Product rows per sample (conv positions; 1 for dense) and the product's inner width. */
  positions: number;
  inner: number;
  activation: string;
}

/** The chain of a model [input → flatten? → blocks → flatten?], or why the model is not one. */
function chainOf(model: tf.LayersModel): Link[] | string {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return 'not one input and one output';
  const links: Link[] = [];
  let previous: tf.layers.Layer | undefined;
  let width = (model.inputs[0].shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as LayerConfig;
    if (cls === 'InputLayer') {
      previous = layer;
      continue;
    }
    if (layer.inboundNodes.length !== 1 || layer.inboundNodes[0].inboundLayers[0] !== previous)
      return `layer ${layer.name} is not in a chain`;
    previous = layer;
    const last = links[links.length - 1];
    const activation = String(cfg.activation ?? 'linear');
    switch (cls) {
      case 'Flatten':
        break;
      case 'Dense':
        if (!FUSED.has(activation) && !IN_JS.has(activation)) return `dense ${layer.name} has activation ${activation}`;
        if ((layer.outputShape as unknown[]).length !== 2) return `dense ${layer.name} is not on rows`;
        links.push({ layer, units: cfg.units as number, positions: 1, inner: width, activation });
        width = cfg.units as number;
        break;
      case 'Conv1D': {
        if (!FUSED.has(activation) && !IN_JS.has(activation))
          return `conv1d ${layer.name} has activation ${activation}`;
        const strided = (Array.isArray(cfg.strides) ? cfg.strides[0] : (cfg.strides ?? 1)) !== 1;
        const dilated = (Array.isArray(cfg.dilationRate) ? cfg.dilationRate[0] : (cfg.dilationRate ?? 1)) !== 1;
        if (
          strided ||
          dilated ||
          (cfg.padding !== 'same' && cfg.padding !== 'valid') ||
          cfg.dataFormat === 'channelsFirst'
        )
          return `conv1d ${layer.name} geometry`;
        const conv = convShapeOf(layer);
        links.push({
          layer,
          conv,
          units: cfg.filters as number,
          positions: conv.positions,
          inner: conv.taps * conv.inChannels,
          activation,
        });
        width = conv.positions * (cfg.filters as number);
        break;
      }
      case 'BatchNormalization': {
        const axis = Array.isArray(cfg.axis) ? (cfg.axis as number[])[0] : (cfg.axis as number);
        const r = (layer.outputShape as unknown[]).length;
        if (!last || last.bn || last.pool || (axis !== -1 && axis !== r - 1))
          return `batch norm ${layer.name} does not follow a dense or conv1d layer`;
        last.bn = layer;
        break;
      }
      case 'MaxPooling1D':
        if (!last?.conv || last.pool || cfg.padding !== 'valid' || cfg.dataFormat === 'channelsFirst')
          return `pooling ${layer.name} does not follow a conv1d`;
        last.pool = poolShapeOf(layer, last.positions);
        width = last.pool.pooled * last.units;
        break;
      case 'Dropout':
      case 'SeededDropout':
        // the identity at inference
        break;
      default:
        return `layer ${layer.name} (${cls}) is not supported`;
    }
  }
  return links.length ? links : 'no dense or conv1d layer';
}

interface FoldedLayer {
  link: Link;
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  /** This block's own batch norm when it was not folded into the next layer, as y = a·scale + shift. */
  affine?: [Float32Array, Float32Array];
}

export class FoldedDense {
  private folded: FoldedLayer[] = [];
  readonly outWidth: number;

  private constructor(
    private readonly links: Link[],
    readonly inWidth: number,
  ) {
    const last = links[links.length - 1];
    this.outWidth = (last.pool ? last.pool.pooled : last.positions) * last.units;
    this.sync();
  }

  /** Folded inference for `model`, or undefined when it is not a chain of dense or conv1d blocks. */
  static tryCreate(model: tf.LayersModel): FoldedDense | undefined {
    const links = chainOf(model);
    if (typeof links === 'string') return undefined;
    const inWidth = (model.inputs[0].shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    return new FoldedDense(links, inWidth);
  }

  /** Re-reads and re-folds the weights (after training). */
  sync(): void {
    this.disposeFolded();
    let carry: [Float32Array, Float32Array] | undefined;
    this.links.forEach((link, i) => {
      const k = link.inner,
        u = link.units;
      const w = weightValues(link.layer, 'kernel')!;
      const b = weightValues(link.layer, 'bias') ?? new Float32Array(u);
      const kernel = Float32Array.from(w);
      const bias = Float32Array.from(b);
      if (carry) {
        // the previous block's batch norm, folded into this dense layer
        const [s, h] = carry;
        for (let r = 0; r < k; r++) {
          for (let j = 0; j < u; j++) {
            kernel[r * u + j] = w[r * u + j] * s[r];
            bias[j] += h[r] * w[r * u + j];
          }
        }
      }
      const next = this.links[i + 1];
      const ownNorm = link.bn ? inferenceAffine(link.bn, u) : undefined;
      // fold forward only into a dense layer reading this block's rows directly
      const foldable = ownNorm && !link.pool && !link.conv && next && !next.conv;
      carry = foldable ? ownNorm : undefined;
      this.folded.push({
        link,
        kernel: tf.tensor2d(kernel, [k, u]),
        bias: tf.tensor1d(bias),
        ...(ownNorm && !foldable ? { affine: ownNorm } : {}),
      });
    });
  }

  /** The chain's output for `n` rows of `x` (n × inWidth), row-major n × outWidth, into `out`. */
  predict(x: Float32Array, n: number, out: Float32Array): Float32Array {
    let host: Float32Array | undefined = x.subarray(0, n * this.inWidth);
    let t: tf.Tensor2D | undefined;
    try {
      for (const f of this.folded) {
        const { link } = f;
        const rows = n * link.positions;
        if (link.conv) {
          if (t) host = readInto(t, new Float32Array(t.size));
          t?.dispose();
          t = tf.tensor2d(im2col(host!, n, link.conv, new Float32Array(rows * link.inner)), [rows, link.inner]);
        } else if (!t) {
          t = tf.tensor2d(host!, [n, link.inner]);
        }
        const fused = FUSED.has(link.activation) ? (link.activation as 'linear' | 'relu' | 'sigmoid') : 'linear';
        let z = tf.fused.matMul({ a: t, b: f.kernel, bias: f.bias, activation: fused }) as tf.Tensor2D;
        t.dispose();
        if (link.activation === 'tanh') {
          const y = tf.tanh(z) as tf.Tensor2D;
          z.dispose();
          z = y;
        }
        t = z;
        if (f.affine || link.pool) {
          const a = readInto(t, new Float32Array(t.size));
          t.dispose();
          t = undefined;
          if (f.affine) affine(a, link.units, f.affine);
          host = a;
          if (link.pool) {
            host = new Float32Array(n * link.pool.pooled * link.units);
            maxPool(a, n, link.pool, link.units, host, new Float32Array(host.length));
          }
        }
      }
      if (t) readInto(t, out.subarray(0, n * this.outWidth));
      else out.set(host!.subarray(0, n * this.outWidth));
      return out;
    } finally {
      t?.dispose();
    }
  }

  dispose(): void {
    this.disposeFolded();
  }

  private disposeFolded(): void {
    for (const f of this.folded) tf.dispose([f.kernel, f.bias]);
    this.folded = [];
  }
}

function affine(a: Float32Array, u: number, [scale, shift]: [Float32Array, Float32Array]): void {
  for (let o = 0; o < a.length; o += u) for (let c = 0; c < u; c++) a[o + c] = a[o + c] * scale[c] + shift[c];
}
