/**
 * Why the version a model run's home names in CURRENT will not take over at the run's next tick, for `bot status`
 * and the API: the run gave it up (RunState.modelRefusal, with why and when it is tried again), or it was trained for
 * another run (another timeframe, other markets or market order) and would be given up at once. The status used to
 * promise `it takes over at the next tick` for both (audit, session 38).
 */
import { isoTime } from '../data/timeframe.ts';
import { pointerStamp, savedVersionDir } from '../agents/model-pointer.ts';
import { misfitText, runMisfits } from '../agents/model-market.ts';
import type { RunState } from './types.ts';

/** Why CURRENT's version does not take over: `why` in words, `retryAt` when the run tries it again (null: never). */
export interface PromotedRefusal {
  givenUp: boolean;
  why: string;
  retryAt: string | null;
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
  // the load path's rule (runMisfits), so that the status says what a run would give the version up for
  const misfit = runMisfits(dir, run)[0];
  return misfit === undefined ? undefined : { givenUp: false, why: misfitText(misfit), retryAt: null };
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
