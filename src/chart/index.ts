/**
 * Chart images straight from candles into Float32 pixel buffers (HWC, 0..1) ready for tf.tensor without any
 * encode/decode; sharp only writes PNG files for people (png.ts).
 */
import { CandleRenderer } from './candles.ts';
import { OhlcRenderer } from './ohlc.ts';
import { validateImageSpec, type ImageRenderer, type ImageSpec } from './spec.ts';

export type { ImageRenderer, ImageSpec, ImageStyle, PanelKind } from './spec.ts';
export { formatImageSpec, parseImageSpec, validateImageSpec } from './spec.ts';
export { contactSheet, enlarge, readPng, toBytes, viewable, writePng } from './png.ts';

/**
 * A renderer for a spec (checked: a bad spec → UserError). Renderers keep small scratch buffers: one per thread of use.
 */
export function createImageRenderer(spec: ImageSpec): ImageRenderer {
  const checked = validateImageSpec(spec);
  return checked.style === 'ohlc' ? new OhlcRenderer(checked) : new CandleRenderer(checked);
}
