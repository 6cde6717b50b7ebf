/** Observations at candle t (candles cut at t, features window, images, agent state), built the same way everywhere. */
import type { FeatureRows, Observation } from '../core/policy.ts';
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { Account } from './account.ts';
import { RevealedSeries } from './revealed-candles.ts';

/** Size of the agent state vector: [hold ratio, profit/loss ratio, price / average buy price − 1]. */
export const STATE_SIZE = 3;

/**
 * What the environment needs from a chart renderer (src/chart's ImageRenderer satisfies it):
 * frames ending at t, HWC floats in 0..1, drawn from candles ≤ t only.
 */
export interface ImageSequenceRenderer {
  readonly frameSize: number;
  /** First candle index that can be rendered. */
  readonly warmup: number;
  renderSequence(candles: Candles, t: number, frames: number, out: Float32Array, offset?: number): void;
}

export interface ObservationSource {
  candles: Candles;
  /**
   * Already scaled feature rows × cols, row i = candle i; rows before `firstValidRow` (FeatureMatrix's, 0 if absent)
   * are the features' warm-up zeros, which no observation's window reaches.
   */
  features?: { data: Float32Array; cols: number; firstValidRow?: number };
  /** Feature rows per observation, ending at t. 0: no features. */
  window: number;
  images?: { renderer: ImageSequenceRenderer; frames: number };
}

const NO_FEATURES = new Float32Array(0);

/**
 * First candle an observation can be built for: its `window` feature rows all past the features' warm-up (`warmup`
 * candles: their first valid row) and its image frames past the renderer's. The one rule for a recipe before any
 * candles (recipeWarmup) and for a builder over computed features, single-market and portfolio alike.
 */
export function firstObservation(o: {
  features?: { warmup: number; window: number };
  images?: { warmup: number; frames: number };
}): number {
  let first = 0;
  if (o.features) first = Math.max(first, o.features.warmup + Math.max(0, o.features.window - 1));
  if (o.images) first = Math.max(first, o.images.warmup + o.images.frames - 1);
  return first;
}

/** Builds observations for candle t with the same code in the environment, the engine and the paper trader. */
export class ObservationBuilder {
  readonly candles: Candles;
  readonly window: number;
  readonly cols: number;
  /** First t an observation can be built for (enough feature rows and image warm-up behind it). */
  readonly firstT: number;
  private readonly data: Float32Array;
  private readonly rows: FeatureRows | undefined;
  private readonly images?: { renderer: ImageSequenceRenderer; frames: number };
  /** The candles revealed to a policy so far (made on the first cut: networks read none). */
  private revealed: RevealedSeries | undefined;
  /** The last candles view handed out (candles 0…viewT), reused while t stays. */
  private view: Candles | undefined;
  private viewT = -1;

  constructor(src: ObservationSource) {
    const n = src.candles.close.length;
    this.candles = src.candles;
    this.window = src.window;
    if (!(Number.isInteger(src.window) && src.window >= 0))
      throw new UserError(`window must be a whole number ≥ 0, got ${src.window}`);
    if (src.features && src.window > 0) {
      const { data, cols } = src.features;
      if (!(cols > 0) || data.length < n * cols) {
        throw new UserError(`features hold ${data.length} values, need ${n} candles × ${cols} columns`);
      }
      this.data = data;
      this.cols = cols;
      this.rows = { data, cols };
    } else {
      if (src.window > 0) throw new UserError(`window ${src.window} asks for feature rows but no features were given`);
      this.data = NO_FEATURES;
      this.cols = 0;
      this.rows = undefined;
    }
    this.images = src.images;
    if (src.images && !(src.images.frames >= 1))
      throw new UserError(`images.frames must be ≥ 1, got ${src.images.frames}`);
    this.firstT = firstObservation({
      features: { warmup: this.rows ? (src.features?.firstValidRow ?? 0) : 0, window: this.window },
      ...(src.images ? { images: { warmup: src.images.renderer.warmup, frames: src.images.frames } } : {}),
    });
  }

  get imageFrameSize(): number | undefined {
    return this.images?.renderer.frameSize;
  }

  get frames(): number | undefined {
    return this.images?.frames;
  }

  /**
   * Candles 0…t: what an observation at t shows a policy, so that `close[t + 1]` is undefined and `close.length` is
   * t + 1 however a rule indexes it, and the views' `.buffer` holds no candle after the newest one revealed (see
   * revealed-candles.ts; appended to as t advances, so no decision copies the series).
   */
  candlesThrough(t: number): Candles {
    if (this.viewT !== t || !this.view) {
      this.view = (this.revealed ??= new RevealedSeries(this.candles)).through(t + 1);
      this.viewT = t;
    }
    return this.view;
  }

  /** A fresh observation for candle t (its arrays may be kept by the caller). */
  build(t: number, account: Account): Observation {
    const obs = new CutObservation(this, t, this.window, this.cols);
    if (this.rows) obs.featureRows = this.rows;
    if (this.images) obs.images = new Float32Array(this.images.frames * this.images.renderer.frameSize);
    return this.fill(obs, t, account);
  }

  /** The window × cols scaled feature rows ending at candle t (a view, not a copy; empty without features). */
  featureWindow(t: number): Float32Array {
    return this.cols > 0 ? this.data.subarray((t - this.window + 1) * this.cols, (t + 1) * this.cols) : NO_FEATURES;
  }

  /** Rewrites `obs` for candle t in place (the engine's path: one observation for a whole run). */
  fill(obs: Observation, t: number, account: Account): Observation {
    obs.t = t;
    if (this.cols > 0) obs.features = this.featureWindow(t);
    writeState(obs.state, account, this.candles.close[t]);
    obs.fills = account.buys + account.sells;
    if (this.images && obs.images) this.imageSequence(t, obs.images, 0);
    return obs;
  }

  /**
   * The image sequence ending at candle t (frames × frameSize values, candles ≤ t only) into out[offset…]: the one
   * place frames are cut, for single-market and portfolio observations alike.
   */
  imageSequence(t: number, out: Float32Array, offset: number): void {
    if (!this.images) throw new Error(`ObservationBuilder.imageSequence: ${this.candles.symbol} has no image renderer`);
    this.images.renderer.renderSequence(this.candles, t, this.images.frames, out, offset);
  }
}

/**
 * An observation whose `candles` are cut at its t when read: a prototype getter, so every observation has one shape
 * and one that no policy reads candles from (networks) costs no views. The builder is a private field: the policy
 * cannot reach the whole series through it.
 */
class CutObservation implements Observation {
  readonly #builder: ObservationBuilder;
  t: number;
  features: Float32Array = NO_FEATURES;
  featureRows?: FeatureRows = undefined;
  window: number;
  cols: number;
  state = new Float32Array(STATE_SIZE);
  images?: Float32Array = undefined;
  fills?: number = undefined;

  constructor(builder: ObservationBuilder, t: number, window: number, cols: number) {
    this.#builder = builder;
    this.t = t;
    this.window = window;
    this.cols = cols;
  }

  get candles(): Candles {
    return this.#builder.candlesThrough(this.t);
  }
}

/** The agent state at a price: hold ratio, profit/loss since the start, price / average buy price − 1. */
function writeState(out: Float32Array, account: Account, price: number): void {
  out[0] = account.holdRatio(price);
  out[1] = account.profitLoss(price);
  out[2] = account.priceToAvgBuy(price);
}
