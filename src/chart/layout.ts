/**
 * The geometry of the PNGs people look at (png.ts draws them): a contact sheet's grid, a frame's viewable form. Apart
 * from png.ts (which loads sharp) so that `bot chart` can size its image before any data (audit of chart images).
 */

/** Mid-grey pixels between the windows of a contact sheet. */
export const SHEET_GAP = 2;

/** Grey pixels between the channels of a 2- or 4-channel frame shown side by side. */
export const CHANNEL_GAP = 1;

/** A contact sheet of `frames` equal frames, `columns` wide (at most one row of all of them): its grid and size. */
export function sheetLayout(
  frames: number,
  width: number,
  height: number,
  columns: number,
  gap = SHEET_GAP,
): { cols: number; rows: number; width: number; height: number } {
  const cols = Math.max(1, Math.min(columns, frames));
  const rows = Math.ceil(frames / cols);
  return { cols, rows, width: cols * width + (cols - 1) * gap, height: rows * height + (rows - 1) * gap };
}

/**
 * The size of viewable()'s picture of a frame: 1 and 3 channels as they are, a `layers` frame in colour, 2 and 4
 * channels side by side in grey.
 */
export function viewSize(
  width: number,
  height: number,
  channels: number,
  layers = false,
): { width: number; height: number; channels: 1 | 3 } {
  if (channels === 1 || channels === 3) return { width, height, channels };
  if (layers && channels === 4) return { width, height, channels: 3 };
  return { width: channels * width + (channels - 1) * CHANNEL_GAP, height, channels: 1 };
}
