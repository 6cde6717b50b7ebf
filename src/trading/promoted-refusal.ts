/**
 * Why the version a model run's home names in CURRENT will not take over at the run's next tick, for `bot status`
 * and the API: the run gave it up (RunState.modelRefusal, with why and when it is tried again), or it was trained for
 * another run (another timeframe, other markets or market order) and would be given up at once. The status used to
 * promise `it takes over at the next tick` for both (audit, session 38).
 */
import { isoTime } from '../data/timeframe.ts';
import { pointerStamp, savedVersionDir } from '../agents/model-pointer.ts';
import { readModelMarket } from '../agents/model-market.ts';
import { portfolioModelSymbols } from '../agents/portfolio-model-symbols.ts';
import type { RunState } from './types.ts';

/** Why CURRENT's version does not take over: `why` in words, `retryAt` when the run tries it again (null: never). */
export interface PromotedRefusal {
  givenUp: boolean;
  why: string;
  retryAt: string | null;
}

/** What a version trained for another run than `run` differs in, from its meta.json; undefined when it fits. */
function mismatch(dir: string, run: Pick<RunState, 'symbol' | 'timeframe'>): string | undefined {
  const trained = readModelMarket(dir);
  if (trained && trained.timeframe !== run.timeframe)
    return `it was trained on ${trained.timeframe} candles; this run uses ${run.timeframe}`;
  const symbols = run.symbol.includes(',') ? portfolioModelSymbols(dir) : undefined;
  if (symbols && symbols.join(',') !== run.symbol)
    return `it trades ${symbols.join(',')} in that order; this run trades ${run.symbol}`;
  return undefined;
}

/**
 * Why `promoted`, the version CURRENT of `run`'s home names (its policy `model:<home>`), will not take over at the
 * next tick at `now`; undefined when it will (or the run's home cannot be read).
 */
export function promotedRefusal(
  run: Pick<RunState, 'policy' | 'modelHome' | 'symbol' | 'timeframe' | 'modelRefusal'>,
  promoted: string,
  now: number,
): PromotedRefusal | undefined {
  // the home the run stored by its real path (trading schema 17), else its policy's path (older runs)
  const home = run.modelHome ?? run.policy.slice('model:'.length);
  const r = run.modelRefusal;
  // a give-up holds until CURRENT is written again (another stamp: the run tries it at once) or its wait is over
  if (r?.version === promoted && r.stamp === pointerStamp(home)) {
    const why = r.why ?? 'cannot serve the run';
    if (r.final) return { givenUp: true, why, retryAt: null };
    if (now < r.until) return { givenUp: true, why, retryAt: isoTime(r.until) };
  }
  const dir = savedVersionDir(home, promoted);
  if (dir === undefined) return { givenUp: false, why: 'it has no saved model', retryAt: null };
  const other = mismatch(dir, run);
  return other === undefined ? undefined : { givenUp: false, why: other, retryAt: null };
}

/** The words after `CURRENT is now <version>: ` in the status line. */
export function promotedRefusalText(r: PromotedRefusal | null): string {
  if (!r) return 'it takes over at the next tick';
  if (!r.givenUp) return `it cannot take over: ${r.why}`;
  const retry = r.retryAt
    ? `tried again at ${r.retryAt} or when CURRENT is written again`
    : 'not tried again unless CURRENT is written again';
  return `given up: ${r.why}; ${retry}`;
}
