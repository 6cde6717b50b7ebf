/**
 * Chart images straight from candles into Float32 pixel buffers (HWC, 0..1) ready for tf.tensor without any
 * encode/decode; sharp only writes PNG files for people (png.ts).
 */
export type { ImageRenderer, ImageSpec, ImageStyle, PanelKind } from './spec.ts';
export { formatImageSpec, parseImageSpec, validateImageSpec } from './spec.ts';
export { contactSheet, enlarge, readPng, toBytes, viewable, writePng } from './png.ts';
export { createImageRenderer } from './renderer.ts';
