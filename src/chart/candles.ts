/**
 * Candlestick charts with indicator panels for the CNN(+RNN) agent: a price panel (bodies and wicks, optional MA
 * line and Bollinger bands) over optional volume, RSI and MACD panels, any size, 1–4 channels.
 *
 * Each image depends only on the last `bars + lookback` candles: indicators are recomputed over that fixed window
 * (EMA-based ones get 100 extra candles to settle), so the same candles give the same picture in a backtest and in
 * the paper trader, whatever the series' first candle was.
 *
 * Channels (ink is max-blended):
 *   1: up candles 1.0, down candles 0.5, main lines 0.8, secondary lines 0.4
 *   2: [candles and volume (up 1.0 / down 0.5), lines (main 1.0 / secondary 0.5)]
 *   3: RGB for people and models alike — red = down candles/volume, green = up, blue = lines (main 1.0 / secondary 0.5)
 *   4: [down, up, main lines (MA, RSI, MACD), secondary lines (Bollinger, RSI 30/70 guides, MACD signal and histogram)]
 *   4 with `layers` (issue 16): one channel per element of the chart — [candles (up 1.0 / down 0.5), MA 1.0 and
 *      Bollinger 0.5, volume (up 1.0 / down 0.5), RSI or MACD (main 1.0 / secondary 0.5)] — so the network never has
 *      to tell a candle from a line that crosses it.
 */
import { sliceCandles, type Candles } from '../core/candles.ts';
import { bollinger, macd, rsi } from '../features/indicators.ts';
import { sma } from '../features/rolling.ts';
import { fillRect, line, plot, rowOf, vline, type Frame } from './draw.ts';
import { FrameRenderer } from './frame-renderer.ts';
import type { ImageSpec, PanelKind } from './spec.ts';

/** Extra candles EMA-based indicators (RSI, MACD) get before the window so their start-up bias has faded. */
const EMA_SETTLE = 100;
const BOLLINGER_PERIOD = 20;
const RSI_PERIOD = 14;
const MACD_WARMUP = 26 + 9 - 2;

/** Ink of each element: price-panel candles and lines, volume bars, oscillator (RSI, MACD) lines. */
interface Inks {
  up: number[];
  down: number[];
  main: number[];
  second: number[];
  volumeUp: number[];
  volumeDown: number[];
  oscMain: number[];
  oscSecond: number[];
}

/** Volume is drawn like the candles and oscillators like the price lines, except in the `layers` layout. */
function shared(ink: Pick<Inks, 'up' | 'down' | 'main' | 'second'>): Inks {
  return { ...ink, volumeUp: ink.up, volumeDown: ink.down, oscMain: ink.main, oscSecond: ink.second };
}

const INKS: Record<1 | 2 | 3 | 4, Inks> = {
  1: shared({ up: [1], down: [0.5], main: [0.8], second: [0.4] }),
  2: shared({ up: [1, 0], down: [0.5, 0], main: [0, 1], second: [0, 0.5] }),
  3: shared({ up: [0, 1, 0], down: [1, 0, 0], main: [0, 0, 1], second: [0, 0, 0.5] }),
  4: shared({ up: [0, 1, 0, 0], down: [1, 0, 0, 0], main: [0, 0, 1, 0], second: [0, 0, 0, 1] }),
};

const LAYERS: Inks = {
  up: [1, 0, 0, 0],
  down: [0.5, 0, 0, 0],
  main: [0, 1, 0, 0],
  second: [0, 0.5, 0, 0],
  volumeUp: [0, 0, 1, 0],
  volumeDown: [0, 0, 0.5, 0],
  oscMain: [0, 0, 0, 1],
  oscSecond: [0, 0, 0, 0.5],
};

interface PanelBox {
  kind: 'price' | PanelKind;
  top: number;
  rows: number;
}

/** Price panel gets 3 shares of the height, each indicator panel 1; panels are separated by one empty row. */
export function candleLayout(spec: ImageSpec): PanelBox[] {
  const panels = spec.panels ?? [];
  const usable = spec.height - panels.length;
  const unit = Math.floor(usable / (3 + panels.length));
  const boxes: PanelBox[] = [{ kind: 'price', top: 0, rows: usable - unit * panels.length }];
  let top = boxes[0].rows + 1;
  for (const p of panels) {
    boxes.push({ kind: p, top, rows: unit });
    top += unit + 1;
  }
  return boxes;
}

/** Candles of history the indicators need before the window's first bar. */
function candleLookback(spec: ImageSpec): number {
  const panels = spec.panels ?? [];
  return Math.max(
    0,
    spec.ma ? spec.ma - 1 : 0,
    spec.bollinger ? BOLLINGER_PERIOD - 1 : 0,
    panels.includes('rsi') ? RSI_PERIOD + EMA_SETTLE : 0,
    panels.includes('macd') ? MACD_WARMUP + EMA_SETTLE : 0,
  );
}

export class CandleRenderer extends FrameRenderer {
  private readonly lookback: number;
  private readonly boxes: PanelBox[];
  private readonly ink: Inks;
  /** Per bar: first and last body column and the wick column. */
  private readonly bodyFrom: Int32Array;
  private readonly bodyTo: Int32Array;
  private readonly wick: Int32Array;

  constructor(spec: ImageSpec) {
    const lookback = candleLookback(spec);
    super(spec, lookback);
    this.lookback = lookback;
    this.boxes = candleLayout(spec);
    this.ink = spec.layers ? LAYERS : INKS[spec.channels];
    this.bodyFrom = new Int32Array(spec.bars);
    this.bodyTo = new Int32Array(spec.bars);
    this.wick = new Int32Array(spec.bars);
    for (let k = 0; k < spec.bars; k++) {
      // Bar k owns columns x0..x1; with 3 or more it leaves the last one empty as a gap between candles.
      const x0 = Math.floor((k * spec.width) / spec.bars);
      const x1 = Math.floor(((k + 1) * spec.width) / spec.bars) - 1;
      const w = x1 - x0 + 1;
      this.bodyFrom[k] = x0;
      this.bodyTo[k] = w >= 3 ? x1 - 1 : x1;
      this.wick[k] = w >= 3 ? x0 + ((w - 2) >> 1) : x0 + ((w - 1) >> 1);
    }
  }

  protected draw(all: Candles, t: number, out: Float32Array, base: number): void {
    const { bars, width, height, channels } = this.spec;
    out.fill(0, base, base + this.frameSize);
    const from = t - bars + 1 - this.lookback;
    const c = sliceCandles(all, from, t + 1);
    const w0 = this.lookback; // index of the window's first bar in c
    const frame: Frame = { buf: out, base, width, height, channels };
    for (const box of this.boxes) {
      if (box.kind === 'price') this.drawPrice(frame, c, w0, box);
      else if (box.kind === 'volume') this.drawVolume(frame, c, w0, box);
      else if (box.kind === 'rsi') this.drawRsi(frame, c, w0, box);
      else this.drawMacd(frame, c, w0, box);
    }
  }

  private drawPrice(f: Frame, c: Candles, w0: number, box: PanelBox): void {
    const { bars, ma } = this.spec;
    // Moving averages over just the candles the window's bars need: value of bar k at index k + period − 1.
    const maLine = ma ? sma(c.close.subarray(w0 - ma + 1), ma) : undefined;
    const maAt = ma ? ma - 1 : 0;
    const bands = this.spec.bollinger
      ? bollinger(c.close.subarray(w0 - BOLLINGER_PERIOD + 1), BOLLINGER_PERIOD, 2)
      : undefined;
    const bbAt = BOLLINGER_PERIOD - 1;
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < bars; k++) {
      const i = w0 + k;
      if (c.low[i] < lo) lo = c.low[i];
      if (c.high[i] > hi) hi = c.high[i];
      if (maLine) {
        lo = Math.min(lo, maLine[maAt + k]);
        hi = Math.max(hi, maLine[maAt + k]);
      }
      if (bands) {
        lo = Math.min(lo, bands.lower[bbAt + k]);
        hi = Math.max(hi, bands.upper[bbAt + k]);
      }
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return;
    const y = (v: number) => rowOf(v, lo, hi, box.top, box.rows);
    if (bands) {
      this.polyline(f, bbAt, bands.upper, y, this.ink.second);
      this.polyline(f, bbAt, bands.lower, y, this.ink.second);
    }
    if (maLine) this.polyline(f, maAt, maLine, y, this.ink.main);
    for (let k = 0; k < bars; k++) {
      const i = w0 + k;
      const up = c.close[i] >= c.open[i];
      const ink = up ? this.ink.up : this.ink.down;
      vline(f, this.wick[k], y(c.high[i]), y(c.low[i]), ink);
      fillRect(f, this.bodyFrom[k], this.bodyTo[k], y(c.open[i]), y(c.close[i]), ink);
    }
  }

  private drawVolume(f: Frame, c: Candles, w0: number, box: PanelBox): void {
    let maxVolume = 0;
    for (let k = 0; k < this.spec.bars; k++) maxVolume = Math.max(maxVolume, c.volume[w0 + k]);
    if (!(maxVolume > 0)) return;
    const bottom = box.top + box.rows - 1;
    for (let k = 0; k < this.spec.bars; k++) {
      const i = w0 + k;
      const rows = Math.round((c.volume[i] / maxVolume) * box.rows);
      if (!(rows > 0)) continue;
      fillRect(
        f,
        this.bodyFrom[k],
        this.bodyTo[k],
        bottom - rows + 1,
        bottom,
        c.close[i] >= c.open[i] ? this.ink.volumeUp : this.ink.volumeDown,
      );
    }
  }

  private drawRsi(f: Frame, c: Candles, w0: number, box: PanelBox): void {
    const r = rsi(c.close, RSI_PERIOD);
    const y = (v: number) => rowOf(v, 0, 100, box.top, box.rows);
    for (let x = 0; x < f.width; x += 2) {
      plot(f, x, y(30), this.ink.oscSecond);
      plot(f, x, y(70), this.ink.oscSecond);
    }
    this.polyline(f, w0, r, y, this.ink.oscMain);
  }

  private drawMacd(f: Frame, c: Candles, w0: number, box: PanelBox): void {
    const m = macd(c.close, 12, 26, 9);
    let lo = 0;
    let hi = 0;
    for (let k = 0; k < this.spec.bars; k++) {
      const i = w0 + k;
      lo = Math.min(lo, m.macd[i], m.signal[i], m.histogram[i]);
      hi = Math.max(hi, m.macd[i], m.signal[i], m.histogram[i]);
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return;
    const y = (v: number) => rowOf(v, lo, hi, box.top, box.rows);
    const zero = y(0);
    for (let k = 0; k < this.spec.bars; k++) {
      fillRect(f, this.bodyFrom[k], this.bodyTo[k], zero, y(m.histogram[w0 + k]), this.ink.oscSecond);
    }
    this.polyline(f, w0, m.signal, y, this.ink.oscSecond);
    this.polyline(f, w0, m.macd, y, this.ink.oscMain);
  }

  /** A line through the wick columns of the window's bars; bar k's value is values[at + k]. */
  private polyline(f: Frame, at: number, values: Float64Array, y: (v: number) => number, ink: number[]): void {
    let prevX = -1;
    let prevY = 0;
    for (let k = 0; k < this.spec.bars; k++) {
      const v = values[at + k];
      if (!Number.isFinite(v)) {
        prevX = -1;
        continue;
      }
      const x = this.wick[k];
      const yy = y(v);
      if (prevX < 0) plot(f, x, yy, ink);
      else line(f, prevX, prevY, x, yy, ink);
      prevX = x;
      prevY = yy;
    }
  }
}
