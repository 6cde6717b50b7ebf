/**
 * Gradient kernels the wasm backend lacks. tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter`, so training any
 * convolution (Conv1D is a Conv2D underneath) throws there. We register one built from kernels wasm does have.
 *
 * Identity (checked against the cpu backend in test/nn/wasm-kernels.test.ts): the filter gradient of a conv2d with
 * stride s is a stride-1 conv2d with dilation s whose input is the padded x transposed to [inC, H, W, batch] and
 * whose filter is dy transposed to [outH, outW, batch, outC]; crop the result to the kernel size and transpose it
 * back to [kH, kW, inC, outC]:
 *   dW[kh,kw,ci,co] = Σ_{b,oh,ow} xpad[b, oh·s + kh, ow·s + kw, ci] · dy[b, oh, ow, co]
 */
import * as tf from '@tensorflow/tfjs';
import type {
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  KernelConfig,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs';

let registered = false;

/** Wraps a kernel input as a Tensor; `owned` says whether we made it (and must dispose it). */
function asTensor(info: TensorInfo): { t: tf.Tensor; owned: boolean } {
  if (info instanceof tf.Tensor) return { t: info, owned: false };
  return { t: tf.engine().makeTensorFromTensorInfo(info), owned: true };
}

/** dW of a 2-D convolution, computed with wasm's forward Conv2D (dilated) and Transpose/Pad/Slice. */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Conv2DBackpropFilterAttrs['pad'],
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(
      x.shape,
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const [kH, kW] = filterShape;
    const { top, bottom, left, right } = info.padInfo;
    const padded =
      top || bottom || left || right
        ? tf.pad(x, [
            [0, 0],
            [Math.max(0, top), Math.max(0, bottom)],
            [Math.max(0, left), Math.max(0, right)],
            [0, 0],
          ])
        : x;
    const input = tf.transpose(padded, [3, 1, 2, 0]); // [inC, Hp, Wp, batch]
    const filter = tf.transpose(dy, [1, 2, 0, 3]); // [outH, outW, batch, outC]
    const full = tf.conv2d(input, filter, 1, 'valid', 'NHWC', [info.strideHeight, info.strideWidth]);
    const cropped = tf.slice(full, [0, 0, 0, 0], [full.shape[0], kH, kW, full.shape[3]]);
    return tf.transpose(cropped, [1, 2, 0, 3]) as tf.Tensor4D; // [kH, kW, inC, outC]
  });
}

const conv2dBackpropFilterWasm: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs }) => {
    const { x: xInfo, dy: dyInfo } = inputs as NamedTensorInfoMap;
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
    if (!xInfo || !dyInfo) throw new Error('Conv2DBackpropFilter needs inputs x and dy');
    const x = asTensor(xInfo);
    const dy = asTensor(dyInfo);
    try {
      const nhwc = dataFormat === 'NCHW';
      const xs = (nhwc ? tf.transpose(x.t, [0, 2, 3, 1]) : x.t) as tf.Tensor4D;
      const dys = (nhwc ? tf.transpose(dy.t, [0, 2, 3, 1]) : dy.t) as tf.Tensor4D;
      const out = conv2dFilterGradient(xs, dys, filterShape, strides, pad, dimRoundingMode);
      if (nhwc) {
        xs.dispose();
        dys.dispose();
      }
      return out;
    } finally {
      if (x.owned) x.t.dispose();
      if (dy.owned) dy.t.dispose();
    }
  },
};

/**
 * dX of a stride-1 2-D convolution as a forward convolution of dy with the filter rotated 180° and its channels
 * swapped, padded so the output has x's size. wasm's own Conv2DBackpropInput is a plain loop that took 1.1 s of a
 * 5 s cnnrnn training step; its forward Conv2D (XNNPACK) does the same work about ten times faster.
 */
export function conv2dInputGradientStride1(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inShape: [number, number, number, number],
  pad: Conv2DBackpropInputAttrs['pad'],
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(
      inShape,
      filter.shape,
      1,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const [kH, kW] = filter.shape;
    const { top, bottom, left, right } = info.padInfo;
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [kH, kW, outC, inC]
    const padding: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [kH - 1 - top, kH - 1 - bottom],
      [kW - 1 - left, kW - 1 - right],
      [0, 0],
    ];
    return tf.conv2d(dy, flipped as tf.Tensor4D, 1, padding);
  });
}

/** Our stride-1 input gradient where it applies (NHWC, no negative padding), wasm's own kernel otherwise. */
function conv2dBackpropInputWasm(stock: KernelConfig): KernelConfig {
  const fallback = stock.kernelFunc;
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName: 'wasm',
    // the stock kernel binds its WebAssembly function when the backend starts; keep that for the fallback
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const { dy: dyInfo, filter: filterInfo } = args.inputs as NamedTensorInfoMap;
      const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
        args.attrs as unknown as Conv2DBackpropInputAttrs;
      const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
      if (!dyInfo || !filterInfo || sh !== 1 || sw !== 1 || dataFormat === 'NCHW') return fallback(args);
      const [kH, kW] = filterInfo.shape;
      const info = tf.backend_util.computeConv2DInfo(
        inputShape,
        filterInfo.shape as [number, number, number, number],
        1,
        1,
        pad,
        dimRoundingMode,
      );
      const { top, bottom, left, right } = info.padInfo;
      if (Math.max(top, bottom) > kH - 1 || Math.max(left, right) > kW - 1) return fallback(args);
      const dy = asTensor(dyInfo);
      const filter = asTensor(filterInfo);
      try {
        return conv2dInputGradientStride1(
          dy.t as tf.Tensor4D,
          filter.t as tf.Tensor4D,
          inputShape,
          pad,
          dimRoundingMode,
        );
      } finally {
        if (dy.owned) dy.t.dispose();
        if (filter.owned) filter.t.dispose();
      }
    },
  };
}

/** Registers the missing (and replaces the slow) wasm gradient kernels once; safe to call again. */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  if (!tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')) tf.registerKernel(conv2dBackpropFilterWasm);
  const stock = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  if (stock) {
    tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
    tf.registerKernel(conv2dBackpropInputWasm(stock));
  }
  registered = true;
}
