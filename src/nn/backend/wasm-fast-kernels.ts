/**
 * Faster stand-ins for three stock tfjs-backend-wasm 4.22 kernels, same results.
 *
 * BatchMatMul: wasm multiplies matrices fast (XNNPACK) only when neither operand is transposed; with
 * transposeA or transposeB it falls back to a plain loop that is ~12× slower (measured here: [490×256]·[256×128]
 * 1.8 ms untransposed, 22 ms as dy·Wᵀ or xᵀ·dy). Every dense layer's backward pass asks for exactly those two
 * products, so training was dominated by them. This wrapper transposes the flagged operand with wasm's Transpose
 * kernel (~0.3 ms for 490×256) and calls the stock kernel untransposed: same numbers, a fraction of the time.
 *
 * Identity (what tf.clone and the gradient tape's saved inputs run): wasm copies the data; the cpu and webgl backends
 * share it and count a reference, as wasm's own Reshape does. Tensor data is never written in place, so sharing is
 * safe, and training no longer copies every activation it saves for the backward pass.
 *
 * MaxPoolGrad: wasm's native kernel took ~6.6 ms for a [490, 5, 1, 64] input with 2×1 windows (the CNN's pooling
 * gradient, the largest single cost of an A2C-CNN fit); a JS scatter over the heap views takes a fraction of that.
 * Like tfjs's cpu backend, each window's gradient goes to its first maximum.
 *
 * Tested against the stock kernels and the cpu backend in test/nn/wasm-fast-kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

interface WasmBackendParts {
  disposeData(dataId: object): void;
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

let stockKernel: KernelConfig | undefined;
let stockIdentity: KernelConfig | undefined;

/** Swaps the last two axes of a rank-2 or rank-3 tensor with the backend's own Transpose kernel. */
function transposeLastTwo(transpose: KernelFunc, x: TensorInfo, backend: unknown): TensorInfo {
  const perm = x.shape.length === 2 ? [1, 0] : [0, 2, 1];
  return transpose({ inputs: { x }, backend: backend as never, attrs: { perm } }) as TensorInfo;
}

function fastBatchMatMul(stock: KernelConfig, transpose: KernelFunc): KernelConfig {
  const fallback = stock.kernelFunc;
  return {
    kernelName: tf.BatchMatMul,
    backendName: 'wasm',
    // the stock kernel binds its WebAssembly function when the backend starts; keep that
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as NamedTensorInfoMap;
      const attrs = args.attrs as NamedAttrMap & { transposeA: boolean; transposeB: boolean };
      const { transposeA, transposeB } = attrs;
      if (!a || !b || (!transposeA && !transposeB) || a.shape.length > 3 || b.shape.length > 3) return fallback(args);
      const backend = args.backend as unknown as WasmBackendParts;
      const made: TensorInfo[] = [];
      const at = transposeA ? transposeLastTwo(transpose, a, backend) : a;
      if (transposeA) made.push(at);
      const bt = transposeB ? transposeLastTwo(transpose, b, backend) : b;
      if (transposeB) made.push(bt);
      try {
        return fallback({
          ...args,
          inputs: { a: at, b: bt },
          attrs: { ...attrs, transposeA: false, transposeB: false },
        });
      } finally {
        for (const t of made) backend.disposeData(t.dataId);
      }
    },
  };
}

function sharingIdentity(stock: KernelConfig): KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const { x } = args.inputs as NamedTensorInfoMap;
      if (!x || x.dtype === 'string') return stock.kernelFunc(args);
      (args.backend as unknown as WasmBackendParts).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  };
}

/** dx of a max pool: each output's dy goes to the first maximum of its window (padding never wins). */
function maxPoolGradJs(stock: KernelConfig): KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const { dy, input } = args.inputs as NamedTensorInfoMap;
      const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
      if (!dy || !input || input.dtype !== 'float32' || input.shape.length !== 4) return stock.kernelFunc(args);
      const info = tf.backend_util.computePool2DInfo(
        input.shape as [number, number, number, number],
        filterSize,
        strides,
        1,
        pad,
        dimRoundingMode,
      );
      const backend = args.backend as unknown as WasmBackendParts;
      const out = backend.makeOutput(input.shape.slice(), 'float32');
      // views after makeOutput: growing the wasm memory detaches earlier ones
      const x = backend.typedArrayFromHeap(input);
      const g = backend.typedArrayFromHeap(dy);
      const dx = backend.typedArrayFromHeap(out);
      dx.fill(0);
      const {
        batchSize,
        inHeight,
        inWidth,
        inChannels: ch,
        outHeight,
        outWidth,
        strideHeight,
        strideWidth,
        dilationHeight,
        dilationWidth,
      } = info;
      const fh = info.effectiveFilterHeight,
        fw = info.effectiveFilterWidth,
        top = info.padInfo.top,
        left = info.padInfo.left;
      // channels innermost: every pass over a window cell reads contiguous memory
      const max = new Float32Array(ch);
      const best = new Int32Array(ch);
      for (let b = 0; b < batchSize; b++) {
        const xb = b * inHeight * inWidth * ch;
        for (let oh = 0; oh < outHeight; oh++) {
          const r0 = oh * strideHeight - top;
          for (let ow = 0; ow < outWidth; ow++) {
            const c0 = ow * strideWidth - left;
            max.fill(-Infinity);
            best.fill(-1);
            for (let r = r0; r < r0 + fh; r += dilationHeight) {
              if (r < 0 || r >= inHeight) continue;
              for (let w = c0; w < c0 + fw; w += dilationWidth) {
                if (w < 0 || w >= inWidth) continue;
                const at = xb + (r * inWidth + w) * ch;
                for (let c = 0; c < ch; c++) {
                  const v = x[at + c];
                  if (v > max[c]) {
                    max[c] = v;
                    best[c] = at + c;
                  }
                }
              }
            }
            const go = ((b * outHeight + oh) * outWidth + ow) * ch;
            for (let c = 0; c < ch; c++) if (best[c] >= 0) dx[best[c]] += g[go + c];
          }
        }
      }
      return out;
    },
  };
}

/**
 * Replaces wasm's BatchMatMul, Identity and MaxPoolGrad by the faster versions, once; safe to call again, a no-op
 * without wasm.
 */
export function registerWasmFastKernels(): void {
  if (stockKernel) return;
  const stock = tf.getKernel(tf.BatchMatMul, 'wasm');
  const transpose = tf.getKernel(tf.Transpose, 'wasm');
  const identity = tf.getKernel(tf.Identity, 'wasm');
  if (!stock || !transpose || !identity) return;
  stockKernel = stock;
  stockIdentity = identity;
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel(fastBatchMatMul(stock, transpose.kernelFunc));
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel(sharingIdentity(identity));
  const poolGrad = tf.getKernel(tf.MaxPoolGrad, 'wasm');
  if (poolGrad) {
    tf.unregisterKernel(tf.MaxPoolGrad, 'wasm');
    tf.registerKernel(maxPoolGradJs(poolGrad));
  }
}

/** wasm's own Identity kernel as it was before registerWasmFastKernels. */
export function stockWasmIdentity(): KernelConfig | undefined {
  return stockIdentity ?? tf.getKernel(tf.Identity, 'wasm');
}

/** wasm's own BatchMatMul kernel as it was before registerWasmFastKernels (for tests comparing the two). */
export function stockWasmMatMul(): KernelConfig | undefined {
  return stockKernel ?? tf.getKernel(tf.BatchMatMul, 'wasm');
}
