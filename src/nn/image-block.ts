/**
 * One image block of the block trainer (issue 16): Conv2D (+ BatchNormalization) (+ LeakyReLU or ReLU)
 * (+ MaxPooling2D or AveragePooling2D), the Jiang–Kelly–Xiu block cnnrnn applies to every frame. The convolution is
 * one untransposed product over im2col rows forward and two backward (image-rows.ts); batch norm, the activation and
 * a max pooling are fused passes over the [pixels, filters] rows in the step's arena (backend/image-passes.ts, in
 * WebAssembly SIMD when it compiled: the JS loops were ~60% of a cnnrnn step on wasm, their compares mispredicting on
 * noisy pixels); an average pooling or none runs as JS loops (image-rows.ts). Under tfjs's tape the same block cost
 * ~60 small element-wise kernels per step. Same semantics as model.apply(…, {training: true}): batch statistics
 * (biased variance) with the gradient through them, moving averages as tfjs-layers writes them, each pooling window's
 * gradient to its first maximum. Checked against tf gradients in test/nn/image-block.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { filledTensor, readInto } from './tensor-read.ts';
import { actPoolBackward, conv2dShapeOf, col2im2d, normActPool, pool2dShapeOf } from './image-rows.ts';
import type { Conv2DShape, Pool2DShape } from './image-rows.ts';
import { inferenceAffine, weightOf } from './layer-weights.ts';
import { type Slot, type Step, type LayerConfig, variableOf, addGrad } from './block-step.ts';
import type { ElementwisePasses } from './backend/elementwise-passes.ts';
import { convGradHelper } from './conv-grad-helper.ts';
import { conv2dKernelGradient } from './conv-kernel-grad.ts';

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

/** Products this large (im2col values) go to the helper thread (conv-grad-helper.ts) when it is free. */
const HELPER_MIN = 1 << 20;

/** Batch statistics and the affine they make; arrays from the step's arena. */
interface Norm {
  mean: Float64Array;
  rstd: Float64Array;
  scale: Float64Array;
  shift: Float64Array;
  scale32: Float32Array;
  shift32: Float32Array;
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
  /** The convolution's output z of the last forward pass and the max pooling's winners, kept for the backward one. */
  private z: Float32Array = new Float32Array(0);
  private which: Int32Array = new Int32Array(0);
  /** Batch statistics and the per-channel affine z·scale + shift they make (identity without batch norm). */
  private norm: Norm | undefined;

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

  /** Arena bytes one step on n rows takes: z, the pooled output and winners, g, dz, dx, per-channel arrays. */
  need(n: number): number {
    const len = n * this.perSample * this.shape.outH * this.shape.outW * this.filters;
    const pooled = n * this.y.width;
    return 4 * (4 * len + 3 * pooled + n * this.x.width) + 8 * 24 * this.filters + 16 * 32;
  }

  forward(step: Step): void {
    const { n, passes } = step;
    const images = n * this.perSample;
    const f = this.filters;
    const rows = images * this.shape.outH * this.shape.outW;
    const len = rows * f;
    const z = (this.z = passes.f32(len));
    const { inH, inW, inC, outH, outW } = this.shape;
    const inSize = inH * inW * inC,
      outSize = outH * outW * f;
    // a large convolution in training: half the images on the helper thread while this one does the other half
    const helper = this.helper(step, rows);
    const mine = helper ? Math.ceil(images / 2) : images;
    let theirs: (() => Float32Array | undefined) | undefined;
    if (helper && mine < images) {
      const kernel = this.kernel.read().dataSync() as Float32Array;
      const bias = this.bias?.read().dataSync() as Float32Array | undefined;
      theirs = helper.startForward(this.x.data.subarray(mine * inSize, images * inSize), kernel, bias, {
        ...{ shape: this.shape, images: images - mine, filters: f },
        ...{ padding: this.padding, relu: this.convRelu },
      });
    }
    this.convolve(this.x.data.subarray(0, mine * inSize), mine, z.subarray(0, mine * outSize));
    if (theirs) {
      const rest = theirs();
      if (rest) z.set(rest, mine * outSize);
      else
        this.convolve(this.x.data.subarray(mine * inSize, images * inSize), images - mine, z.subarray(mine * outSize));
    }
    const norm = (this.norm = this.bnConfig
      ? step.training
        ? this.normalise(step, z, rows)
        : this.movingAffine(passes)
      : this.identity(passes));
    const out = passes.f32(n * this.y.width);
    if (this.pool?.kind === 'max') {
      const which = (this.which = passes.i32(out.length));
      passes.maxPoolForward(z, images, this.pool, f, norm.scale32, norm.shift32, this.alpha ?? 1, out, which);
    } else {
      normActPool(z, norm.scale, norm.shift, this.alpha ?? 1, images, this.pool, out);
    }
    this.y.data = out;
  }

  /** The convolution of `images` images x into z, on this thread. */
  private convolve(x: Float32Array, images: number, z: Float32Array): void {
    if (!images) return;
    const { inH, inW, inC, strideH, strideW } = this.shape;
    const xt = tf.tensor4d(x, [images, inH, inW, inC]);
    const bias = this.bias?.read() as tf.Tensor1D | undefined;
    const zt = tf.fused.conv2d({
      x: xt,
      filter: this.kernel.read() as tf.Tensor4D,
      strides: [strideH, strideW],
      pad: this.padding,
      ...(bias ? { bias } : {}),
      activation: this.convRelu ? 'relu' : 'linear',
    });
    readInto(zt, z);
    tf.dispose([xt, zt]);
  }

  /** The helper thread when this training step's products are large enough for it and it is free (wasm only). */
  private helper(step: Step, rows: number): ReturnType<typeof convGradHelper> | undefined {
    if (!step.pending || rows * this.inner < HELPER_MIN || tf.getBackend() !== 'wasm') return undefined;
    const helper = convGradHelper();
    return helper.available() ? helper : undefined;
  }

  /** The affine z·scale + shift in float64 (the JS passes) and float32 (the max-pooling passes) per channel. */
  private affine(passes: ElementwisePasses, scale: ArrayLike<number>, shift: ArrayLike<number>): Norm {
    const f = this.filters;
    const norm: Norm = {
      mean: passes.f64(f),
      rstd: passes.f64(f),
      scale: Float64Array.from(scale),
      shift: Float64Array.from(shift),
      scale32: passes.f32(f),
      shift32: passes.f32(f),
    };
    norm.scale32.set(norm.scale);
    norm.shift32.set(norm.shift);
    return norm;
  }

  private identity(passes: ElementwisePasses): Norm {
    const norm = this.affine(passes, new Float64Array(this.filters).fill(1), new Float64Array(this.filters));
    norm.rstd.fill(1);
    return norm;
  }

  /** Inference batch norm from the moving statistics, as per-channel scale and shift. */
  private movingAffine(passes: ElementwisePasses): Norm {
    const [scale, shift] = inferenceAffine(this.layers.bn!, this.filters);
    return this.affine(passes, scale, shift);
  }

  /** Batch mean and biased variance of z, the moving averages' update, and z·scale + shift per channel. */
  private normalise(step: Step, z: Float32Array, rows: number): Norm {
    const f = this.filters;
    const { epsilon, momentum } = this.bnConfig!;
    const sum = step.passes.f64(f),
      sumSq = step.passes.f64(f);
    step.passes.columnMoments(z, rows, f, sum, sumSq);
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
    const norm = this.affine(step.passes, scale, shift);
    norm.mean.set(mean);
    norm.rstd.set(rstd);
    return norm;
  }

  private kernelGradient(dzt: tf.Tensor2D, images: number): Float32Array {
    return conv2dKernelGradient(this.x.data, dzt, this.shape, images, this.filters);
  }

  backward(step: Step): void {
    const { n, passes } = step;
    const dy = this.y.grad;
    if (!dy) return;
    const images = n * this.perSample;
    const f = this.filters,
      k = this.inner;
    const rows = images * this.shape.outH * this.shape.outW;
    const len = rows * f;
    const z = this.z;
    const { mean, rstd, scale } = this.norm!;
    // batch norm's backward, with the gradient through the batch mean and variance: x̂ = (z − mean)·rstd, m rows,
    // dz = γ·rstd/m · (m·g − Σg − x̂·Σ(g·x̂)) = ka·g + kb·(z − mean) + kc per channel (ka = 1, kb = kc = 0 without),
    // g the gradient at the batch-norm output (back through the pooling and the activation)
    const sumG = passes.f64(f),
      sumGx = passes.f64(f);
    const max = this.pool?.kind === 'max';
    const g = passes.f32(max ? dy.length : len);
    if (max) {
      const { scale32, shift32 } = this.norm!;
      passes.maxPoolBackward(dy, this.which, z, f, scale32, shift32, this.alpha ?? 1, mean, g, sumG, sumGx);
    } else {
      actPoolBackward(dy, z, scale, this.norm!.shift, this.alpha ?? 1, images, this.pool, g);
      for (let o = 0; o < len; o += f) {
        for (let c = 0; c < f; c++) {
          sumG[c] += g[o + c];
          sumGx[c] += g[o + c] * (z[o + c] - mean[c]);
        }
      }
    }
    // passes' f32 scratch is not zeroed: without batch norm kb and kc must be set here, or they hold an earlier step's
    const ka = passes.f32(f).fill(1),
      kb = passes.f32(f).fill(0),
      kc = passes.f32(f).fill(0);
    if (this.bnConfig) {
      for (let c = 0; c < f; c++) {
        sumGx[c] *= rstd[c];
        const b = (-scale[c] * rstd[c] * sumGx[c]) / rows;
        ka[c] = scale[c];
        kb[c] = b;
        kc[c] = (-scale[c] * sumG[c]) / rows - b * mean[c];
      }
      if (this.gamma?.trainable) step.grads.push({ variable: variableOf(this.gamma), grad: Float32Array.from(sumGx) });
      if (this.beta?.trainable) step.grads.push({ variable: variableOf(this.beta), grad: Float32Array.from(sumG) });
    }
    const dz = passes.f32(len);
    if (max) {
      passes.normScatter(z, f, kb, kc, ka, g, this.which, dz);
    } else {
      for (let o = 0; o < len; o += f)
        for (let c = 0; c < f; c++) dz[o + c] = ka[c] * g[o + c] + kb[c] * z[o + c] + kc[c];
    }
    const db = new Float64Array(f);
    // dz goes into the tensor the products read (filledTensor)
    const dzt = filledTensor([rows, f], (t) => {
      t.set(dz);
      if (!this.convRelu && !this.bias) return;
      for (let o = 0; o < len; o += f) {
        for (let c = 0; c < f; c++) {
          if (this.convRelu && !(z[o + c] > 0)) t[o + c] = 0;
          db[c] += t[o + c];
        }
      }
    }) as tf.Tensor2D;
    const { kH, kW, outH, outW, top, bottom, left, right } = this.shape;
    step.held.push(dzt);
    if (this.kernel.trainable) {
      const variable = variableOf(this.kernel);
      // a large product goes to the helper thread when it is free; the trainer collects it before the optimiser
      const helper = this.helper(step, rows);
      if (helper) {
        const x = this.x.data.subarray(0, images * this.shape.inH * this.shape.inW * this.shape.inC);
        const wait = helper.start(x, dz, this.shape, images, f);
        step.pending!.push(() => step.grads.push({ variable, grad: wait() ?? this.kernelGradient(dzt, images) }));
      } else {
        step.grads.push({ variable, grad: this.kernelGradient(dzt, images) });
      }
    }
    if (this.bias?.trainable) step.grads.push({ variable: variableOf(this.bias), grad: Float32Array.from(db) });
    if (this.x.isInput) return;
    const dx = passes.f32(n * this.x.width);
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
