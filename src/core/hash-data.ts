/**
 * sha256 over typed arrays: a model's training rows (meta.dataHash), a sweep market's candles, a model's weights.
 * Apart from the model files (src/nn/model-files.ts) so that hashing candles loads no TensorFlow.js.
 */
import { createHash } from 'node:crypto';

/** sha256 over typed arrays (e.g. the training rows), for meta.dataHash. */
export function hashData(...arrays: ArrayBufferView[]): string {
  const h = createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}
