/**
 * One image block of the block trainer (issue 16): Conv2D (+ BatchNormalization) (+ LeakyReLU or ReLU)
 * (+ MaxPooling2D or AveragePooling2D), the Jiang–Kelly–Xiu block cnnrnn applies to every frame. The convolution is
 * one untransposed product over im2col rows forward and two backward (image-rows.ts); batch norm, the activation and
 * the pooling are JS loops over the [pixels, filters] rows. Under tfjs's tape the same block cost ~60 small
 * element-wise kernels per step (the leaky ReLU's and batch norm's gradients over every pixel, measured on wasm: more
 * than a third of a cnnrnn step). Same semantics as model.apply(…, {training: true}): batch statistics (biased
 * variance) with the gradient through them, moving averages as tfjs-layers writes them, each pooling window's
 * gradient to its first maximum. Checked against tf gradients in test/nn/image-block.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { filledTensor, readInto } from './tensor-read.ts';
import { actPoolBackward, conv2dShapeOf, col2im2d, im2colT, normActPool, pool2dShapeOf } from './image-rows.ts';
import type { Conv2DShape, Pool2DShape } from './image-rows.ts';
import { inferenceAffine, weightOf } from './layer-weights.ts';
import { type Slot, type Step, type LayerConfig, variableOf, addGrad } from './block-step.ts';

/** Named scratch arrays that grow to the largest batch seen and are reused (a view of `length` values each time). */
class Scratch {
  private readonly arrays = new Map<string, Float32Array>();

  take(name: string, length: number): Float32Array {
    let a = this.arrays.get(name);
    if (!a || a.length < length) this.arrays.set(name, (a = new Float32Array(length)));
    return a.subarray(0, length);
  }
}

/** The layers of one image block, in order; all but the convolution optional. */
export interface ImageLayers {
  conv: tf.layers.Layer;
  bn?: tf.layers.Layer;
  /** LeakyReLU (its alpha) or ReLU (alpha 0) after the batch norm. */
  act?: tf.layers.Layer;
  pool?: tf.layers.Layer;
}

export class ImageBlock {
  private readonly shape: Conv2DShape;
  private readonly pool: Pool2DShape | undefined;
  private readonly filters: number;
  private readonly inner: number;
  /** The convolution's own activation (fused in the product): linear or relu. */
  private readonly convRelu: boolean;
  private readonly padding: 'same' | 'valid';
  /** Slope below zero of the activation layer; undefined without one. */
  private readonly alpha: number | undefined;
  private readonly kernel: tf.LayerVariable;
  private readonly bias: tf.LayerVariable | undefined;
  private readonly gamma: tf.LayerVariable | undefined;
  private readonly beta: tf.LayerVariable | undefined;
  private readonly bnConfig: { epsilon: number; momentum: number } | undefined;
  private readonly scratch = new Scratch();
  /** The convolution's output z of the last forward pass, kept for the backward one. */
  private z: Float32Array = new Float32Array(0);
  private which = new Int32Array(0);
  /** Batch statistics and the per-channel affine z·scale + shift they make (identity without batch norm). */
  private norm: { mean: Float64Array; rstd: Float64Array; scale: Float64Array; shift: Float64Array } | undefined;

  constructor(
    private readonly layers: ImageLayers,
    /** Images per sample (the frames FramesToBatch folded into the batch). */
    private readonly perSample: number,
    private readonly x: Slot,
    readonly y: Slot,
  ) {
    const { conv, bn, act, pool } = layers;
    const cfg = conv.getConfig() as LayerConfig;
    this.shape = conv2dShapeOf(conv);
    this.filters = cfg.filters as number;
    this.inner = this.shape.kH * this.shape.kW * this.shape.inC;
    this.convRelu = cfg.activation === 'relu';
    this.padding = cfg.padding as 'same' | 'valid';
    this.kernel = weightOf(conv, 'kernel')!;
    this.bias = cfg.useBias === false ? undefined : weightOf(conv, 'bias');
    if (act) this.alpha = act.getClassName() === 'LeakyReLU' ? ((act.getConfig() as LayerConfig).alpha as number) : 0;
    if (bn) {
      const b = bn.getConfig() as LayerConfig;
      this.bnConfig = { epsilon: b.epsilon as number, momentum: b.momentum as number };
      this.gamma = b.scale === false ? undefined : weightOf(bn, 'gamma');
      this.beta = b.center === false ? undefined : weightOf(bn, 'beta');
    }
    if (pool) this.pool = pool2dShapeOf(pool);
  }

  /** The block keeps its own buffers; it takes nothing from the step's scratch arena. */
  need(): number {
    return 0;
  }

  forward(step: Step): void {
    const { n } = step;
    const images = n * this.perSample;
    const f = this.filters;
    const rows = images * this.shape.outH * this.shape.outW;
    const len = rows * f;
    const { inH, inW, inC, strideH, strideW } = this.shape;
    const xt = tf.tensor4d(this.x.data, [images, inH, inW, inC]);
    const bias = this.bias?.read() as tf.Tensor1D | undefined;
    const zt = tf.fused.conv2d({
      x: xt,
      filter: this.kernel.read() as tf.Tensor4D,
      strides: [strideH, strideW],
      pad: this.padding,
      ...(bias ? { bias } : {}),
      activation: this.convRelu ? 'relu' : 'linear',
    });
    const z = (this.z = readInto(zt, this.scratch.take('z', len)));
    tf.dispose([xt, zt]);
    const norm = (this.norm = this.bnConfig
      ? step.training
        ? this.normalise(step, z, rows)
        : this.movingAffine()
      : {
          mean: new Float64Array(f),
          rstd: new Float64Array(f).fill(1),
          scale: new Float64Array(f).fill(1),
          shift: new Float64Array(f),
        });
    const out = this.scratch.take('out', n * this.y.width);
    if (this.pool && this.which.length < out.length) this.which = new Int32Array(out.length);
    normActPool(z, norm.scale, norm.shift, this.alpha ?? 1, images, this.pool, out, this.which);
    this.y.data = out;
  }

  /** Inference batch norm from the moving statistics, as per-channel scale and shift. */
  private movingAffine(): NonNullable<ImageBlock['norm']> {
    const [scale, shift] = inferenceAffine(this.layers.bn!, this.filters);
    const f = this.filters;
    return {
      mean: new Float64Array(f),
      rstd: new Float64Array(f),
      scale: Float64Array.from(scale),
      shift: Float64Array.from(shift),
    };
  }

  /** Batch mean and biased variance of z, the moving averages' update, and z·scale + shift per channel. */
  private normalise(step: Step, z: Float32Array, rows: number): NonNullable<ImageBlock['norm']> {
    const f = this.filters;
    const { epsilon, momentum } = this.bnConfig!;
    const sum = new Float64Array(f),
      sumSq = new Float64Array(f);
    for (let o = 0; o < rows * f; o += f) {
      for (let c = 0; c < f; c++) {
        const v = z[o + c];
        sum[c] += v;
        sumSq[c] += v * v;
      }
    }
    const gamma = this.gamma ? (this.gamma.read().dataSync() as Float32Array) : undefined;
    const beta = this.beta ? (this.beta.read().dataSync() as Float32Array) : undefined;
    const mean = new Float64Array(f),
      variance = new Float64Array(f),
      rstd = new Float64Array(f),
      scale = new Float64Array(f),
      shift = new Float64Array(f);
    for (let c = 0; c < f; c++) {
      mean[c] = sum[c] / rows;
      variance[c] = Math.max(0, sumSq[c] / rows - mean[c] * mean[c]);
      rstd[c] = 1 / Math.sqrt(variance[c] + epsilon);
      scale[c] = (gamma ? gamma[c] : 1) * rstd[c];
      shift[c] = (beta ? beta[c] : 0) - mean[c] * scale[c];
    }
    // tfjs-layers: moving ← moving − (moving − batch value)·(1 − momentum), written during the training call
    const decay = 1 - momentum;
    const movingMean = weightOf(this.layers.bn!, 'moving_mean')!;
    const movingVariance = weightOf(this.layers.bn!, 'moving_variance')!;
    const mm = movingMean.read().dataSync() as Float32Array;
    const mv = movingVariance.read().dataSync() as Float32Array;
    step.updates.push(
      { variable: movingMean, values: mm.map((m, c) => m - (m - mean[c]) * decay) },
      { variable: movingVariance, values: mv.map((v, c) => v - (v - variance[c]) * decay) },
    );
    return { mean, rstd, scale, shift };
  }

  backward(step: Step): void {
    const { n } = step;
    const dy = this.y.grad;
    if (!dy) return;
    const images = n * this.perSample;
    const f = this.filters,
      k = this.inner;
    const rows = images * this.shape.outH * this.shape.outW;
    const len = rows * f;
    // back through the pooling and the activation to the batch-norm output: g, sparse after a max pooling
    const z = this.z;
    const { mean, rstd, scale, shift } = this.norm!;
    const g = this.scratch.take('g', this.pool?.kind === 'max' ? dy.length : len);
    const sparse = actPoolBackward(dy, z, scale, shift, this.alpha ?? 1, images, this.pool, this.which, g);
    const which = this.which;
    // batch norm's backward, with the gradient through the batch mean and variance: x̂ = (z − mean)·rstd, m rows,
    // dz = γ·rstd/m · (m·g − Σg − x̂·Σ(g·x̂)) = ka·g + kb·(z − mean) + kc per channel (ka = 1, kb = kc = 0 without)
    const sumG = new Float64Array(f),
      sumGx = new Float64Array(f);
    const ka = new Float64Array(f).fill(1),
      kb = new Float64Array(f),
      kc = new Float64Array(f);
    if (this.bnConfig) {
      if (sparse) {
        for (let o = 0; o < g.length; o++) {
          const i = which[o],
            c = i % f;
          sumG[c] += g[o];
          sumGx[c] += g[o] * (z[i] - mean[c]);
        }
      } else {
        for (let o = 0; o < len; o += f) {
          for (let c = 0; c < f; c++) {
            sumG[c] += g[o + c];
            sumGx[c] += g[o + c] * (z[o + c] - mean[c]);
          }
        }
      }
      for (let c = 0; c < f; c++) {
        sumGx[c] *= rstd[c];
        ka[c] = scale[c];
        kb[c] = (-scale[c] * rstd[c] * sumGx[c]) / rows;
        kc[c] = (-scale[c] * sumG[c]) / rows;
      }
      if (this.gamma?.trainable) step.grads.push({ variable: variableOf(this.gamma), grad: Float32Array.from(sumGx) });
      if (this.beta?.trainable) step.grads.push({ variable: variableOf(this.beta), grad: Float32Array.from(sumG) });
    }
    const db = new Float64Array(f);
    // dz goes straight into the tensor the products read (filledTensor)
    const dzt = filledTensor([rows, f], (dz) => {
      if (sparse) {
        if (this.bnConfig) {
          for (let o = 0; o < len; o += f) for (let c = 0; c < f; c++) dz[o + c] = kb[c] * (z[o + c] - mean[c]) + kc[c];
        } else {
          dz.fill(0);
        }
        for (let o = 0; o < g.length; o++) {
          const i = which[o];
          dz[i] += ka[i % f] * g[o];
        }
      } else {
        for (let o = 0; o < len; o += f)
          for (let c = 0; c < f; c++) dz[o + c] = ka[c] * g[o + c] + kb[c] * (z[o + c] - mean[c]) + kc[c];
      }
      if (this.convRelu || this.bias) {
        for (let o = 0; o < len; o += f) {
          for (let c = 0; c < f; c++) {
            if (this.convRelu && !(z[o + c] > 0)) dz[o + c] = 0;
            db[c] += dz[o + c];
          }
        }
      }
    }) as tf.Tensor2D;
    const { kH, kW, outH, outW, top, bottom, left, right } = this.shape;
    step.held.push(dzt);
    if (this.kernel.trainable) {
      // dW = colsᵀ·dz, [taps, pixels]·[pixels, filters]: untransposed, and already in the kernel's layout. (dz is the
      // right operand on purpose: wasm's product repacks its right operand on every call, and dz is the small one.)
      const colsT = filledTensor([k, rows], (cols) => im2colT(this.x.data, images, this.shape, cols));
      const dwt = tf.matMul(colsT, dzt);
      step.grads.push({ variable: variableOf(this.kernel), grad: dwt.dataSync() as Float32Array });
      tf.dispose([colsT, dwt]);
    }
    if (this.bias?.trainable) step.grads.push({ variable: variableOf(this.bias), grad: Float32Array.from(db) });
    if (this.x.isInput) return;
    const dx = this.scratch.take('dx', n * this.x.width);
    if (this.shape.strideH === 1 && this.shape.strideW === 1) {
      // stride 1: dX is the forward convolution of dz with the kernel flipped in space and its channels swapped
      const dxt = tf.tidy(() => {
        const kernel = this.kernel.read() as tf.Tensor4D;
        const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
        const pad: [[number, number], [number, number], [number, number], [number, number]] = [
          [0, 0],
          [kH - 1 - top, kH - 1 - bottom],
          [kW - 1 - left, kW - 1 - right],
          [0, 0],
        ];
        return tf.conv2d(tf.reshape(dzt, [images, outH, outW, f]) as tf.Tensor4D, flipped, 1, pad);
      });
      readInto(dxt, dx);
      dxt.dispose();
    } else {
      // d(cols) = dz·Wᵀ, folded back onto the input pixels
      const dcolsT = tf.tidy(() => tf.matMul(dzt, tf.transpose(tf.reshape(this.kernel.read(), [k, f]))));
      col2im2d(readInto(dcolsT, this.scratch.take('cols', rows * k)), images, this.shape, dx);
      dcolsT.dispose();
    }
    addGrad(this.x, dx);
  }
}
