/**
 * What a portfolio agent sees at the close of clock time ts (issue 14): the feature window of every traded and
 * informative series, each cut by the single-market ObservationBuilder at that series' last candle opening at or
 * before ts (nothing later), chart-image frames of the first `images.series` series when the recipe asks (cut by the
 * same ObservationBuilder, so a series' frames equal the single-market observation's), and the agent state (each
 * traded market's weight, P/L since the start). The same builder serves the learning environment, the backtest
 * engine's policy and the paper trader.
 */
import { lastAtOrBefore, type Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { isoTime } from '../data/timeframe.ts';
import type { Observation } from '../core/policy.ts';
import { ObservationBuilder, type ImageSequenceRenderer } from './observation.ts';

/**
 * One series and its scaled feature rows (row i = candle i, computed from candles ≤ i); rows before `firstValidRow`
 * (the FeatureMatrix's) are the warm-up's zeros, so no decision's window starts before it.
 */
export interface FeatureSeries {
  candles: Candles;
  features: { data: Float32Array; cols: number; firstValidRow: number };
}

/** Chart-image frames for the first `series` series (traded first): `frames` images per series, one renderer. */
interface PortfolioImages {
  renderer: ImageSequenceRenderer;
  frames: number;
  series: number;
}

export class PortfolioObservationBuilder {
  readonly window: number;
  /** Feature columns per series. */
  readonly cols: number;
  /** Columns of one observation row: every series' columns side by side (traded first, then informative). */
  readonly width: number;
  /**
   * The state vector's length: traded markets' weights, then P/L. With images the network's one trunk input is the
   * frames (src/nn takes one), so the feature windows (window × width) ride ahead of the weights in the state vector
   * and reach the heads beside the image trunk's output.
   */
  readonly stateSize: number;
  /** Values of `images` per observation (series × frames × frame size); 0 without images. */
  readonly imageSize: number;
  /**
   * First open time at which every series has a full feature window (its features' first valid row plus the window)
   * and image warm-up: decisions and training start there.
   */
  readonly firstTs: number;
  /** The series that set `firstTs`. */
  readonly firstLimitedBy: string;
  private readonly builders: ObservationBuilder[];

  /** `series`: the traded markets (the first `traded`) and then the informative ones. */
  constructor(
    readonly series: readonly FeatureSeries[],
    readonly traded: number,
    window: number,
    readonly images?: PortfolioImages,
  ) {
    if (!(window >= 1)) throw new UserError(`a portfolio agent needs a feature window ≥ 1, got ${window}`);
    if (!(traded >= 1 && traded <= series.length)) throw new UserError(`traded markets: ${traded} of ${series.length}`);
    if (images && !(images.series >= 1 && images.series <= series.length))
      throw new UserError(`image series: ${images.series} of ${series.length}`);
    this.builders = series.map(
      (s, i) =>
        new ObservationBuilder({
          candles: s.candles,
          features: s.features,
          window,
          ...(images && i < images.series ? { images: { renderer: images.renderer, frames: images.frames } } : {}),
        }),
    );
    const cols = series[0].features.cols;
    for (const s of series)
      if (s.features.cols !== cols)
        throw new UserError(`series ${s.candles.symbol} has ${s.features.cols} feature columns, expected ${cols}`);
    const tf = series[0].candles.timeframe;
    for (const s of series)
      if (s.candles.timeframe !== tf)
        throw new UserError(`series ${s.candles.symbol} is ${s.candles.timeframe}, ${series[0].candles.symbol} ${tf}`);
    this.window = window;
    this.cols = cols;
    this.width = cols * series.length;
    this.stateSize = traded + 1 + (images ? window * this.width : 0);
    this.imageSize = images ? images.series * images.frames * images.renderer.frameSize : 0;
    let first = -Infinity;
    let by = series[0].candles.symbol;
    this.builders.forEach((b, i) => {
      const c = series[i].candles;
      if (b.firstT >= c.ts.length)
        throw new UserError(
          `series ${c.symbol}: ${c.ts.length} candles, fewer than its features' warm-up and window (and image ` +
            `warm-up) need: ${b.firstT + 1}`,
        );
      if (c.ts[b.firstT] > first) [first, by] = [c.ts[b.firstT], c.symbol];
    });
    this.firstTs = first;
    this.firstLimitedBy = by;
  }

  /** A fresh observation at the close of ts: weights of the traded markets and P/L (value / start − 1). */
  build(ts: number, weights: readonly number[], profitLoss: number): Observation {
    const x = new Float32Array(this.window * this.width);
    const state = new Float32Array(this.stateSize);
    const obs: Observation = {
      t: 0,
      candles: this.series[0].candles,
      features: x,
      window: this.window,
      cols: this.width,
      state,
    };
    if (this.images) obs.images = new Float32Array(this.imageSize);
    return this.fill(obs, ts, weights, profitLoss);
  }

  /** Rewrites `obs` (built here) for the close of ts in place. */
  fill(obs: Observation, ts: number, weights: readonly number[], profitLoss: number): Observation {
    const { window, cols, width } = this;
    const x = obs.features;
    for (let s = 0; s < this.series.length; s++) {
      const c = this.series[s].candles;
      const idx = lastAtOrBefore(c.ts, ts);
      if (idx < this.builders[s].firstT) {
        throw new UserError(
          `features are not full until ${isoTime(this.firstTs)} (${this.firstLimitedBy}'s warm-up): ` +
            `no observation at ${isoTime(ts)}`,
        );
      }
      const rows = this.builders[s].featureWindow(idx);
      for (let r = 0; r < window; r++) x.set(rows.subarray(r * cols, (r + 1) * cols), r * width + s * cols);
      if (s === 0) obs.t = idx;
      if (obs.images && this.images && s < this.images.series)
        this.builders[s].imageSequence(idx, obs.images, (s * this.imageSize) / this.images.series);
    }
    const at = this.images ? x.length : 0;
    if (this.images) obs.state.set(x, 0);
    for (let m = 0; m < this.traded; m++) obs.state[at + m] = weights[m];
    obs.state[at + this.traded] = profitLoss;
    return obs;
  }
}
