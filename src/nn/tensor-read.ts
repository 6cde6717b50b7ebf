/**
 * Copies a float32 tensor's values into an array the caller owns. dataSync allocates a fresh array on wasm (a copy out
 * of its heap) on every call; a trainer reading a few 500 KB activations per step paid for those allocations in page
 * faults and GC. On wasm this reads through a view of the heap instead; elsewhere it copies what dataSync returns.
 */
import * as tf from '@tensorflow/tfjs';

interface WasmHeapReader {
  typedArrayFromHeap(info: { dataId: object; shape: number[]; dtype: 'float32' }): Float32Array;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/**
 * A new float32 tensor whose values `fill` writes in place: on wasm straight into the tensor's memory in the heap
 * (the image blocks' im2col rows are 40–75 MB a step: written once instead of written and copied), elsewhere into an
 * array the tensor then takes. `fill` must not touch tfjs (a heap that grows would leave the view stale).
 */
export function filledTensor(shape: number[], fill: (values: Float32Array) => void): tf.Tensor {
  if (tf.getBackend() === 'wasm') {
    const backend = tf.backend() as unknown as WasmHeapReader;
    const info = backend.makeOutput(shape, 'float32');
    fill(backend.typedArrayFromHeap({ dataId: info.dataId, shape, dtype: 'float32' }));
    return tf.engine().makeTensorFromTensorInfo(info);
  }
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  fill(values);
  return tf.tensor(values, shape, 'float32');
}

export function readInto(t: tf.Tensor, out: Float32Array): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`readInto: a ${t.dtype} tensor`);
  if (out.length !== t.size) throw new Error(`readInto: ${t.size} values into an array of ${out.length}`);
  if (tf.getBackend() === 'wasm') {
    // a view is valid until the heap grows; it is used at once
    out.set(
      (tf.backend() as unknown as WasmHeapReader).typedArrayFromHeap({
        dataId: t.dataId,
        shape: t.shape,
        dtype: 'float32',
      }),
    );
  } else {
    out.set(t.dataSync() as Float32Array);
  }
  return out;
}
