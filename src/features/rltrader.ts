/** RLTrader's price and volume ratio features. */
import type { Candles } from '../core/candles.ts';
import type { FeatureSet } from './matrix.ts';
import { safeDiv, sma } from './rolling.ts';

const WINDOWS = [5, 10, 20, 60, 120] as const;

/**
 * RLTrader's (quantylab/rltrader, data_manager.preprocess) price and volume ratios:
 *   open_lastclose   = (open_t − close_{t−1}) / close_{t−1}
 *   high_close       = (high_t − close_t) / close_t
 *   low_close        = (low_t − close_t) / close_t
 *   close_lastclose  = (close_t − close_{t−1}) / close_{t−1}      (RLTrader's `diffratio`)
 *   volume_lastvolume= (volume_t − volume_{t−1}) / volume_{t−1}
 *   close_maN        = (close_t − SMA_N(close)_t) / SMA_N(close)_t, volume_maN likewise, N ∈ {5,10,20,60,120}
 * RLTrader replaces a zero previous volume by the last non-zero one before it and, failing that, by the next one after
 * it (pandas bfill) — that second step looks ahead, so here the ratio is 0 until a non-zero volume has been seen.
 */
export const rltraderV1: FeatureSet = {
  name: 'rltrader-v1',
  version: 1,
  description: "RLTrader's OHLCV ratios and close/volume distances to 5–120-candle moving averages",
  columns: [
    'open_lastclose',
    'high_close',
    'low_close',
    'close_lastclose',
    'volume_lastvolume',
    ...WINDOWS.flatMap((n) => [`close_ma${n}`, `volume_ma${n}`]),
  ],
  warmup: Math.max(...WINDOWS) - 1,
  settle: 0,
  compute(c: Candles, out: Float64Array[]): void {
    const n = c.close.length;
    const [openLast, highClose, lowClose, closeLast, volumeLast] = out;
    let lastNonZeroVolume = 0;
    for (let i = 0; i < n; i++) {
      const close = c.close[i];
      highClose[i] = safeDiv(c.high[i] - close, close);
      lowClose[i] = safeDiv(c.low[i] - close, close);
      if (i === 0) {
        openLast[i] = 0;
        closeLast[i] = 0;
        volumeLast[i] = 0;
      } else {
        const prevClose = c.close[i - 1];
        openLast[i] = safeDiv(c.open[i] - prevClose, prevClose);
        closeLast[i] = safeDiv(close - prevClose, prevClose);
        const prevVolume = c.volume[i - 1];
        if (prevVolume !== 0) lastNonZeroVolume = prevVolume;
        volumeLast[i] = safeDiv(c.volume[i] - prevVolume, lastNonZeroVolume);
      }
    }
    const ma = new Float64Array(n);
    WINDOWS.forEach((w, k) => {
      const closeCol = out[5 + 2 * k];
      const volumeCol = out[6 + 2 * k];
      sma(c.close, w, ma);
      for (let i = 0; i < n; i++) closeCol[i] = safeDiv(c.close[i] - ma[i], ma[i]);
      sma(c.volume, w, ma);
      for (let i = 0; i < n; i++) volumeCol[i] = safeDiv(c.volume[i] - ma[i], ma[i]);
    });
  },
};
