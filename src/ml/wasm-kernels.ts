/**
 * Gradient kernels the wasm backend lacks. tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter`, so training any
 * convolution (Conv1D is a Conv2D underneath) throws there. We register one built from kernels wasm does have.
 *
 * Identity (checked against the cpu backend in test/ml/wasm-kernels.test.ts): the filter gradient of a conv2d with
 * stride s is a stride-1 conv2d with dilation s whose input is the padded x transposed to [inC, H, W, batch] and
 * whose filter is dy transposed to [outH, outW, batch, outC]; crop the result to the kernel size and transpose it
 * back to [kH, kW, inC, outC]:
 *   dW[kh,kw,ci,co] = Σ_{b,oh,ow} xpad[b, oh·s + kh, ow·s + kw, ci] · dy[b, oh, ow, co]
 */
import * as tf from '@tensorflow/tfjs';
import type { Conv2DBackpropFilterAttrs, KernelConfig, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

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

/** Registers the missing wasm gradient kernels once; safe to call again. */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  if (!tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')) tf.registerKernel(conv2dBackpropFilterWasm);
  registered = true;
}
