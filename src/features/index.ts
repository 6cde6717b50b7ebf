/**
 * Named, versioned feature sets computed from `Candles` into one dense Float32 matrix.
 * Specs combine sets with `+` (`rltrader-v1+ta`); columns keep the order of the spec.
 */
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { FeatureMatrix, FeatureSet } from './matrix.ts';
import { patternsSet } from './patterns.ts';
import { rltraderV1 } from './rltrader.ts';
import { taSet } from './ta.ts';

export type { FeatureMatrix, FeatureSet } from './matrix.ts';
export { featureValue } from './matrix.ts';

const SETS: readonly FeatureSet[] = [rltraderV1, taSet, patternsSet];

export function listFeatureSets(): string[] {
  return SETS.map((s) => s.name);
}

/** The sets named by a spec, in order; unknown or repeated names → UserError. */
function resolveFeatureSpec(spec: string): FeatureSet[] {
  const names = spec.split('+').map((s) => s.trim());
  if (!spec.trim() || names.some((n) => !n))
    throw new UserError(`feature set "${spec}" is empty (known sets: ${listFeatureSets().join(', ')}; combine with +)`);
  const sets = names.map((name) => {
    const set = SETS.find((s) => s.name === name);
    if (!set)
      throw new UserError(
        `unknown feature set "${name}" (known sets: ${listFeatureSets().join(', ')}; combine with +)`,
      );
    return set;
  });
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UserError(`feature set "${dup}" appears twice in "${spec}"`);
  return sets;
}

/** Version string recorded in saved models, e.g. `rltrader-v1@1+ta@1`. */
export function featureSpecVersion(spec: string): string {
  return resolveFeatureSpec(spec)
    .map((s) => `${s.name}@${s.version}`)
    .join('+');
}

/** Column names of a spec without computing anything. */
export function featureNames(spec: string): string[] {
  return resolveFeatureSpec(spec).flatMap((s) => [...s.columns]);
}

/** Index of the first row with a full look-back for every column of the spec. */
export function featureWarmup(spec: string): number {
  return Math.max(0, ...resolveFeatureSpec(spec).map((s) => s.warmup));
}

/** Candles back a row of `spec` still draws on by more than a trace (FeatureSet.reach; the warm-up by default). */
export function featureReach(spec: string): number {
  return Math.max(0, ...resolveFeatureSpec(spec).map((s) => Math.max(s.warmup, s.reach ?? 0)));
}

/**
 * Candles of history before a row for it to equal the row computed over any longer history: the warm-up, plus the
 * candles recursive smoothing needs to forget the data's start (FeatureSet.settle).
 */
export function featureHistory(spec: string): number {
  return Math.max(0, ...resolveFeatureSpec(spec).map((s) => s.warmup + s.settle));
}

/**
 * Computes every column of `spec` for every candle. Row t uses candles ≤ t only. Rows before `firstValidRow` are 0;
 * any value that is not finite (zero volume, flat candles, division by zero) becomes 0; nothing else is clipped.
 */
export function computeFeatures(candles: Candles, spec: string): FeatureMatrix {
  const sets = resolveFeatureSpec(spec);
  const rows = candles.close.length;
  const names = sets.flatMap((s) => [...s.columns]);
  const cols = names.length;
  const firstValidRow = Math.min(rows, Math.max(0, ...sets.map((s) => s.warmup)));
  const data = new Float32Array(rows * cols);
  let col0 = 0;
  // Float64 scratch columns, shared by the sets in turn (peak memory = the widest set, not the sum).
  const pool: Float64Array[] = [];
  for (const set of sets) {
    while (pool.length < set.columns.length) pool.push(new Float64Array(rows));
    const scratch = pool.slice(0, set.columns.length);
    for (const column of scratch) column.fill(NaN);
    set.compute(candles, scratch);
    scratch.forEach((column, k) => {
      const c = col0 + k;
      for (let i = firstValidRow; i < rows; i++) {
        const v = column[i];
        data[i * cols + c] = Number.isFinite(v) && Math.abs(v) < 3.4e38 ? v : 0;
      }
    });
    col0 += set.columns.length;
  }
  return {
    spec: sets.map((s) => s.name).join('+'),
    version: sets.map((s) => `${s.name}@${s.version}`).join('+'),
    names,
    rows,
    cols,
    data,
    firstValidRow,
  };
}
