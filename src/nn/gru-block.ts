/**
 * A GRU layer for the block trainer (issue 16): cnnrnn's recurrent part over the frames' embeddings. It is small (32
 * units over 5 frames of 64 values: ~1 M multiply-adds per batch of 32 forward) so it runs as plain JS loops with a
 * hand-written backward pass through time; on tfjs's tape the same layer was ~150 small kernels per step. tfjs's cell
 * (reset_after = false, gate order z, r, h): z = σ(x·Wz + h·Uz + bz), r = σ(x·Wr + h·Ur + br),
 * ĥ = tanh(x·Wh + (r ⊙ h)·Uh + bh), h' = z ⊙ h + (1 − z) ⊙ ĥ, from h = 0. Checked against tf gradients in
 * test/nn/image-block.test.ts.
 */
import type * as tf from '@tensorflow/tfjs';
import { weightOf } from './layer-weights.ts';
import { type Slot, type Step, type LayerConfig, variableOf, addGrad } from './block-step.ts';

/** Why the block trainer cannot run this GRU, or undefined. */
export function gruUnsupported(name: string, cfg: LayerConfig): string | undefined {
  if (cfg.activation !== 'tanh' || cfg.recurrentActivation !== 'sigmoid')
    return `gru ${name} needs activation tanh and recurrent activation sigmoid`;
  if (cfg.goBackwards || cfg.stateful || cfg.resetAfter || cfg.returnState)
    return `gru ${name} is backwards, stateful, reset-after or returns its state`;
  if (Number(cfg.dropout ?? 0) > 0 || Number(cfg.recurrentDropout ?? 0) > 0) return `gru ${name} has dropout`;
  return undefined;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

export class GruBlock {
  private readonly units: number;
  private readonly steps: number;
  private readonly inner: number;
  private readonly sequences: boolean;
  private readonly kernel: tf.LayerVariable;
  private readonly recurrent: tf.LayerVariable;
  private readonly bias: tf.LayerVariable | undefined;
  /** Per step t (rows n × units each): the state h_t after the step, z, r and the candidate ĥ. */
  private h = new Float64Array(0);
  private z = new Float64Array(0);
  private r = new Float64Array(0);
  private hh = new Float64Array(0);
  private w: Float32Array = new Float32Array(0);
  private u: Float32Array = new Float32Array(0);

  constructor(
    layer: tf.layers.Layer,
    private readonly x: Slot,
    readonly y: Slot,
  ) {
    const cfg = layer.getConfig() as LayerConfig;
    this.units = cfg.units as number;
    [this.steps, this.inner] = (layer.input as tf.SymbolicTensor).shape.slice(1) as number[];
    this.sequences = cfg.returnSequences === true;
    this.kernel = weightOf(layer, 'kernel')!;
    this.recurrent = weightOf(layer, 'recurrent_kernel')!;
    this.bias = cfg.useBias === false ? undefined : weightOf(layer, 'bias');
  }

  need(): number {
    return 0;
  }

  forward(step: Step): void {
    const { n } = step;
    const U = this.units,
      T = this.steps,
      I = this.inner,
      G = 3 * U;
    const x = this.x.data;
    const w = (this.w = this.kernel.read().dataSync() as Float32Array);
    const u = (this.u = this.recurrent.read().dataSync() as Float32Array);
    const b = this.bias?.read().dataSync() as Float32Array | undefined;
    const size = T * n * U;
    if (this.h.length < size) {
      this.h = new Float64Array(size);
      this.z = new Float64Array(size);
      this.r = new Float64Array(size);
      this.hh = new Float64Array(size);
    }
    const H = this.h,
      Z = this.z,
      R = this.r,
      HH = this.hh;
    const out = new Float32Array(n * this.y.width);
    const acc = new Float64Array(G),
      rh = new Float64Array(U);
    for (let s = 0; s < n; s++) {
      for (let t = 0; t < T; t++) {
        const o = (t * n + s) * U;
        const prev = t > 0 ? ((t - 1) * n + s) * U : -1;
        for (let j = 0; j < G; j++) acc[j] = b ? b[j] : 0;
        const xo = (s * T + t) * I;
        for (let i = 0; i < I; i++) {
          const xi = x[xo + i];
          if (xi === 0) continue;
          const wo = i * G;
          for (let j = 0; j < G; j++) acc[j] += xi * w[wo + j];
        }
        if (prev >= 0)
          for (let i = 0; i < U; i++) {
            const hi = H[prev + i];
            const uo = i * G;
            for (let j = 0; j < 2 * U; j++) acc[j] += hi * u[uo + j];
          }
        for (let j = 0; j < U; j++) {
          Z[o + j] = sigmoid(acc[j]);
          R[o + j] = sigmoid(acc[U + j]);
          rh[j] = prev >= 0 ? R[o + j] * H[prev + j] : 0;
        }
        for (let i = 0; i < U; i++) {
          const v = rh[i];
          if (v === 0) continue;
          const uo = i * G + 2 * U;
          for (let j = 0; j < U; j++) acc[2 * U + j] += v * u[uo + j];
        }
        for (let j = 0; j < U; j++) {
          const hh = (HH[o + j] = Math.tanh(acc[2 * U + j]));
          const zj = Z[o + j];
          const h = (H[o + j] = zj * (prev >= 0 ? H[prev + j] : 0) + (1 - zj) * hh);
          if (this.sequences) out[(s * T + t) * U + j] = h;
          else if (t === T - 1) out[s * U + j] = h;
        }
      }
    }
    this.y.data = out;
  }

  backward(step: Step): void {
    const dy = this.y.grad;
    if (!dy) return;
    const { n } = step;
    const U = this.units,
      T = this.steps,
      I = this.inner,
      G = 3 * U;
    const x = this.x.data,
      w = this.w,
      u = this.u;
    const dW = new Float64Array(I * G),
      dU = new Float64Array(U * G),
      db = new Float64Array(G);
    const dx = new Float32Array(n * T * I);
    const H = this.h,
      Z = this.z,
      R = this.r,
      HH = this.hh;
    const dh = new Float64Array(U),
      dhPrev = new Float64Array(U),
      da = new Float64Array(G),
      drh = new Float64Array(U);
    for (let s = 0; s < n; s++) {
      dh.fill(0);
      for (let t = T - 1; t >= 0; t--) {
        const o = (t * n + s) * U;
        const prev = t > 0 ? ((t - 1) * n + s) * U : -1;
        if (this.sequences) for (let j = 0; j < U; j++) dh[j] += dy[(s * T + t) * U + j];
        else if (t === T - 1) for (let j = 0; j < U; j++) dh[j] += dy[s * U + j];
        for (let j = 0; j < U; j++) {
          const zj = Z[o + j],
            hh = HH[o + j],
            hp = prev >= 0 ? H[prev + j] : 0;
          da[j] = dh[j] * (hp - hh) * zj * (1 - zj);
          da[2 * U + j] = dh[j] * (1 - zj) * (1 - hh * hh);
          dhPrev[j] = dh[j] * zj;
        }
        // ĥ's pre-activation reads (r ⊙ h)·Uh
        for (let i = 0; i < U; i++) {
          const uo = i * G + 2 * U;
          let sum = 0;
          for (let j = 0; j < U; j++) sum += da[2 * U + j] * u[uo + j];
          drh[i] = sum;
        }
        for (let i = 0; i < U; i++) {
          const hp = prev >= 0 ? H[prev + i] : 0;
          const ri = R[o + i];
          da[U + i] = drh[i] * hp * ri * (1 - ri);
          dhPrev[i] += drh[i] * ri;
        }
        if (prev >= 0) {
          for (let i = 0; i < U; i++) {
            const hp = H[prev + i],
              rhi = R[o + i] * hp,
              uo = i * G;
            let sum = 0;
            for (let j = 0; j < 2 * U; j++) {
              sum += da[j] * u[uo + j];
              dU[uo + j] += hp * da[j];
            }
            for (let j = 0; j < U; j++) dU[uo + 2 * U + j] += rhi * da[2 * U + j];
            dhPrev[i] += sum;
          }
        }
        const xo = (s * T + t) * I;
        for (let j = 0; j < G; j++) db[j] += da[j];
        for (let i = 0; i < I; i++) {
          const xi = x[xo + i],
            wo = i * G;
          let sum = 0;
          for (let j = 0; j < G; j++) {
            sum += da[j] * w[wo + j];
            dW[wo + j] += xi * da[j];
          }
          dx[xo + i] = sum;
        }
        dh.set(dhPrev);
      }
    }
    if (this.kernel.trainable) step.grads.push({ variable: variableOf(this.kernel), grad: Float32Array.from(dW) });
    if (this.recurrent.trainable)
      step.grads.push({ variable: variableOf(this.recurrent), grad: Float32Array.from(dU) });
    if (this.bias?.trainable) step.grads.push({ variable: variableOf(this.bias), grad: Float32Array.from(db) });
    if (!this.x.isInput) addGrad(this.x, dx);
  }
}
