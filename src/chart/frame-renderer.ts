/** What every image style shares: bounds checks, single frames and sequences. */
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { ImageRenderer, ImageSpec } from './spec.ts';

/** What every image style shares: bounds checks, single frames and sequences; a style only draws one frame. */
export abstract class FrameRenderer implements ImageRenderer {
  readonly spec: ImageSpec;
  readonly frameSize: number;
  readonly warmup: number;

  protected constructor(spec: ImageSpec, lookback: number) {
    this.spec = spec;
    this.frameSize = spec.height * spec.width * spec.channels;
    this.warmup = spec.bars - 1 + lookback;
  }

  /** Draws the window ending at candle t into out[base, base + frameSize), using candles ≤ t only. */
  protected abstract draw(candles: Candles, t: number, out: Float32Array, base: number): void;

  render(candles: Candles, t: number, out: Float32Array, offset = 0): void {
    this.check(candles, t, 1, out, offset);
    this.draw(candles, t, out, offset);
  }

  renderSequence(candles: Candles, t: number, frames: number, out: Float32Array, offset = 0): void {
    this.check(candles, t, frames, out, offset);
    for (let f = 0; f < frames; f++) this.draw(candles, t - frames + 1 + f, out, offset + f * this.frameSize);
  }

  private check(candles: Candles, t: number, frames: number, out: Float32Array, offset: number): void {
    if (!Number.isInteger(frames) || frames < 1)
      throw new UserError(`image sequence needs at least 1 frame (got ${frames})`);
    if (!Number.isInteger(t) || t - frames + 1 < this.warmup || t >= candles.close.length) {
      throw new UserError(
        `cannot render the window ending at candle ${t}: needs ${this.warmup} ` +
          `earlier candles and t < ${candles.close.length}`,
      );
    }
    if (offset < 0 || offset + frames * this.frameSize > out.length)
      throw new UserError(
        `image buffer too small: needs ${frames * this.frameSize} values at offset ${offset}, has ${out.length}`,
      );
  }
}
