/**
 * Copies a float32 tensor's values into an array the caller owns. dataSync allocates a fresh array on wasm (a copy out
 * of its heap) on every call; a trainer reading a few 500 KB activations per step paid for those allocations in page
 * faults and GC. On wasm this reads through a view of the heap instead; elsewhere it copies what dataSync returns.
 */
import * as tf from '@tensorflow/tfjs';

interface WasmHeapReader {
  typedArrayFromHeap(info: { dataId: object; shape: number[]; dtype: 'float32' }): Float32Array;
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
