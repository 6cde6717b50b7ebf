/** Small numeric helpers over network head outputs: argmax, sigmoid, softmax of a row. */

export function argmax(a: Float32Array, from = 0, n = a.length - from): number {
  let best = from;
  for (let i = from + 1; i < from + n; i++) if (a[i] > a[best]) best = i;
  return best - from;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Softmax of row `row` of width n into `out`. */
export function softmaxRow(src: Float32Array, row: number, n: number, out: Float32Array): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, src[row * n + i]);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Math.exp(src[row * n + i] - max);
    sum += out[i];
  }
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}
