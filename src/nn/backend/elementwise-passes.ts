/**
 * The element-wise passes of the JS block trainer (nn/block-trainer.ts), over row-major n × u blocks of activations.
 * Each is a plain function over typed arrays with one activation per function, so V8 keeps every loop monomorphic:
 * on this machine kind that made the backward passes about twice as fast as one loop branching on the activation.
 */
import { maxPoolBackward, maxPoolForward, normScatter } from './image-passes.ts';

/** Σ a and Σ a² of every column. */
export function columnMoments(a: Float32Array, n: number, u: number, sum: Float64Array, sumSq: Float64Array): void {
  sum.fill(0);
  sumSq.fill(0);
  for (let r = 0, o = 0; r < n; r++, o += u) {
    for (let c = 0; c < u; c++) {
      const v = a[o + c];
      sum[c] += v;
      sumSq[c] += v * v;
    }
  }
}

/** y = a·scale + shift per column, times the dropout mask when there is one (float32 arithmetic, as the SIMD pass). */
export function scaleShift(
  a: Float32Array,
  y: Float32Array,
  n: number,
  u: number,
  scale: Float32Array,
  shift: Float32Array,
  mask: Float32Array | undefined,
): void {
  const f = Math.fround;
  if (mask) {
    for (let r = 0, o = 0; r < n; r++, o += u)
      for (let c = 0; c < u; c++) y[o + c] = f(f(f(a[o + c] * scale[c]) + shift[c]) * mask[o + c]);
  } else {
    for (let r = 0, o = 0; r < n; r++, o += u) for (let c = 0; c < u; c++) y[o + c] = f(a[o + c] * scale[c]) + shift[c];
  }
}

/** g = dy·mask (into `g`; without a mask g is dy itself), and Σ g and Σ g·a of every column. Returns g. */
export function maskedColumnSums(
  dy: Float32Array,
  mask: Float32Array | undefined,
  g: Float32Array,
  a: Float32Array,
  n: number,
  u: number,
  sumG: Float64Array,
  sumGa: Float64Array,
): Float32Array {
  sumG.fill(0);
  sumGa.fill(0);
  for (let r = 0, o = 0; r < n; r++, o += u) {
    for (let c = 0; c < u; c++) {
      const i = o + c;
      const gi = mask ? (g[i] = dy[i] * mask[i]) : dy[i];
      sumG[c] += gi;
      sumGa[c] += gi * a[i];
    }
  }
  return g;
}

export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';

/**
 * act'(a) = k0 + a·(k1 + k2·a), for relu also zero where a ≤ 0: linear 1, sigmoid a − a², tanh 1 − a². Softmax
 * counts as linear here: its Jacobian is applied to g beforehand (softmaxBackward). The SIMD pass uses the same form.
 */
const DERIVATIVE: Record<Activation, [number, number, number]> = {
  linear: [1, 0, 0],
  softmax: [1, 0, 0],
  relu: [1, 0, 0],
  sigmoid: [0, 1, -1],
  tanh: [1, 0, -1],
};

/**
 * The gradient at the pre-activation z from the gradient g at the layer's output side: da = α·g + β·a + γ per column
 * (batch norm's backward folded into three coefficients; α = 1, β = γ = 0 without one), then dz = da·act'(a).
 * Writes dz in rows and in columns (dzᵀ, for the weight gradient as an untransposed product) and adds Σ dz into db.
 */
export function activationBackward(
  act: Activation,
  g: Float32Array,
  a: Float32Array,
  n: number,
  u: number,
  alpha: Float64Array,
  beta: Float64Array,
  gamma: Float64Array,
  dz: Float32Array,
  dzT: Float32Array,
  db: Float64Array,
): void {
  const [k0, k1, k2] = DERIVATIVE[act];
  const relu = act === 'relu';
  for (let r = 0, o = 0; r < n; r++, o += u) {
    for (let c = 0; c < u; c++) {
      const i = o + c;
      const ai = a[i];
      const d = relu && !(ai > 0) ? 0 : (alpha[c] * g[i] + beta[c] * ai + gamma[c]) * (k0 + ai * (k1 + k2 * ai));
      dz[i] = d;
      dzT[c * n + r] = d;
      db[c] += d;
    }
  }
}

export function softmaxRows(a: Float32Array, width: number): void {
  for (let r = 0; r < a.length; r += width) {
    let max = -Infinity;
    for (let j = 0; j < width; j++) if (a[r + j] > max) max = a[r + j];
    let sum = 0;
    for (let j = 0; j < width; j++) sum += a[r + j] = Math.exp(a[r + j] - max);
    for (let j = 0; j < width; j++) a[r + j] /= sum;
  }
}

/** out = y ⊙ (g − Σ g·y) per row: the softmax Jacobian applied to g. */
export function softmaxBackward(y: Float32Array, g: Float32Array, out: Float32Array, width: number): Float32Array {
  for (let r = 0; r < y.length; r += width) {
    let dot = 0;
    for (let j = 0; j < width; j++) dot += g[r + j] * y[r + j];
    for (let j = 0; j < width; j++) out[r + j] = y[r + j] * (g[r + j] - dot);
  }
  return out;
}

/** out[c·rows + r] = m[r·cols + c]: a rows × cols matrix transposed. */
export function transpose(m: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

/** A xorshift32 dropout mask as SeededDropout draws it: fills `mask`, returns the generator's new state. */
export function dropoutMask(mask: Float32Array, state: number, threshold: number, scale: number): number {
  let s = state | 0;
  let i = 0;
  for (; i + 1 < mask.length; i += 2) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    mask[i] = (s & 0xffff) < threshold ? scale : 0;
    mask[i + 1] = s >>> 16 < threshold ? scale : 0;
  }
  if (i < mask.length) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    mask[i] = (s & 0xffff) < threshold ? scale : 0;
  }
  return s;
}

/** The passes as the trainer calls them: plain JS (this module) or WebAssembly SIMD (elementwise-passes-wasm.ts). */
export interface ElementwisePasses {
  readonly name: 'js' | 'wasm-simd';
  /** Scratch for one step: call reset() first, then reserve() the step's whole need, then take arrays. */
  reset(): void;
  reserve(bytes: number): void;
  f32(length: number): Float32Array;
  f64(length: number): Float64Array;
  i32(length: number): Int32Array;
  columnMoments(a: Float32Array, n: number, u: number, sum: Float64Array, sumSq: Float64Array): void;
  scaleShift(
    a: Float32Array,
    y: Float32Array,
    n: number,
    u: number,
    scale: Float32Array,
    shift: Float32Array,
    mask: Float32Array | undefined,
  ): void;
  maskedColumnSums(
    dy: Float32Array,
    mask: Float32Array | undefined,
    g: Float32Array,
    a: Float32Array,
    n: number,
    u: number,
    sumG: Float64Array,
    sumGa: Float64Array,
  ): Float32Array;
  activationBackward(
    act: Activation,
    g: Float32Array,
    a: Float32Array,
    n: number,
    u: number,
    alpha: Float64Array,
    beta: Float64Array,
    gamma: Float64Array,
    dz: Float32Array,
    dzT: Float32Array,
    db: Float64Array,
  ): void;
  dropoutMask(mask: Float32Array, state: number, threshold: number, scale: number): number;
  /** out[c·rows + r] = m[r·cols + c]; returns out. */
  transpose(m: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array;
  /** The image blocks' max-pooling passes (image-passes.ts). */
  maxPoolForward: typeof maxPoolForward;
  maxPoolBackward: typeof maxPoolBackward;
  normScatter: typeof normScatter;
}

/** Bump allocation over one buffer, 16-byte aligned; reserve() sizes it before any array of the step is taken. */
export class Arena {
  private top = 16;
  private limit = 0;

  constructor(
    private buffer: () => ArrayBuffer,
    /** Makes the buffer at least `bytes` long (may replace it: arrays taken earlier must not be used after). */
    private readonly grow: (bytes: number) => void,
  ) {}

  reset(): void {
    this.top = 16;
    this.limit = 0;
  }

  reserve(bytes: number): void {
    const need = this.top + bytes + 16;
    if (this.buffer().byteLength < need) this.grow(need);
    this.limit = need;
  }

  /** Byte offset of `bytes` new bytes. */
  take(bytes: number): number {
    const at = this.top;
    this.top = (at + bytes + 15) & ~15;
    if (this.top > this.limit)
      throw new Error(`dense passes: scratch beyond the ${this.limit} bytes reserved for this step`);
    return at;
  }

  f32(length: number): Float32Array {
    return new Float32Array(this.buffer(), this.take(length * 4), length);
  }

  f64(length: number): Float64Array {
    return new Float64Array(this.buffer(), this.take(length * 8), length).fill(0);
  }

  i32(length: number): Int32Array {
    return new Int32Array(this.buffer(), this.take(length * 4), length);
  }

  owns(a: Float32Array | Float64Array | Int32Array): boolean {
    return a.buffer === this.buffer();
  }
}

/** The JS passes over a JS arena. */
export function jsPasses(): ElementwisePasses {
  let buffer = new ArrayBuffer(1 << 16);
  const arena = new Arena(
    () => buffer,
    (bytes) => {
      buffer = new ArrayBuffer(Math.max(bytes, buffer.byteLength * 2));
    },
  );
  return {
    name: 'js',
    reset: () => arena.reset(),
    reserve: (bytes) => arena.reserve(bytes),
    f32: (length) => arena.f32(length),
    f64: (length) => arena.f64(length),
    i32: (length) => arena.i32(length),
    columnMoments,
    scaleShift,
    maskedColumnSums,
    activationBackward,
    dropoutMask,
    transpose,
    maxPoolForward,
    maxPoolBackward,
    normScatter,
  };
}
