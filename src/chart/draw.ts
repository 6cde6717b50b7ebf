/** Pixel primitives on one HWC Float32 frame (`base` = offset of the frame); ink is max-blended per channel. */
export interface Frame {
  buf: Float32Array;
  base: number;
  width: number;
  height: number;
  channels: number;
}

/** Sets pixel (x, y) to at least `ink` in each channel; out-of-frame pixels are ignored. */
export function plot(f: Frame, x: number, y: number, ink: ArrayLike<number>): void {
  if (x < 0 || y < 0 || x >= f.width || y >= f.height) return;
  const p = f.base + (y * f.width + x) * f.channels;
  for (let c = 0; c < f.channels; c++) if (ink[c] > f.buf[p + c]) f.buf[p + c] = ink[c];
}

/** Vertical run x, rows y0..y1 inclusive (either order). */
export function vline(f: Frame, x: number, y0: number, y1: number, ink: ArrayLike<number>): void {
  const a = Math.max(0, Math.min(y0, y1));
  const b = Math.min(f.height - 1, Math.max(y0, y1));
  for (let y = a; y <= b; y++) plot(f, x, y, ink);
}

/** Filled rectangle, columns x0..x1 and rows y0..y1 inclusive. */
export function fillRect(f: Frame, x0: number, x1: number, y0: number, y1: number, ink: ArrayLike<number>): void {
  for (let x = x0; x <= x1; x++) vline(f, x, y0, y1, ink);
}

/** Bresenham line from (x0, y0) to (x1, y1). */
export function line(f: Frame, x0: number, y0: number, x1: number, y1: number, ink: ArrayLike<number>): void {
  const dx = Math.abs(x1 - x0);
  const dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  let x = x0;
  let y = y0;
  for (;;) {
    plot(f, x, y, ink);
    if (x === x1 && y === y1) return;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y += sy;
    }
  }
}

/** Maps a value in [lo, hi] to a row of a panel spanning rows top..top+rows−1 (hi at the top). Flat range → middle. */
export function rowOf(v: number, lo: number, hi: number, top: number, rows: number): number {
  if (!(hi > lo)) return top + ((rows - 1) >> 1);
  const r = Math.round(((hi - v) / (hi - lo)) * (rows - 1));
  if (Number.isNaN(r)) return top + ((rows - 1) >> 1);
  return top + (r < 0 ? 0 : r > rows - 1 ? rows - 1 : r);
}
