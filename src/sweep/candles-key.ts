/**
 * A sweep market's key, by which jobs over the same candles are found whatever the file's name. Apart from the job
 * runner (run-job.ts) so that planning a sweep loads no training code nor TensorFlow.js.
 */
import type { Candles } from '../core/candles.ts';
import { hashData } from '../core/hash-data.ts';

/** A market's key: sha256 of its timeframe and numbers (not its label: a renamed file is the same market). */
export function candlesKey(c: Candles): string {
  // the timeframe too: the same numbers read as other candles (--timeframe) annualise otherwise, so are other jobs
  return hashData(new TextEncoder().encode(c.timeframe), c.ts, c.open, c.high, c.low, c.close, c.volume).slice(0, 32);
}
