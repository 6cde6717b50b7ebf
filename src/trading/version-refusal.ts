/**
 * The model version a trader's policy source gave up on, and when it is tried again: at once when the home's pointer
 * is written again (a new promotion, or a switch back to it by hand), or on its own after a wait that doubles with
 * each retry that fails again (the cause can pass: an exchange that did not serve a series for a while, files being
 * copied in); and the one line a give-up logs, so a version the pointer names is not logged at every tick. The give-up
 * is stored with the run (RunState.modelRefusal) and taken up by the next process, so a cron'd `--once` skips it too.
 */
import { log } from '../core/log.ts';
import { shortError } from '../data/exchange.ts';
import type { VersionRefusalRecord } from './types.ts';

const HOUR = 3_600_000;
/** The wait before a version given up on is tried again, the first time. */
const FIRST_RETRY_WAIT = HOUR;
/** The longest wait between two retries of a version that keeps failing. */
const LONGEST_RETRY_WAIT = 24 * HOUR;

interface VersionRefusal {
  /**
   * Whether `version`, named by the pointer whose write `stamp` tells (pointerStamp in src/agents/model-pointer.ts),
   * is still given up on: the pointer was not written since it was given up and its wait is not over.
   */
  holds(version: string, stamp: string): boolean;
  /** Gives `version` up (read at `stamp`); says when it is tried again, for the one line that tells the user. */
  refuse(version: string, stamp: string): string;
  /** The version given up on, as the run stores it; undefined when none was. */
  record(): VersionRefusalRecord | undefined;
  /** Takes up a give-up stored with the run by an earlier process (its waits go on doubling from there). */
  adopt(stored: VersionRefusalRecord): void;
}

/** When a version given up on is tried again, for the line that tells the user. */
function retryText(r: VersionRefusalRecord): string {
  const at = new Date(r.until).toISOString();
  return `tried again in ${r.wait / HOUR}h, at ${at}, or at once when CURRENT is written again`;
}

/** The source's refusal, its waits measured with `clock` (the trader's: a replay's, or wall time). */
export function versionRefusal(clock: () => number = Date.now): VersionRefusal {
  let refused: VersionRefusalRecord | undefined;
  return {
    holds: (version, stamp) => refused?.version === version && refused.stamp === stamp && clock() < refused.until,
    refuse(version, stamp) {
      // a retry of the same write that fails again waits twice as long; a version given up anew waits the first wait
      const again = refused?.version === version && refused.stamp === stamp;
      const wait = again && refused ? Math.min(2 * refused.wait, LONGEST_RETRY_WAIT) : FIRST_RETRY_WAIT;
      refused = { version, stamp, until: clock() + wait, wait };
      return retryText(refused);
    },
    record: () => refused,
    adopt(stored) {
      refused = { ...stored };
    },
  };
}

/** A version the pointer names, and the write of the pointer it was read at (pointerStamp). */
interface PointedVersion {
  version: string;
  stamp: string;
}

/** A model home's give-ups, for both model sources (single market and portfolio). */
interface VersionGiveUps {
  /** Whether `pointed` is given up on still. */
  holds(pointed: PointedVersion): boolean;
  /** Gives `pointed` up, `why` it was (words after its name), with one line naming `serving`, which keeps trading. */
  giveUp(pointed: PointedVersion, why: string, serving: string): void;
  /** One line: `pointed`, given up on by an earlier process, is skipped while `serving` trades (it holds still). */
  skip(pointed: PointedVersion, serving: string): void;
  /** The version given up on, as the run stores it (RunState.modelRefusal). */
  record(): VersionRefusalRecord | undefined;
  /** Takes up the run's stored give-up, unless this process gave one up itself. */
  adopt(stored: VersionRefusalRecord | undefined): void;
  /**
   * `load`'s version (the one `pointed` names), unless it is given up on; a failure gives it up (one line) and gives
   * undefined: broken files, or a version trained on another timeframe or other markets, while `serving` trades.
   */
  load<T>(pointed: PointedVersion, serving: string, load: () => Promise<T>): Promise<T | undefined>;
}

/** The give-ups of the model home `home`, their waits measured with `clock` (the trader's). */
export function versionGiveUps(home: string, clock: () => number = Date.now): VersionGiveUps {
  const refusal = versionRefusal(clock);
  const giveUp = (pointed: PointedVersion, why: string, serving: string) => {
    const retry = refusal.refuse(pointed.version, pointed.stamp);
    log().error(`model ${home}: version ${pointed.version} ${why}; still serving ${serving} (${retry})`);
  };
  return {
    holds: (pointed) => refusal.holds(pointed.version, pointed.stamp),
    giveUp,
    skip(pointed, serving) {
      const r = refusal.record();
      const retry = r ? ` (${retryText(r)})` : '';
      const line = `version ${pointed.version} is skipped, as this run gave it up; still serving ${serving}${retry}`;
      log().warn(`model ${home}: ${line}`);
    },
    record: () => refusal.record(),
    adopt(stored) {
      if (stored && !refusal.record()) refusal.adopt(stored);
    },
    async load(pointed, serving, load) {
      if (refusal.holds(pointed.version, pointed.stamp)) return undefined;
      try {
        return await load();
      } catch (e) {
        giveUp(pointed, `cannot be loaded (${shortError(e)})`, serving);
        return undefined;
      }
    },
  };
}
