/**
 * One Dense or Conv1D block of the block trainer: its forward pass in training or inference mode and its backward pass.
 */
import * as tf from '@tensorflow/tfjs';
import { readInto } from './tensor-read.ts';
import {
  col2im,
  convShapeOf,
  im2col,
  maxPool,
  poolShapeOf,
  unpool,
  type ConvShape,
  type PoolShape,
} from './conv-rows.ts';
import { inferenceAffine, weightOf } from './layer-weights.ts';
import { type SeededDropout } from './seeded-dropout.ts';
import { softmaxBackward, softmaxRows, type Activation, type ElementwisePasses } from './backend/elementwise-passes.ts';
import { type Slot, type Step, type LayerConfig, variableOf, tensorOf, addGrad, type NormState } from './block-step.ts';
import { FUSED_ACTIVATIONS as FUSED } from './graph.ts';

/**
 * Dense or Conv1D (+ BatchNormalization) (+ MaxPooling1D) (+ SeededDropout): one fused product forward, two backward,
 * and SIMD passes over the activations. A Conv1D is a product over im2col rows (n·positions of them), so batch norm
 * and the activation passes see rows × channels either way.
 */
export class DenseBlock {
  private readonly units: number;
  private readonly activation: Activation;
  private readonly kernel: tf.LayerVariable;
  private readonly bias: tf.LayerVariable | undefined;
  private readonly gamma: tf.LayerVariable | undefined;
  private readonly beta: tf.LayerVariable | undefined;
  private readonly movingMean: tf.LayerVariable | undefined;
  private readonly movingVariance: tf.LayerVariable | undefined;
  private readonly bnConfig: { epsilon: number; momentum: number } | undefined;
  private readonly conv: ConvShape | undefined;
  private readonly pool: PoolShape | undefined;
  /** Product rows per sample (conv positions; 1 for dense) and the product's inner width. */
  private readonly positions: number;
  private readonly inner: number;
  /** The activation output a (before batch norm, pooling and dropout). */
  private a: Float32Array = new Float32Array(0);
  private mask: Float32Array | undefined;
  private which: Float32Array | undefined;
  private norm: NormState | undefined;
  /** The product's left operand (x, or its im2col rows), kept for the weight gradient. */
  private lhs: tf.Tensor2D | undefined;

  constructor(
    layer: tf.layers.Layer,
    private readonly bn: tf.layers.Layer | undefined,
    pool: tf.layers.Layer | undefined,
    private readonly dropout: SeededDropout | undefined,
    private readonly x: Slot,
    readonly y: Slot,
    /** A dense layer's rows per sample: cnnrnn's embedding runs on every frame (FramesToBatch folded them in). */
    private readonly groups = 1,
  ) {
    const cfg = layer.getConfig() as LayerConfig;
    this.activation = String(cfg.activation ?? 'linear') as Activation;
    this.kernel = weightOf(layer, 'kernel')!;
    this.bias = cfg.useBias === false ? undefined : weightOf(layer, 'bias');
    if (layer.getClassName() === 'Conv1D') {
      this.units = cfg.filters as number;
      this.conv = convShapeOf(layer);
      this.positions = this.conv.positions;
      this.inner = this.conv.taps * this.conv.inChannels;
    } else {
      this.units = cfg.units as number;
      this.positions = groups;
      this.inner = x.width / groups;
    }
    if (bn) {
      const b = bn.getConfig() as LayerConfig;
      this.bnConfig = { epsilon: b.epsilon as number, momentum: b.momentum as number };
      this.gamma = b.scale === false ? undefined : weightOf(bn, 'gamma');
      this.beta = b.center === false ? undefined : weightOf(bn, 'beta');
      this.movingMean = weightOf(bn, 'moving_mean');
      this.movingVariance = weightOf(bn, 'moving_variance');
    }
    if (pool) this.pool = poolShapeOf(pool, this.positions);
  }

  /** Scratch bytes one step takes at most (a generous bound: arrays copied into the arena included). */
  need(n: number): number {
    const rows = n * this.positions,
      u = this.units,
      k = this.inner;
    return 4 * (12 * rows * u + 3 * rows * k + 2 * n * this.x.width + 4 * k * u + 4 * u) + 8 * 16 * u + 32 * 40;
  }

  forward(step: Step): void {
    const { n, passes } = step;
    const u = this.units;
    const rows = n * this.positions;
    const act = this.activation;
    const fused = FUSED.has(act) ? (act as 'linear' | 'relu' | 'sigmoid') : 'linear';
    const bias = this.bias ? this.bias.read() : undefined;
    let lhs: tf.Tensor2D, kernel: tf.Tensor2D;
    if (this.conv) {
      lhs = tf.tensor2d(im2col(this.x.data, n, this.conv, passes.f32(rows * this.inner)), [rows, this.inner]);
      kernel = tf.reshape(this.kernel.read(), [this.inner, u]);
      step.held.push(lhs, kernel);
    } else if (this.groups > 1) {
      lhs = tf.tensor2d(this.x.data, [rows, this.inner]);
      kernel = this.kernel.read() as tf.Tensor2D;
      step.held.push(lhs);
    } else {
      lhs = tensorOf(this.x, step);
      kernel = this.kernel.read() as tf.Tensor2D;
    }
    this.lhs = lhs;
    const z = tf.fused.matMul({ a: lhs, b: kernel, ...(bias ? { bias } : {}), activation: fused });
    const a = readInto(z, passes.f32(rows * u));
    z.dispose();
    if (act === 'tanh') for (let i = 0; i < a.length; i++) a[i] = Math.tanh(a[i]);
    else if (act === 'softmax') softmaxRows(a, u);
    this.a = a;
    const outLen = n * this.y.width;
    const rate = this.dropout?.rate ?? 0;
    this.mask = undefined;
    if (step.training && rate > 0 && rate < 1) {
      this.mask = passes.f32(outLen);
      this.dropout!.drawMask(this.mask, passes.dropoutMask);
    }
    // without pooling the mask goes into the batch-norm pass; with it, after the pooling
    const maskNow = this.pool ? undefined : this.mask;
    let y = a;
    if (this.bnConfig) {
      const { scale, shift } = step.training ? this.normalise(step, a, rows) : this.movingAffine(step.passes);
      y = passes.f32(rows * u);
      passes.scaleShift(a, y, rows, u, scale, shift, maskNow);
    } else if (maskNow) {
      y = passes.f32(outLen);
      for (let i = 0; i < outLen; i++) y[i] = a[i] * maskNow[i];
    }
    if (this.pool) {
      const pooled = passes.f32(outLen);
      this.which = passes.f32(outLen);
      maxPool(y, n, this.pool, u, pooled, this.which);
      if (this.mask) for (let i = 0; i < outLen; i++) pooled[i] *= this.mask[i];
      y = pooled;
    }
    this.y.data = y;
  }

  /** Inference batch norm: y = a·scale + shift from the moving statistics. */
  private movingAffine(passes: ElementwisePasses): { scale: Float32Array; shift: Float32Array } {
    const [scale, shift] = inferenceAffine(this.bn!, this.units, passes.f32(this.units), passes.f32(this.units));
    return { scale, shift };
  }

  /** Batch mean and (biased) variance of `a` and the moving averages' update; y = a·scale + shift per channel. */
  private normalise(step: Step, a: Float32Array, rows: number): { scale: Float32Array; shift: Float32Array } {
    const u = this.units;
    const { epsilon, momentum } = this.bnConfig!;
    const sum = step.passes.f64(u),
      sumSq = step.passes.f64(u);
    step.passes.columnMoments(a, rows, u, sum, sumSq);
    const gamma = this.gamma ? (this.gamma.read().dataSync() as Float32Array) : undefined;
    const beta = this.beta ? (this.beta.read().dataSync() as Float32Array) : undefined;
    const mean = new Float64Array(u),
      variance = new Float64Array(u),
      rstd = new Float64Array(u),
      k = new Float64Array(u);
    const scale = step.passes.f32(u),
      shift = step.passes.f32(u);
    for (let c = 0; c < u; c++) {
      mean[c] = sum[c] / rows;
      variance[c] = Math.max(0, sumSq[c] / rows - mean[c] * mean[c]);
      rstd[c] = 1 / Math.sqrt(variance[c] + epsilon);
      k[c] = (gamma ? gamma[c] : 1) * rstd[c];
      scale[c] = k[c];
      shift[c] = (beta ? beta[c] : 0) - mean[c] * k[c];
    }
    this.norm = { mean, rstd, scale: k };
    // tfjs-layers: moving ← moving − (moving − batch value)·(1 − momentum), written during the training call
    const decay = 1 - momentum;
    const mm = this.movingMean!.read().dataSync() as Float32Array;
    const mv = this.movingVariance!.read().dataSync() as Float32Array;
    step.updates.push(
      { variable: this.movingMean!, values: mm.map((m, c) => m - (m - mean[c]) * decay) },
      { variable: this.movingVariance!, values: mv.map((v, c) => v - (v - variance[c]) * decay) },
    );
    return { scale, shift };
  }

  backward(step: Step): void {
    const { n, passes } = step;
    const u = this.units;
    const rows = n * this.positions;
    let dy = this.y.grad;
    if (!dy) return;
    const a = this.a;
    const len = rows * u;
    let mask = this.mask;
    if (this.pool) {
      // back through dropout and the pooling to the batch-norm output
      let gp = dy;
      if (mask) {
        gp = passes.f32(dy.length);
        for (let i = 0; i < dy.length; i++) gp[i] = dy[i] * mask[i];
      }
      dy = unpool(gp, this.which!, n, this.pool, u, passes.f32(len));
      mask = undefined;
    }
    let g: Float32Array;
    let alpha: Float64Array, beta: Float64Array, gamma: Float64Array;
    if (this.bnConfig) {
      // batch norm's backward, with the gradient through the batch mean and variance:
      // da = γ·rstd/m · (m·g − Σg − x̂·Σ(g·x̂)), x̂ = (a − mean)·rstd, m rows, folded into da = α·g + β·a + γ' per
      // channel
      const { mean, rstd, scale } = this.norm!;
      const sumG = passes.f64(u),
        sumGa = passes.f64(u);
      g = passes.maskedColumnSums(dy, mask, mask ? passes.f32(len) : dy, a, rows, u, sumG, sumGa);
      const sumGx = new Float64Array(u);
      alpha = passes.f64(u);
      alpha.set(scale);
      beta = passes.f64(u);
      gamma = passes.f64(u);
      for (let c = 0; c < u; c++) {
        sumGx[c] = rstd[c] * (sumGa[c] - mean[c] * sumG[c]);
        const k = scale[c] / rows;
        beta[c] = -k * rstd[c] * sumGx[c];
        gamma[c] = -k * sumG[c] - beta[c] * mean[c];
      }
      if (this.gamma?.trainable) step.grads.push({ variable: variableOf(this.gamma), grad: Float32Array.from(sumGx) });
      if (this.beta?.trainable) step.grads.push({ variable: variableOf(this.beta), grad: Float32Array.from(sumG) });
    } else {
      if (mask) {
        g = passes.f32(len);
        for (let i = 0; i < len; i++) g[i] = dy[i] * mask[i];
      } else {
        g = dy;
      }
      alpha = passes.f64(u).fill(1);
      beta = gamma = passes.f64(u);
    }
    if (this.activation === 'softmax') {
      // apply the batch-norm coefficients first, then the softmax Jacobian
      const da = passes.f32(len);
      for (let r = 0, o = 0; r < rows; r++, o += u)
        for (let c = 0; c < u; c++) da[o + c] = alpha[c] * g[o + c] + beta[c] * a[o + c] + gamma[c];
      g = softmaxBackward(a, da, passes.f32(len), u);
      alpha = passes.f64(u).fill(1);
      beta = gamma = passes.f64(u);
    }
    const dz = passes.f32(len),
      dzT = passes.f32(len),
      db = passes.f64(u);
    passes.activationBackward(this.activation, g, a, rows, u, alpha, beta, gamma, dz, dzT, db);
    const k = this.inner;
    if (this.kernel.trainable) {
      // dWᵀ = dzᵀ·lhs, both untransposed for the backend
      const dzTt = tf.tensor2d(dzT, [u, rows]);
      const dwT = tf.matMul(dzTt, this.lhs!);
      const dw = passes.transpose(readInto(dwT, passes.f32(k * u)), u, k, passes.f32(k * u));
      tf.dispose([dzTt, dwT]);
      step.grads.push({ variable: variableOf(this.kernel), grad: dw });
    }
    if (this.bias?.trainable) step.grads.push({ variable: variableOf(this.bias), grad: Float32Array.from(db) });
    if (!this.x.isInput) {
      // d(lhs) = dz·Wᵀ, with Wᵀ transposed here (it is small); a conv folds its im2col rows back onto its input
      const w = readInto(this.kernel.read(), passes.f32(k * u));
      const wT = passes.transpose(w, k, u, passes.f32(k * u));
      const dzt = tf.tensor2d(dz, [rows, u]);
      const wTt = tf.tensor2d(wT, [u, k]);
      const dl = tf.matMul(dzt, wTt);
      const dLhs = readInto(dl, passes.f32(rows * k));
      tf.dispose([dzt, wTt, dl]);
      addGrad(this.x, this.conv ? col2im(dLhs, n, this.conv, passes.f32(n * this.x.width)) : dLhs);
    }
  }
}
