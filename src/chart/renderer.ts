/** The renderer for an image spec, apart from the PNG writer so that drawing does not load sharp. */
import { CandleRenderer } from './candles.ts';
import { OhlcRenderer } from './ohlc.ts';
import { validateImageSpec, type ImageRenderer, type ImageSpec } from './spec.ts';

/**
 * A renderer for a spec (checked: a bad spec → UserError). Renderers keep small scratch buffers: one per thread of use.
 */
export function createImageRenderer(spec: ImageSpec): ImageRenderer {
  const checked = validateImageSpec(spec);
  return checked.style === 'ohlc' ? new OhlcRenderer(checked) : new CandleRenderer(checked);
}
