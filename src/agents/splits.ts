/** Chronological train / validation / test folds over candle indices (walk-forward). */
import { UserError } from '../core/errors.ts';
import { isoTime } from '../data/timeframe.ts';

/** Candle indices `from` … `to` − 1: `from` included, `to` excluded. */
export interface IndexRange {
  from: number;
  to: number;
}

/**
 * Candle ranges as the reports print them, `first open … last open (candles)`, several joined by commas: `bot
 * backtest`'s fold lines and Splits table and a sweep's Windows, one text for both.
 */
export function rangesText(ts: ArrayLike<number>, ranges: IndexRange | readonly IndexRange[]): string {
  const list: readonly IndexRange[] = 'from' in ranges ? [ranges] : ranges;
  return list.map((r) => `${isoTime(ts[r.from])} … ${isoTime(ts[r.to - 1])} (${r.to - r.from})`).join(', ');
}

export interface Fold {
  index: number;
  train: IndexRange;
  validation: IndexRange;
  test: IndexRange;
}

interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

/** Fewest candles a train, validation or test window may hold. */
const MIN_WINDOW = 20;

/**
 * How the folds' training windows move: `rolling` keeps their length (each fold drops the oldest test window's worth
 * of candles), `anchored` starts every fold's training at the range's first candle (an expanding window: later folds
 * also learn from the oldest regimes).
 */
export const WALK_SCHEMES = ['rolling', 'anchored'] as const;
type WalkScheme = (typeof WALK_SCHEMES)[number];

/**
 * Chronological train / validation / test windows over candle indices [from, to), rolling forward.
 * One fold: the fractions of the range in order. K folds: windows of fixed train:validation:test proportions, each
 * fold shifted by one test window, so the K test windows are consecutive, never overlap each other, and never overlap
 * what trained or selected their model (which lies strictly before them). With `anchored` the training windows all
 * start at `from` (validation and test windows are the same as rolling ones).
 */
export function walkForward(
  from: number,
  to: number,
  fractions: SplitFractions,
  folds = 1,
  scheme: WalkScheme = 'rolling',
): Fold[] {
  if (!(Number.isInteger(folds) && folds >= 1)) throw new UserError(`--folds must be a whole number ≥ 1, got ${folds}`);
  const total = to - from;
  const unit = total / (fractions.train + fractions.validation + folds * fractions.test);
  const trainLen = Math.floor(unit * fractions.train);
  const valLen = Math.floor(unit * fractions.validation);
  const testLen = Math.floor(unit * fractions.test);
  if (trainLen < MIN_WINDOW || valLen < MIN_WINDOW || testLen < MIN_WINDOW) {
    // the parts as the folds would take them, so they add up to the count: the last test window takes the rounding
    // remainder (the message used to show it without, e.g. 21 + 7 + 7 for 36 candles)
    const last = total - trainLen - valLen - (folds - 1) * testLen;
    const tests = folds > 1 ? `test windows ${folds - 1} × ${testLen} + ${last}` : `test ${last}`;
    throw new UserError(
      `${total} usable candles are too few for ${folds} fold${folds > 1 ? 's' : ''} (train ${trainLen} + ` +
        `validation ${valLen} + ${tests} = ${total}; each window needs ≥ ${MIN_WINDOW}): use more data or fewer folds`,
    );
  }
  const out: Fold[] = [];
  for (let k = 0; k < folds; k++) {
    const start = from + k * testLen;
    const train = { from: scheme === 'anchored' ? from : start, to: start + trainLen };
    const validation = { from: train.to, to: train.to + valLen };
    // the last fold's test window takes the rounding remainder
    const testEnd = k === folds - 1 ? to : validation.to + testLen;
    out.push({ index: k, train, validation, test: { from: validation.to, to: testEnd } });
  }
  return out;
}
