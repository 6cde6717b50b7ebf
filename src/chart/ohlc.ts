/**
 * OHLC bar images after Jiang, Kelly & Xiu, "(Re-)Imag(in)ing Price Trends" (2023): black background, white bars,
 * 3 pixels per candle — open tick in the left column, high–low bar in the middle column, close tick in the right
 * column — prices scaled to the window's lowest low and highest high (and the MA line, when drawn, which is part of
 * the range as in the paper); an optional moving-average line through the middle columns; optional volume bars in the
 * bottom fifth, scaled to the window's largest volume, separated from the prices by one empty row.
 */
import type { Candles } from '../core/candles.ts';
import { line, rowOf, type Frame } from './draw.ts';
import { FrameRenderer } from './frame-renderer.ts';
import type { ImageSpec } from './spec.ts';

const WHITE = [1];

interface OhlcLayout {
  priceTop: number;
  priceRows: number;
  /** 0 when there are no volume bars. */
  volumeRows: number;
}

export function ohlcLayout(spec: ImageSpec): OhlcLayout {
  if (!spec.volume) return { priceTop: 0, priceRows: spec.height, volumeRows: 0 };
  const volumeRows = Math.max(1, Math.round(spec.height / 5));
  return { priceTop: 0, priceRows: spec.height - volumeRows - 1, volumeRows };
}

export class OhlcRenderer extends FrameRenderer {
  private readonly layout: OhlcLayout;
  private readonly maValues: Float64Array;

  constructor(spec: ImageSpec) {
    super(spec, spec.ma ? spec.ma - 1 : 0);
    this.layout = ohlcLayout(spec);
    this.maValues = new Float64Array(spec.bars);
  }

  protected draw(c: Candles, t: number, out: Float32Array, base: number): void {
    const { bars, width, height, ma } = this.spec;
    const { priceTop, priceRows, volumeRows } = this.layout;
    out.fill(0, base, base + this.frameSize);
    const t0 = t - bars + 1;
    let lo = Infinity;
    let hi = -Infinity;
    let maxVolume = 0;
    for (let i = t0; i <= t; i++) {
      const l = c.low[i];
      const h = c.high[i];
      if (l < lo) lo = l;
      if (h > hi) hi = h;
      const v = c.volume[i];
      if (v > maxVolume) maxVolume = v;
    }
    const maValues = this.maValues;
    if (ma) {
      let sum = 0;
      for (let i = t0 - ma + 1; i <= t0; i++) sum += c.close[i];
      for (let k = 0; k < bars; k++) {
        if (k > 0) sum += c.close[t0 + k] - c.close[t0 + k - ma];
        const v = sum / ma;
        maValues[k] = v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    // a window of bad prices draws nothing rather than garbage
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return;
    if (ma) {
      const frame: Frame = { buf: out, base, width, height, channels: 1 };
      let prevY = rowOf(maValues[0], lo, hi, priceTop, priceRows);
      if (bars === 1) line(frame, 1, prevY, 1, prevY, WHITE);
      for (let k = 1; k < bars; k++) {
        const y = rowOf(maValues[k], lo, hi, priceTop, priceRows);
        line(frame, 3 * k - 2, prevY, 3 * k + 1, y, WHITE);
        prevY = y;
      }
    }
    for (let k = 0; k < bars; k++) {
      const i = t0 + k;
      const x = 3 * k;
      const yHigh = rowOf(c.high[i], lo, hi, priceTop, priceRows);
      const yLow = rowOf(c.low[i], lo, hi, priceTop, priceRows);
      out[base + rowOf(c.open[i], lo, hi, priceTop, priceRows) * width + x] = 1;
      out[base + rowOf(c.close[i], lo, hi, priceTop, priceRows) * width + x + 2] = 1;
      for (let y = yHigh; y <= yLow; y++) out[base + y * width + x + 1] = 1;
      if (volumeRows > 0 && maxVolume > 0) {
        const v = c.volume[i];
        const rows = v > 0 ? Math.min(volumeRows, Math.round((v / maxVolume) * volumeRows)) : 0;
        for (let r = 0; r < rows; r++) out[base + (height - 1 - r) * width + x + 1] = 1;
      }
    }
  }
}
