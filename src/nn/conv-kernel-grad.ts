/**
 * A Conv2D's weight gradient dW = Σ over pixels of input patch ⊗ dz, on the backend (issue 16). Stride 1: one forward
 * convolution of the padded input with its images as channels, [inC, H, W, images], by dz as the filter,
 * [outH, outW, images, filters], gives [inC, kH, kW, filters]: no im2col rows (75 MB a step for cnnrnn's second
 * block) written in JS; there (8 channels in) that block's backward pass took about a quarter less CPU on wasm. With
 * few input channels (cnnrnn's first block: 1) the backend's convolution over 160 "channels" is the slower one, so
 * there, and for other strides, the transposed im2col rows and one untransposed product (image-rows.ts). The image
 * block and the helper thread both call this, so both give the same numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { im2colT, type Conv2DShape } from './image-rows.ts';
import { filledTensor } from './tensor-read.ts';

export function conv2dKernelGradient(
  x: Float32Array,
  dz: tf.Tensor2D,
  s: Conv2DShape,
  images: number,
  filters: number,
): Float32Array {
  const { inH, inW, inC, kH, kW, outH, outW, top, bottom, left, right } = s;
  if (s.strideH !== 1 || s.strideW !== 1 || inC < 4) {
    // dW = colsᵀ·dz, [taps, pixels]·[pixels, filters]: untransposed, already in the kernel's layout (dz on the right:
    // wasm's product repacks its right operand on every call, and dz is the small one)
    const colsT = filledTensor([kH * kW * inC, dz.shape[0]], (cols) => im2colT(x, images, s, cols));
    const dwt = tf.matMul(colsT, dz);
    const grad = dwt.dataSync() as Float32Array;
    tf.dispose([colsT, dwt]);
    return grad;
  }
  return tf.tidy(() => {
    const padded = tf.pad(tf.tensor4d(x, [images, inH, inW, inC]), [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ]);
    const input = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D;
    const filter = tf.transpose(tf.reshape(dz, [images, outH, outW, filters]), [1, 2, 0, 3]) as tf.Tensor4D;
    const dw = tf.transpose(tf.conv2d(input, filter, 1, 'valid'), [1, 2, 0, 3]);
    return dw.dataSync() as Float32Array;
  });
}
