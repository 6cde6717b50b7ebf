/** PNG in and out of float images, and contact sheets for looking at them. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { UserError } from '../core/errors.ts';
import { CHANNEL_GAP, sheetLayout, SHEET_GAP, viewSize } from './layout.ts';

/** 0..1 floats → bytes (round to nearest, clamped); bytes pass through. */
export function toBytes(pixels: Float32Array | Uint8Array): Uint8Array {
  if (pixels instanceof Uint8Array) return pixels;
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const v = Math.round(pixels[i] * 255);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

/**
 * Writes HWC pixels as a PNG, channel for channel: 1 = grey, 2 = grey + alpha, 3 = RGB, 4 = RGBA.
 * Floats are taken as 0..1 and stored as round(v·255), so decoding gives back exactly those bytes.
 */
export async function writePng(
  file: string,
  pixels: Float32Array | Uint8Array,
  width: number,
  height: number,
  channels: number,
): Promise<void> {
  if (![1, 2, 3, 4].includes(channels)) throw new UserError(`PNG needs 1–4 channels (got ${channels})`);
  if (pixels.length !== width * height * channels)
    throw new UserError(
      `PNG ${width}×${height}×${channels} needs ${width * height * channels} values, got ${pixels.length}`,
    );
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  try {
    // Without b-w, sharp stores 1- and 2-channel raw input as RGB(A).
    await sharp(toBytes(pixels), { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } })
      .toColourspace(channels <= 2 ? 'b-w' : 'srgb')
      .png({ compressionLevel: 6 })
      .toFile(file);
  } catch (e) {
    throw new UserError(`cannot write ${file}: ${(e as Error).message}`);
  }
}

interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** Reads a PNG back to raw HWC bytes (tests, and checking a file by eye in code). */
export async function readPng(file: string): Promise<DecodedImage> {
  const stored = (await sharp(file).metadata()).channels ?? 3;
  if (stored === 1) {
    const { data, info } = await sharp(file).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels: 1,
    };
  }
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  if (stored === 2) {
    // sharp decodes grey + alpha as RGBA with R = G = B = grey: keep grey and alpha.
    const n = info.width * info.height;
    const out = new Uint8Array(n * 2);
    for (let i = 0; i < n; i++) {
      out[2 * i] = data[i * info.channels];
      out[2 * i + 1] = data[i * info.channels + info.channels - 1];
    }
    return { data: out, width: info.width, height: info.height, channels: 2 };
  }
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    channels: info.channels,
  };
}

/** RGB of each channel of a `layers` image: candles white, MA/Bollinger orange, volume grey, RSI/MACD cyan. */
const LAYER_COLOURS = [
  [1, 1, 1],
  [1, 0.6, 0],
  [0.7, 0.7, 0.7],
  [0, 0.9, 1],
];

/**
 * What people look at: 1- and 3-channel frames as they are; 2- and 4-channel frames as their channels side by side
 * in grey (a 4-channel RGBA PNG would hide the candles behind the alpha channel), same pixel values; a 4-channel
 * `layers` image (one element per channel) as one colour chart, each channel in its colour (brightest wins).
 */
export function viewable(
  pixels: Float32Array,
  width: number,
  height: number,
  channels: number,
  layers = false,
): { pixels: Float32Array; width: number; height: number; channels: 1 | 3 } {
  const view = viewSize(width, height, channels, layers);
  if (channels === 1 || channels === 3) return { pixels, ...view };
  if (layers && channels === 4) {
    const out = new Float32Array(width * height * 3);
    for (let p = 0; p < width * height; p++)
      for (let ch = 0; ch < 4; ch++) {
        const v = pixels[p * 4 + ch];
        for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.max(out[p * 3 + c], v * LAYER_COLOURS[ch][c]);
      }
    return { pixels: out, width, height, channels: 3 };
  }
  const gap = CHANNEL_GAP;
  const outWidth = view.width;
  const out = new Float32Array(outWidth * height).fill(0.25);
  for (let ch = 0; ch < channels; ch++) {
    const x0 = ch * (width + gap);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) out[y * outWidth + x0 + x] = pixels[(y * width + x) * channels + ch];
  }
  return { pixels: out, width: outWidth, height, channels: 1 };
}

/** Nearest-neighbour enlargement by a whole factor, so every model pixel becomes a scale×scale block. */
export function enlarge(
  pixels: Float32Array,
  width: number,
  height: number,
  channels: number,
  scale: number,
): Float32Array {
  if (scale === 1) return pixels;
  const w = width * scale;
  const out = new Float32Array(w * height * scale * channels);
  for (let y = 0; y < height * scale; y++) {
    const sy = Math.floor(y / scale);
    for (let x = 0; x < w; x++) {
      const src = (sy * width + Math.floor(x / scale)) * channels;
      const dst = (y * w + x) * channels;
      for (let c = 0; c < channels; c++) out[dst + c] = pixels[src + c];
    }
  }
  return out;
}

/**
 * Tiles equally sized frames into a grid (row-major, `columns` wide) with `gap` pixels of mid-grey between them.
 */
export function contactSheet(
  frames: readonly Float32Array[],
  width: number,
  height: number,
  channels: number,
  columns: number,
  gap = SHEET_GAP,
): { pixels: Float32Array; width: number; height: number } {
  const { cols, width: W, height: H } = sheetLayout(frames.length, width, height, columns, gap);
  const out = new Float32Array(W * H * channels).fill(0.5);
  frames.forEach((f, n) => {
    const x0 = (n % cols) * (width + gap);
    const y0 = Math.floor(n / cols) * (height + gap);
    for (let y = 0; y < height; y++)
      out.set(f.subarray(y * width * channels, (y + 1) * width * channels), ((y0 + y) * W + x0) * channels);
  });
  return { pixels: out, width: W, height: H };
}
