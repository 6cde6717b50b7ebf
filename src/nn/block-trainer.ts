/**
 * Training steps for dense and Conv1D networks (Dense or Conv1D, each optionally followed by BatchNormalization,
 * MaxPooling1D after a Conv1D, and SeededDropout; Flatten and Concatenate; value and policy heads) with a hand-written
 * backward pass. Under tfjs's gradient tape, RLTrader's DNN (256-128-64-32, sigmoid, batch norm and dropout after every
 * layer) took ~49 ms per 490-row fit on wasm: the matrix products were a third of it, the rest ~250 small element-wise
 * and reduction kernels (batch-norm moments, sigmoid and its gradient, dropout, broadcasts). Here each block costs one
 * fused matrix product on the tfjs backend forward and two backward (a Conv1D as a product over its im2col rows, see
 * conv-rows.ts), every one untransposed (wasm's transposed products are slow, see backend/wasm-fast-kernels.ts), and a few
 * element-wise passes (backend/elementwise-passes.ts: WebAssembly SIMD, or JS where that is missing).
 *
 * Same semantics as model.apply(…, {training: true}) under tf.variableGrads: batch statistics (biased variance, as
 * tf.moments) with the gradient through them, the moving averages updated as tfjs-layers does, dropout masks drawn
 * from the same SeededDropout streams, pooling gradients to each window's first maximum. Checked against tf gradients
 * in test/nn/block-trainer.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArrayGradient, ArrayGradientOptimizer } from './adam.ts';
import type { HeadOutputs } from './head-outputs.ts';
import { readInto } from './tensor-read.ts';
import { col2im, convShapeOf, first, im2col, maxPool, poolShapeOf, unpool, type ConvShape, type PoolShape } from './conv-rows.ts';
import { inferenceAffine, weightOf } from './layer-weights.ts';
import { SeededDropout } from './seeded-dropout.ts';
import { jsPasses, softmaxBackward, softmaxRows, type Activation, type ElementwisePasses } from './backend/elementwise-passes.ts';
import { wasmPasses } from './backend/elementwise-passes-wasm.ts';

/** Fills `grad` (zeroed, same shapes as `out`) with dLoss/dOutput for the batch of `n` rows and returns the loss. */
export type LossGradient = (out: HeadOutputs, grad: HeadOutputs, n: number) => number;

/** Rows of one layer output for the current batch, the tensor the next product reads, and dLoss/d(output). */
interface Slot {
  width: number;
  data: Float32Array;
  tensor: tf.Tensor2D | undefined;
  grad: Float32Array | undefined;
  /** Model inputs take no gradient. */
  isInput: boolean;
}

interface Step {
  n: number;
  /** false: inference (batch norm from its moving statistics, no dropout, nothing kept for a backward pass). */
  training: boolean;
  /** Element-wise passes and this step's scratch arrays. */
  passes: ElementwisePasses;
  /** Tensors freed when the step ends. */
  held: tf.Tensor[];
  grads: ArrayGradient[];
  updates: { variable: tf.LayerVariable; values: Float32Array }[];
}

type LayerConfig = Record<string, unknown>;
const ACTIVATIONS = new Set<string>(['linear', 'relu', 'sigmoid', 'tanh', 'softmax']);
/** What the backend's fused product applies itself; the rest runs in JS after a linear product. */
const FUSED = new Set<string>(['linear', 'relu', 'sigmoid']);

/** The tf.Variable behind a layer weight (what the optimiser updates). */
function variableOf(w: tf.LayerVariable): tf.Variable {
  return w.read() as tf.Variable;
}

function tensorOf(slot: Slot, step: Step): tf.Tensor2D {
  if (!slot.tensor) {
    slot.tensor = tf.tensor2d(slot.data, [step.n, slot.width]);
    step.held.push(slot.tensor);
  }
  return slot.tensor;
}

function addGrad(slot: Slot, src: Float32Array): void {
  if (!slot.grad) {
    slot.grad = src;
    return;
  }
  const g = slot.grad;
  for (let i = 0; i < g.length; i++) g[i] += src[i];
}

/** Batch statistics of a block's batch norm, kept from forward to backward. */
interface NormState {
  mean: Float64Array;
  rstd: Float64Array;
  /** gamma · rstd per channel. */
  scale: Float64Array;
}

/**
 * Dense or Conv1D (+ BatchNormalization) (+ MaxPooling1D) (+ SeededDropout): one fused product forward, two backward,
 * and SIMD passes over the activations. A Conv1D is a product over im2col rows (n·positions of them), so batch norm
 * and the activation passes see rows × channels either way.
 */
class DenseBlock {
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
      this.positions = 1;
      this.inner = x.width;
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
    const rows = n * this.positions, u = this.units, k = this.inner;
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
    const sum = step.passes.f64(u), sumSq = step.passes.f64(u);
    step.passes.columnMoments(a, rows, u, sum, sumSq);
    const gamma = this.gamma ? (this.gamma.read().dataSync() as Float32Array) : undefined;
    const beta = this.beta ? (this.beta.read().dataSync() as Float32Array) : undefined;
    const mean = new Float64Array(u), variance = new Float64Array(u), rstd = new Float64Array(u), k = new Float64Array(u);
    const scale = step.passes.f32(u), shift = step.passes.f32(u);
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
      // da = γ·rstd/m · (m·g − Σg − x̂·Σ(g·x̂)), x̂ = (a − mean)·rstd, m rows, folded into da = α·g + β·a + γ' per channel
      const { mean, rstd, scale } = this.norm!;
      const sumG = passes.f64(u), sumGa = passes.f64(u);
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
      for (let r = 0, o = 0; r < rows; r++, o += u) for (let c = 0; c < u; c++) da[o + c] = alpha[c] * g[o + c] + beta[c] * a[o + c] + gamma[c];
      g = softmaxBackward(a, da, passes.f32(len), u);
      alpha = passes.f64(u).fill(1);
      beta = gamma = passes.f64(u);
    }
    const dz = passes.f32(len), dzT = passes.f32(len), db = passes.f64(u);
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

/** Concatenate on the last axis: rows side by side. */
class ConcatBlock {
  constructor(
    private readonly xs: Slot[],
    readonly y: Slot,
  ) {}

  need(n: number): number {
    return 4 * 4 * n * this.y.width + 32 * this.xs.length;
  }

  forward(step: Step): void {
    const { n } = step;
    const w = this.y.width;
    const y = step.passes.f32(n * w);
    let offset = 0;
    for (const x of this.xs) {
      const xw = x.width, xd = x.data;
      for (let r = 0; r < n; r++) y.set(xd.subarray(r * xw, (r + 1) * xw), r * w + offset);
      offset += xw;
    }
    this.y.data = y;
  }

  backward(step: Step): void {
    const { n } = step;
    const dy = this.y.grad;
    if (!dy) return;
    const w = this.y.width;
    let offset = 0;
    for (const x of this.xs) {
      const xw = x.width;
      if (!x.isInput) {
        const dx = step.passes.f32(n * xw);
        for (let r = 0; r < n; r++) dx.set(dy.subarray(r * w + offset, r * w + offset + xw), r * xw);
        addGrad(x, dx);
      }
      offset += xw;
    }
  }
}

type Block = DenseBlock | ConcatBlock;

const widthOf = (layer: tf.layers.Layer): number => {
  const s = layer.outputShape as (number | null)[];
  return s.slice(1).reduce<number>((a, b) => a * (b ?? NaN), 1);
};

const rank = (layer: tf.layers.Layer): number => (layer.outputShape as unknown[]).length;

interface Parsed {
  blocks: Block[];
  inputs: Slot[];
  outputs: { name: 'value' | 'policy'; slot: Slot }[];
  slots: Slot[];
}

/**
 * The model as blocks in a valid order, or why it cannot be: every batch norm must directly follow a Dense (and every
 * dropout a Dense or its batch norm) that feeds nothing else.
 */
function parse(model: tf.LayersModel): Parsed | string {
  /** Layer name → the rows it outputs, for inputs, flattens, concatenations and finished blocks. */
  const slots = new Map<string, Slot>();
  /** Blocks that can still take a batch norm or a dropout, by the name of their last layer. */
  const open = new Map<string, { layer: tf.layers.Layer; bn?: tf.layers.Layer; pool?: tf.layers.Layer; drop?: SeededDropout; x: Slot }>();
  const blocks: Block[] = [];
  const newSlot = (layer: tf.layers.Layer, isInput = false): Slot => ({ width: widthOf(layer), data: new Float32Array(0), tensor: undefined, grad: undefined, isInput });
  const close = (name: string): void => {
    const b = open.get(name);
    if (!b) return;
    open.delete(name);
    const y = newSlot(model.getLayer(name));
    slots.set(name, y);
    blocks.push(new DenseBlock(b.layer, b.bn, b.pool, b.drop, b.x, y));
  };
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as LayerConfig;
    if (layer.inboundNodes.length > 1) return `layer ${layer.name} is used twice`;
    if (!Number.isFinite(widthOf(layer))) return `layer ${layer.name} has an unknown dimension`;
    if (cls === 'InputLayer') {
      slots.set(layer.name, newSlot(layer, true));
      continue;
    }
    const inbound = layer.inboundNodes[0].inboundLayers;
    const source = inbound[0];
    // a block ends where something other than its own batch norm, pooling or dropout reads it
    if (cls !== 'BatchNormalization' && cls !== 'MaxPooling1D' && cls !== 'SeededDropout') for (const l of inbound) close(l.name);
    switch (cls) {
      case 'Flatten': {
        const x = slots.get(source.name);
        if (!x) return `flatten ${layer.name} reads an unsupported layer`;
        // row-major rows are already flat: the same slot under a new name
        slots.set(layer.name, x);
        break;
      }
      case 'Dense': {
        if (!ACTIVATIONS.has(String(cfg.activation ?? 'linear'))) return `dense ${layer.name} has activation ${String(cfg.activation)}`;
        if (rank(layer) !== 2) return `dense ${layer.name} is not on rows`;
        const x = slots.get(source.name);
        if (!x) return `dense ${layer.name} reads an unsupported layer`;
        open.set(layer.name, { layer, x });
        break;
      }
      case 'Conv1D': {
        if (!ACTIVATIONS.has(String(cfg.activation ?? 'linear')) || cfg.activation === 'softmax') return `conv1d ${layer.name} has activation ${String(cfg.activation)}`;
        if (first(cfg.strides ?? 1) !== 1 || first(cfg.dilationRate ?? 1) !== 1) return `conv1d ${layer.name} has strides or dilation`;
        if ((cfg.padding !== 'same' && cfg.padding !== 'valid') || cfg.dataFormat === 'channelsFirst') return `conv1d ${layer.name} padding ${String(cfg.padding)}`;
        const x = slots.get(source.name);
        if (!x) return `conv1d ${layer.name} reads an unsupported layer`;
        open.set(layer.name, { layer, x });
        break;
      }
      case 'MaxPooling1D': {
        const b = open.get(source.name);
        if (!b || b.pool || b.drop || source.outboundNodes.length !== 1 || b.layer.getClassName() !== 'Conv1D') return `pooling ${layer.name} does not directly follow a conv1d or its batch norm`;
        if (cfg.padding !== 'valid' || cfg.dataFormat === 'channelsFirst') return `pooling ${layer.name} padding ${String(cfg.padding)}`;
        open.delete(source.name);
        b.pool = layer;
        open.set(layer.name, b);
        break;
      }
      case 'BatchNormalization': {
        const axis = Array.isArray(cfg.axis) ? (cfg.axis as number[]) : [cfg.axis as number];
        if (axis.length !== 1 || (axis[0] !== -1 && axis[0] !== rank(layer) - 1)) return `batch norm ${layer.name} is not over the last axis`;
        const b = open.get(source.name);
        if (!b || b.bn || b.pool || b.drop || source.outboundNodes.length !== 1) return `batch norm ${layer.name} does not directly follow a dense or conv1d layer`;
        open.delete(source.name);
        b.bn = layer;
        open.set(layer.name, b);
        break;
      }
      case 'SeededDropout': {
        const b = open.get(source.name);
        if (!b || b.drop || source.outboundNodes.length !== 1) return `dropout ${layer.name} does not directly follow a dense or conv1d block`;
        open.delete(source.name);
        b.drop = layer as SeededDropout;
        open.set(layer.name, b);
        break;
      }
      case 'Concatenate': {
        if ((cfg.axis !== -1 && cfg.axis !== 1) || rank(layer) !== 2) return `concatenate ${layer.name} is not on rows`;
        const xs = inbound.map((l) => slots.get(l.name));
        if (xs.some((x) => !x)) return `concatenate ${layer.name} reads an unsupported layer`;
        const y = newSlot(layer);
        slots.set(layer.name, y);
        blocks.push(new ConcatBlock(xs as Slot[], y));
        break;
      }
      default:
        return `layer ${layer.name} (${cls}) is not supported`;
    }
  }
  for (const name of [...open.keys()]) close(name);
  const outputs: Parsed['outputs'] = [];
  for (const out of model.outputLayers) {
    const slot = slots.get(out.name);
    if (out.name !== 'value' && out.name !== 'policy') return `output ${out.name} is neither value nor policy`;
    if (!slot) return `output ${out.name} is not the end of a block`;
    outputs.push({ name: out.name, slot });
  }
  return { blocks, inputs: model.inputLayers.map((l) => slots.get(l.name)!), outputs, slots: [...new Set(slots.values())] };
}

export class BlockTrainer {
  private constructor(
    private readonly blocks: Block[],
    private readonly inputs: Slot[],
    private readonly outputs: { name: 'value' | 'policy'; slot: Slot }[],
    private readonly slots: Slot[],
    readonly passes: ElementwisePasses,
  ) {}

  /**
   * A trainer for `model`, or undefined when it has a layer the JS backward pass does not cover. The element-wise
   * passes run in WebAssembly SIMD once initBackend has compiled them, else (or with passes: 'js') in plain JS.
   */
  static tryCreate(model: tf.LayersModel, options: { passes?: 'auto' | 'js' } = {}): BlockTrainer | undefined {
    const p = parse(model);
    if (typeof p === 'string') return undefined;
    const passes = (options.passes !== 'js' ? wasmPasses() : undefined) ?? jsPasses();
    return new BlockTrainer(p.blocks, p.inputs, p.outputs, p.slots, passes);
  }

  /** Inference outputs for rows [0, n) of `x` and `state` (as model.predict), in fresh arrays. */
  predict(x: Float32Array, state: Float32Array, n: number): HeadOutputs {
    const step = this.begin(x, state, n, false);
    try {
      for (const b of this.blocks) b.forward(step);
      const out: HeadOutputs = {};
      for (const { name, slot } of this.outputs) out[name] = Float32Array.from(slot.data);
      return out;
    } finally {
      this.end(step);
    }
  }

  /**
   * One optimiser step on rows [0, n) of `x` (n × features) and `state` (n × state size): forward in training mode,
   * `loss` for the output gradients, backward, the optimiser on every trainable weight, moving averages written.
   * Returns the loss.
   */
  step(x: Float32Array, state: Float32Array, n: number, loss: LossGradient, optimizer: ArrayGradientOptimizer): number {
    const step = this.begin(x, state, n, true);
    try {
      for (const b of this.blocks) b.forward(step);
      const out: HeadOutputs = {};
      const grad: HeadOutputs = {};
      for (const { name, slot } of this.outputs) {
        out[name] = slot.data;
        grad[name] = new Float32Array(slot.data.length);
      }
      const value = loss(out, grad, n);
      for (const { name, slot } of this.outputs) slot.grad = grad[name];
      for (let i = this.blocks.length - 1; i >= 0; i--) this.blocks[i].backward(step);
      optimizer.applyGradientArrays(step.grads);
      for (const { variable, values } of step.updates) {
        const t = tf.tensor(values, variable.shape as number[], 'float32');
        variable.write(t);
        t.dispose();
      }
      return value;
    } finally {
      this.end(step);
    }
  }

  private begin(x: Float32Array, state: Float32Array, n: number, training: boolean): Step {
    const [main, st] = this.inputs;
    if (x.length < n * main.width) throw new Error(`block trainer: ${x.length} inputs for ${n} rows of ${main.width}`);
    if (st && state.length < n * st.width) throw new Error(`block trainer: ${state.length} state values for ${n} rows of ${st.width}`);
    this.passes.reset();
    this.passes.reserve(this.blocks.reduce((sum, b) => sum + b.need(n), 0));
    for (const slot of this.slots) {
      slot.tensor = undefined;
      slot.grad = undefined;
    }
    main.data = x.subarray(0, n * main.width);
    if (st) st.data = state.subarray(0, n * st.width);
    return { n, training, passes: this.passes, held: [], grads: [], updates: [] };
  }

  private end(step: Step): void {
    tf.dispose(step.held);
    for (const slot of this.slots) slot.tensor = undefined;
  }
}

/** Why `model` cannot use the JS trainer (for logs and tests), or undefined when it can. */
export function blockTrainerUnsupported(model: tf.LayersModel): string | undefined {
  const p = parse(model);
  return typeof p === 'string' ? p : undefined;
}
