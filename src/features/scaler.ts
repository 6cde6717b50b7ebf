/**
 * Column scalers fitted on training rows only. State is plain JSON (numbers survive a JSON round trip exactly,
 * so a restored scaler reproduces the same Float32 outputs bit for bit).
 */
import { UserError } from '../core/errors.ts';
import type { FeatureMatrix } from './matrix.ts';

export type ScalerKind = 'zscore' | 'minmax' | 'tanh' | 'none';
export const SCALER_KINDS: readonly ScalerKind[] = ['zscore', 'minmax', 'tanh', 'none'];

export interface ScalerState {
  kind: ScalerKind;
  /** Feature spec version the scaler was fitted on, e.g. `rltrader-v1@1`. */
  version: string;
  columns: string[];
  /** Per column: subtracted first (mean for zscore/tanh, training minimum for minmax, 0 for none). */
  center: number[];
  /** Per column: divided by next (std, max−min, or 1); never 0. */
  scale: number[];
  /** Outputs are clipped to [low, high]. */
  clip: [number, number];
  /** Training rows the parameters came from, [from, to). */
  fittedRows: [number, number];
}

/** Output ranges: z-scores beyond ±8 are clipped, min-max allows half a range of drift either side. */
const CLIPS: Record<ScalerKind, [number, number]> = {
  zscore: [-8, 8],
  minmax: [-0.5, 1.5],
  tanh: [-1, 1],
  none: [-1e6, 1e6],
};

/**
 * Fits on rows [fromRow, toRow) of `m` (rows before `m.firstValidRow` are skipped: they are warm-up zeros).
 * Pass the end of the training split as `toRow`: nothing after it influences the parameters.
 */
export function fitScaler(kind: ScalerKind, m: FeatureMatrix, fromRow: number, toRow: number): ScalerState {
  if (!SCALER_KINDS.includes(kind))
    throw new UserError(`unknown scaler "${String(kind)}" (use ${SCALER_KINDS.join(', ')})`);
  const from = Math.max(fromRow, m.firstValidRow, 0);
  const to = Math.min(toRow, m.rows);
  if (to - from < 2) {
    throw new UserError(
      `scaler needs at least 2 training rows after the ${m.firstValidRow}-row ` +
        `feature warm-up (got rows ${fromRow}..${toRow} of ${m.rows})`,
    );
  }
  const center: number[] = [];
  const scale: number[] = [];
  for (let c = 0; c < m.cols; c++) {
    if (kind === 'none') {
      center.push(0);
      scale.push(1);
      continue;
    }
    if (kind === 'minmax') {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = from; i < to; i++) {
        const v = m.data[i * m.cols + c];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      center.push(lo);
      scale.push(hi > lo ? hi - lo : 1);
      continue;
    }
    let sum = 0;
    for (let i = from; i < to; i++) sum += m.data[i * m.cols + c];
    const mean = sum / (to - from);
    let ss = 0;
    for (let i = from; i < to; i++) {
      const d = m.data[i * m.cols + c] - mean;
      ss += d * d;
    }
    const std = Math.sqrt(ss / (to - from));
    center.push(mean);
    scale.push(std > 1e-12 ? std : 1);
  }
  return {
    kind,
    version: m.version,
    columns: [...m.names],
    center,
    scale,
    clip: [...CLIPS[kind]],
    fittedRows: [from, to],
  };
}

/**
 * Scales every row of `m` into `out` (same row-major layout). Warm-up rows stay 0. Throws UserError when the
 * matrix's columns are not the ones the scaler was fitted on.
 */
export function applyScaler(
  state: ScalerState,
  m: FeatureMatrix,
  out = new Float32Array(m.rows * m.cols),
): Float32Array {
  if (state.columns.length !== m.cols || state.columns.some((name, i) => name !== m.names[i])) {
    // the same count: the first column that differs says more than two equal counts
    const at = state.columns.findIndex((name, i) => name !== m.names[i]);
    const which = `column ${at + 1} is ${state.columns[at]} in the scaler but ${m.names[at]} in the features`;
    // the same spec and count said twice read as a contradiction: then only the column that differs is named
    if (state.version === m.version && state.columns.length === m.cols)
      throw new UserError(`scaler does not fit the features of ${m.version}: ${which}`);
    throw new UserError(
      `scaler was fitted on columns of ${state.version} (${state.columns.length} ` +
        `columns) but the features are ${m.version} (${m.cols} columns)` +
        (state.columns.length === m.cols ? `; ${which}` : ''),
    );
  }
  if (out.length < m.rows * m.cols)
    throw new UserError(`scaler output buffer holds ${out.length} values, needs ${m.rows * m.cols}`);
  const [lo, hi] = state.clip;
  const squash = state.kind === 'tanh';
  out.fill(0, 0, m.firstValidRow * m.cols);
  for (let i = m.firstValidRow; i < m.rows; i++) {
    const base = i * m.cols;
    for (let c = 0; c < m.cols; c++) {
      let v = (m.data[base + c] - state.center[c]) / state.scale[c];
      if (squash) v = Math.tanh(v);
      out[base + c] = v < lo ? lo : v > hi ? hi : v;
    }
  }
  return out;
}

/** Scales one row (e.g. the latest candle's features in the paper trader) into `out`. */
export function scaleRow(state: ScalerState, row: ArrayLike<number>, out = new Float32Array(row.length)): Float32Array {
  const [lo, hi] = state.clip;
  for (let c = 0; c < state.columns.length; c++) {
    let v = (row[c] - state.center[c]) / state.scale[c];
    if (state.kind === 'tanh') v = Math.tanh(v);
    out[c] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

/** Validates JSON read back from a saved model into a ScalerState. */
export function scalerFromJSON(value: unknown): ScalerState {
  const s = value as Partial<ScalerState> | null;
  const numbers = (a: unknown, n: number) =>
    Array.isArray(a) && a.length === n && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (
    !s ||
    typeof s !== 'object' ||
    !SCALER_KINDS.includes(s.kind as ScalerKind) ||
    typeof s.version !== 'string' ||
    !Array.isArray(s.columns) ||
    !s.columns.every((c) => typeof c === 'string') ||
    !numbers(s.center, s.columns.length) ||
    !numbers(s.scale, s.columns.length) ||
    !numbers(s.clip, 2) ||
    !numbers(s.fittedRows, 2) ||
    s.scale!.some((x) => x === 0)
  ) {
    throw new UserError(
      'saved scaler state is malformed (expected kind, version, columns, center, scale, clip, fittedRows)',
    );
  }
  return {
    kind: s.kind!,
    version: s.version!,
    columns: [...s.columns!],
    center: [...s.center!],
    scale: [...s.scale!],
    clip: [s.clip![0], s.clip![1]],
    fittedRows: [s.fittedRows![0], s.fittedRows![1]],
  };
}
