/**
 * The block trainer's element-wise passes in WebAssembly SIMD (elementwise-passes.wat, compiled from its text with wabt
 * when the ML backend starts). On this machine kind a plain JS loop costs 2.5–4 ns per value; RLTrader's DNN runs
 * ~15 such passes over 235k activations per fit, which was a third of the epoch. Scratch arrays live in the module's
 * own memory, so the passes read and write them in place. Blocks whose width is not a multiple of 4 (the heads) run
 * the JS passes on the same arrays. Equal to the JS passes (test/nn/elementwise-passes.test.ts).
 */
import { readFileSync } from 'node:fs';
import type Wabt from 'wabt';
import {
  activationBackward,
  Arena,
  columnMoments,
  dropoutMask,
  maskedColumnSums,
  scaleShift,
  transpose,
  type Activation,
  type ElementwisePasses,
} from './elementwise-passes.ts';
import { maxPoolBackward, maxPoolForward, normScatter } from './image-passes.ts';

interface Exports {
  memory: WebAssembly.Memory;
  col_moments(a: number, n: number, u: number, sum: number, sq: number): void;
  scale_shift(a: number, y: number, mask: number, n: number, u: number, scale: number, shift: number): void;
  masked_col_sums(
    dy: number,
    mask: number,
    g: number,
    a: number,
    n: number,
    u: number,
    sumG: number,
    sumGa: number,
  ): void;
  act_backward(
    kind: number,
    g: number,
    a: number,
    n: number,
    u: number,
    alpha: number,
    beta: number,
    gamma: number,
    dz: number,
    db: number,
  ): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  dropout_mask(mask: number, len: number, state: number, threshold: number, scale: number): number;
}

/** image-passes.wat, instantiated over the same memory. */
interface ImageExports {
  max_pool_forward(
    z: number,
    images: number,
    inH: number,
    inW: number,
    u: number,
    pH: number,
    pW: number,
    strideH: number,
    strideW: number,
    outH: number,
    outW: number,
    scale: number,
    shift: number,
    alpha: number,
    out: number,
    which: number,
  ): void;
  max_pool_backward(
    dy: number,
    which: number,
    z: number,
    count: number,
    u: number,
    scale: number,
    shift: number,
    alpha: number,
    mean: number,
    g: number,
    sumG: number,
    sumGz: number,
  ): void;
  norm_scatter(
    z: number,
    len: number,
    u: number,
    kb: number,
    kc: number,
    ka: number,
    g: number,
    which: number,
    count: number,
    dz: number,
  ): void;
}

const KIND: Record<Activation, number> = { linear: 0, sigmoid: 1, tanh: 2, relu: 3, softmax: 0 };

let compiled: WebAssembly.Module | undefined;
let compiledImage: WebAssembly.Module | undefined;

function compileWat(wabt: Awaited<ReturnType<typeof Wabt>>, file: string): WebAssembly.Module {
  const text = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
  const parsed = wabt.parseWat(file, text, { simd: true });
  try {
    return new WebAssembly.Module(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}

/** Compiles the module once per process; false when this runtime cannot (no SIMD), and the JS passes are used. */
export async function loadWasmPasses(): Promise<boolean> {
  if (compiled) return true;
  try {
    // imported here: wabt is large, and only training needs it
    const wabt = await (await import('wabt')).default();
    compiledImage = compileWat(wabt, 'image-passes.wat');
    compiled = compileWat(wabt, 'elementwise-passes.wat');
    return true;
  } catch {
    return false;
  }
}

/** A fresh instance (its own memory) of the SIMD passes; undefined until loadWasmPasses() has succeeded. */
export function wasmPasses(): ElementwisePasses | undefined {
  if (!compiled || !compiledImage) return undefined;
  const wasm = new WebAssembly.Instance(compiled).exports as unknown as Exports;
  const memory = wasm.memory;
  const image = new WebAssembly.Instance(compiledImage, { env: { memory } }).exports as unknown as ImageExports;
  const arena = new Arena(
    () => memory.buffer as ArrayBuffer,
    (bytes) => {
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    },
  );
  /** Byte offset of an array in the module's memory; arrays from elsewhere are copied in first. */
  const at = (a: Float32Array | Float64Array | Int32Array): number => {
    if (arena.owns(a)) return a.byteOffset;
    const copy =
      a instanceof Float32Array
        ? arena.f32(a.length)
        : a instanceof Int32Array
          ? arena.i32(a.length)
          : arena.f64(a.length);
    copy.set(a);
    return copy.byteOffset;
  };
  const owned = (...arrays: (Float32Array | Float64Array | Int32Array)[]): boolean =>
    arrays.every((a) => arena.owns(a));
  return {
    name: 'wasm-simd',
    reset: () => arena.reset(),
    reserve: (bytes) => arena.reserve(bytes),
    f32: (length) => arena.f32(length),
    f64: (length) => arena.f64(length),
    i32: (length) => arena.i32(length),
    columnMoments(a, n, u, sum, sumSq) {
      if (u % 4 || !arena.owns(sum) || !arena.owns(sumSq)) return columnMoments(a, n, u, sum, sumSq);
      sum.fill(0);
      sumSq.fill(0);
      wasm.col_moments(at(a), n, u, sum.byteOffset, sumSq.byteOffset);
    },
    scaleShift(a, y, n, u, scale, shift, mask) {
      if (u % 4 || !arena.owns(y)) return scaleShift(a, y, n, u, scale, shift, mask);
      wasm.scale_shift(at(a), y.byteOffset, mask ? at(mask) : 0, n, u, at(scale), at(shift));
    },
    maskedColumnSums(dy, mask, g, a, n, u, sumG, sumGa) {
      if (u % 4 || !arena.owns(g) || !arena.owns(sumG) || !arena.owns(sumGa))
        return maskedColumnSums(dy, mask, g, a, n, u, sumG, sumGa);
      sumG.fill(0);
      sumGa.fill(0);
      wasm.masked_col_sums(at(dy), mask ? at(mask) : 0, g.byteOffset, at(a), n, u, sumG.byteOffset, sumGa.byteOffset);
      return mask ? g : dy;
    },
    activationBackward(act, g, a, n, u, alpha, beta, gamma, dz, dzT, db) {
      if (u % 4 || !arena.owns(dz) || !arena.owns(dzT) || !arena.owns(db))
        return activationBackward(act, g, a, n, u, alpha, beta, gamma, dz, dzT, db);
      wasm.act_backward(KIND[act], at(g), at(a), n, u, at(alpha), at(beta), at(gamma), dz.byteOffset, db.byteOffset);
      wasm.transpose(dz.byteOffset, n, u, dzT.byteOffset);
    },
    transpose(m, rows, cols, out) {
      if (cols % 4 || !arena.owns(out)) return transpose(m, rows, cols, out);
      wasm.transpose(at(m), rows, cols, out.byteOffset);
      return out;
    },
    dropoutMask(mask, state, threshold, scale) {
      if (!arena.owns(mask)) return dropoutMask(mask, state, threshold, scale);
      return wasm.dropout_mask(mask.byteOffset, mask.length, state | 0, threshold, Math.fround(scale));
    },
    maxPoolForward(z, images, p, u, scale, shift, alpha, out, which) {
      if (u % 4 || !owned(z, scale, shift, out, which))
        return maxPoolForward(z, images, p, u, scale, shift, alpha, out, which);
      const { inH, inW, pH, pW, strideH, strideW, outH, outW } = p;
      image.max_pool_forward(
        ...([z.byteOffset, images, inH, inW, u, pH, pW, strideH, strideW, outH, outW] as const),
        ...([scale.byteOffset, shift.byteOffset, alpha, out.byteOffset, which.byteOffset] as const),
      );
    },
    maxPoolBackward(dy, which, z, u, scale, shift, alpha, mean, g, sumG, sumGz) {
      if (u % 4 || !owned(dy, which, z, scale, shift, mean, g, sumG, sumGz))
        return maxPoolBackward(dy, which, z, u, scale, shift, alpha, mean, g, sumG, sumGz);
      image.max_pool_backward(
        ...([dy.byteOffset, which.byteOffset, z.byteOffset, dy.length, u] as const),
        ...([scale.byteOffset, shift.byteOffset, alpha, mean.byteOffset] as const),
        ...([g.byteOffset, sumG.byteOffset, sumGz.byteOffset] as const),
      );
    },
    normScatter(z, u, kb, kc, ka, g, which, dz) {
      if (u % 4 || !owned(z, kb, kc, ka, g, which, dz)) return normScatter(z, u, kb, kc, ka, g, which, dz);
      image.norm_scatter(
        ...([z.byteOffset, z.length, u, kb.byteOffset, kc.byteOffset, ka.byteOffset] as const),
        ...([g.byteOffset, which.byteOffset, g.length, dz.byteOffset] as const),
      );
    },
  };
}
