/**
 * Who decided a run's candle, as its decision row names it (a manual exit, a hold or keep of the policy's warm-up, or
 * the policy), and the model version the run records as served after it (RunState.modelVersion), for every trader:
 * paper and live, one market and a portfolio.
 */

/** The decision row's policy name of a hold (one market) or keep (portfolio) of the policy's warm-up. */
export const WARM_UP = 'warm-up';
/** The decision row's policy name of an exit asked from the dashboard. */
export const MANUAL_EXIT = 'manual-exit';

/** The policy name the decision row records: `exit`, a manual exit; `warmUp`, a candle in the warm-up of `policy`. */
export function decidedBy(policy: string, o: { exit: boolean; warmUp: boolean }): string {
  return o.exit ? MANUAL_EXIT : o.warmUp ? WARM_UP : policy;
}

/**
 * The version the run records as served once `by` (decidedBy) decided a candle with `version` serving; `before`, the
 * run's until then. A warm-up hold or an exit is no decision of the version's: a run no version served stays a new
 * run to its model source (an unservable CURRENT refuses it, with no version to fall back on).
 */
export function servedVersion(by: string, version: string | undefined, before: string | undefined): string | undefined {
  return by === WARM_UP || by === MANUAL_EXIT ? before : version;
}
