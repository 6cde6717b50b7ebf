/** Chart image specs: parsing, validation and printing, and the ImageRenderer contract. */
import { UserError } from '../core/errors.ts';
import type { Candles } from '../core/candles.ts';

export type ImageStyle = 'ohlc' | 'candles';
export type PanelKind = 'volume' | 'rsi' | 'macd';

export interface ImageSpec {
  style: ImageStyle;
  height: number;
  width: number;
  /** Candles in one image (the window ending at t). */
  bars: number;
  channels: 1 | 2 | 3 | 4;
  /** Moving-average line over this many candles (ohlc: JKX draw MA(bars)); absent: none. */
  ma?: number;
  /** ohlc: volume bars in the bottom fifth. */
  volume?: boolean;
  /** candles: indicator panels beneath the price panel, top to bottom. */
  panels?: PanelKind[];
  /** candles: Bollinger bands (20, 2) on the price panel. */
  bollinger?: boolean;
  /**
   * candles, 4 channels: one channel per element — candles, MA and Bollinger lines, volume, RSI/MACD — instead of
   * [down, up, main lines, secondary lines] (issue 16).
   */
  layers?: boolean;
}

const PANELS: readonly PanelKind[] = ['volume', 'rsi', 'macd'];

/** Checks a spec and returns a normalised copy; anything wrong → UserError naming it. */
export function validateImageSpec(spec: ImageSpec): ImageSpec {
  const { style, height, width, bars, channels } = spec;
  const int = (v: unknown, name: string, min: number, max: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new UserError(`image spec: ${name} must be a whole number in ${min}..${max} (got ${String(v)})`);
  };
  if (style !== 'ohlc' && style !== 'candles')
    throw new UserError(`image spec: style must be ohlc or candles (got "${String(style)}")`);
  int(height, 'height', 8, 2048);
  int(width, 'width', 3, 4096);
  int(bars, 'bars', 1, 4096);
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4)
    throw new UserError(`image spec: channels must be 1, 2, 3 or 4 (got ${String(channels)})`);
  if (spec.ma !== undefined) int(spec.ma, 'ma', 1, 10_000);
  if (style === 'ohlc') {
    if (width !== 3 * bars)
      throw new UserError(
        `image spec: ohlc images are 3 pixels per bar, so width must be 3 × bars = ${3 * bars} (got ${width})`,
      );
    if (channels !== 1) throw new UserError('image spec: ohlc images have 1 channel');
    if (spec.panels?.length || spec.bollinger || spec.layers)
      throw new UserError('image spec: panels, bollinger and layers belong to the candles style');
  } else {
    if (spec.volume)
      throw new UserError(
        'image spec: candles charts show volume as a panel (panels: volume), not as ohlc volume bars',
      );
    if (width < bars)
      throw new UserError(`image spec: candles need at least 1 pixel per bar (width ${width} < bars ${bars})`);
    if (spec.layers && channels !== 4)
      throw new UserError(`image spec: layers draws candles, lines, volume, RSI/MACD in 4 channels (got c${channels})`);
    for (const p of spec.panels ?? [])
      if (!PANELS.includes(p))
        throw new UserError(`image spec: unknown panel "${String(p)}" (use ${PANELS.join(', ')})`);
    if (new Set(spec.panels ?? []).size !== (spec.panels ?? []).length)
      throw new UserError('image spec: a panel appears twice');
    const rowsPerPanel = height / (3 + (spec.panels?.length ?? 0));
    if (rowsPerPanel < 4)
      throw new UserError(
        `image spec: height ${height} is too small for ${spec.panels?.length ?? 0} panels (each needs ≥ 4 rows)`,
      );
  }
  return { ...spec, panels: spec.panels ? [...spec.panels] : undefined };
}

/**
 * Reads `style:HxW:bars[:option…]`, e.g. `ohlc:64x60:20`, `ohlc:32x15:5:novol`,
 * `candles:64x64:20:c4:ma20:bb:volume:rsi`.
 * Options: `c<N>` channels, `ma<N>` moving average, `noma`, `vol`/`novol`, `bb`, `layers` (4 channels, one per
 * element: candles, MA/Bollinger, volume, RSI/MACD), and panel names `volume`, `rsi`, `macd`.
 * ohlc defaults follow Jiang, Kelly & Xiu: MA over `bars` candles and volume bars.
 */
export function parseImageSpec(text: string): ImageSpec {
  const parts = text.trim().split(':');
  const m = parts.length >= 3 ? /^(\d+)x(\d+)$/.exec(parts[1]) : null;
  if (!m || !/^\d+$/.test(parts[2])) {
    throw new UserError(
      `image spec "${text}": expected style:HEIGHTxWIDTH:BARS[:options], ` +
        'e.g. ohlc:64x60:20 or candles:64x64:20:c4:ma20:volume:rsi',
    );
  }
  const style = parts[0] as ImageStyle;
  const spec: ImageSpec = { style, height: Number(m[1]), width: Number(m[2]), bars: Number(parts[2]), channels: 1 };
  if (style === 'ohlc') {
    spec.ma = spec.bars;
    spec.volume = true;
  }
  for (const opt of parts.slice(3)) {
    let o: RegExpExecArray | null;
    if ((o = /^c([1-4])$/.exec(opt))) spec.channels = Number(o[1]) as ImageSpec['channels'];
    else if ((o = /^ma(\d+)$/.exec(opt))) spec.ma = Number(o[1]);
    else if (opt === 'noma') delete spec.ma;
    else if (opt === 'novol') spec.volume = false;
    else if (opt === 'vol') spec.volume = true;
    else if (opt === 'bb') spec.bollinger = true;
    else if (opt === 'layers') spec.layers = true;
    else if ((PANELS as readonly string[]).includes(opt)) (spec.panels ??= []).push(opt as PanelKind);
    else
      throw new UserError(
        `image spec "${text}": unknown option "${opt}" (c1..c4, maN, noma, vol, novol, bb, layers, volume, rsi, macd)`,
      );
  }
  // `layers` means 4 channels unless a c<N> says otherwise (and validation then names the conflict)
  if (spec.layers && !parts.slice(3).some((o) => /^c\d$/.test(o))) spec.channels = 4;
  return validateImageSpec(spec);
}

/** The text form of a spec (inverse of parseImageSpec for the fields it carries). */
export function formatImageSpec(spec: ImageSpec): string {
  const parts: string[] = [spec.style, `${spec.height}x${spec.width}`, String(spec.bars)];
  if (spec.channels !== 1) parts.push(`c${spec.channels}`);
  if (spec.ma !== undefined) parts.push(`ma${spec.ma}`);
  else if (spec.style === 'ohlc') parts.push('noma');
  if (spec.style === 'ohlc') parts.push(spec.volume ? 'vol' : 'novol');
  if (spec.bollinger) parts.push('bb');
  if (spec.layers) parts.push('layers');
  for (const p of spec.panels ?? []) parts.push(p);
  return parts.join(':');
}

/** Turns the window of candles ending at t into pixels. */
export interface ImageRenderer {
  readonly spec: ImageSpec;
  /** height × width × channels. */
  readonly frameSize: number;
  /** First candle index that can be rendered (it has every candle its window and indicators need). */
  readonly warmup: number;
  /** Writes one HWC frame, values 0..1, into out[offset…]; uses candles ≤ t only. */
  render(candles: Candles, t: number, out: Float32Array, offset?: number): void;
  /** Frames for t−frames+1 … t, one after another (each equal to `render` at its t). */
  renderSequence(candles: Candles, t: number, frames: number, out: Float32Array, offset?: number): void;
}
