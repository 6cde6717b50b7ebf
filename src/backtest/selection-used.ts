/**
 * What each fold's selection really used (issue 13): its validation windows, the ones the epoch and margin were
 * chosen on, the purge and embargo, and whether the judge and the held-out gate had a window of their own. The
 * report's Selection section and report.json stated the recipe's asks, which a short fold does not meet: purgedSplit
 * uses fewer windows when they would hold under 48 candles, and with one window the judge is skipped and the
 * held-out gate compares on the selection window (the walk-selection audit, 2026-11-28).
 */
import type { AgentRecipe } from '../agents/recipe.ts';
import type { PurgedSplit, SelectionOptions } from '../agents/selection.ts';

/** One fold's selection as used. */
interface SelectionUsed {
  /** Validation windows of the fold's purged split. */
  windows: number;
  /** Of them, the ones the epoch and margin were chosen on (all but the last with the judge or the held-out gate). */
  selectionWindows: number;
  /** Candles purged before each window and embargoed after each (0 where the split has no such zone). */
  purge: number;
  embargo: number;
  /** With `selection.judge`: whether the fold had a window left out of every choice (false: no judge score). */
  judge?: boolean;
  /** With `gate: 'heldOutWindow'`: whether the gate compared on a held-out window (false: on the selection one). */
  heldOut?: boolean;
}

/** Per fold, in order: what its split used (train-fold.ts holds the last window out on the same condition). */
export function selectionUsed(
  recipe: AgentRecipe,
  selection: SelectionOptions,
  splits: readonly PurgedSplit[],
): SelectionUsed[] {
  const heldOutGate = recipe.selection?.gate === 'heldOutWindow';
  const judge = !!recipe.selection?.judge;
  return splits.map((s) => {
    const windows = s.validation.length;
    const holdOut = (heldOutGate || judge) && windows > 1;
    return {
      windows,
      selectionWindows: holdOut ? windows - 1 : windows,
      purge: s.excluded.length > 0 ? selection.purge : 0,
      embargo: windows > 1 ? selection.embargo : 0,
      ...(judge ? { judge: holdOut } : {}),
      ...(heldOutGate ? { heldOut: holdOut } : {}),
    };
  });
}

/** "fold 2" or "folds 1, 3" for the folds (1-based) where `pick` holds. */
function foldsWhere(used: readonly SelectionUsed[], pick: (u: SelectionUsed) => boolean): string {
  const which = used.flatMap((u, i) => (pick(u) ? [i + 1] : []));
  return `${which.length > 1 ? 'folds' : 'fold'} ${which.join(', ')}`;
}

/** The Selection section's words for the windows, purge and embargo used, and what was dropped where. */
export function usedText(selection: SelectionOptions, used: readonly SelectionUsed[]): string {
  const counts = used.map((u) => u.selectionWindows);
  const same = counts.every((c) => c === counts[0]);
  let text = same
    ? `mean over ${counts[0]} validation window(s)`
    : `mean over the validation windows each fold chose on (${counts.join(', ')} for folds 1 to ${counts.length})`;
  const heldOut = (u: SelectionUsed) => u.windows > u.selectionWindows;
  if (used.some(heldOut)) {
    const where = used.every(heldOut) ? 'each fold' : foldsWhere(used, heldOut);
    text += `, the last window of ${where} (next to the test) left out of that choice`;
  }
  const short = (u: SelectionUsed) => u.windows < selection.windows;
  if (used.some(short)) {
    const fewer = [...new Set(used.filter(short).map((u) => u.windows))].join(' or ');
    text +=
      ` (the recipe asks ${selection.windows} windows; ${foldsWhere(used, short)} had too little data and used ` +
      `${fewer}: each needs ≥ 48 candles)`;
  }
  const split = used.filter((u) => u.windows > 1);
  if (split.length)
    text +=
      `, with ${selection.purge} candles purged before and ${selection.embargo} embargoed after each` +
      (split.length < used.length ? ` on ${foldsWhere(used, (u) => u.windows > 1)}` : '') +
      (selection.embargo > selection.embargoAsked
        ? ` (the recipe asks ${selection.embargoAsked}; an observation reaches ${selection.lookback} candles ` +
          `back, so a row closer after a window would see its candles)`
        : '');
  if (used.some((u) => u.judge === false))
    text +=
      `; judge window: none on ${foldsWhere(used, (u) => u.judge === false)} (one validation window only), so ` +
      `those runs have no judge score`;
  if (used.some((u) => u.heldOut === false))
    text +=
      `; held-out gate: ${foldsWhere(used, (u) => u.heldOut === false)} had one validation window only, so the ` +
      `gate compared there on the window the epoch was chosen on (as selectionWindows does)`;
  return text;
}
