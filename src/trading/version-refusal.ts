/**
 * The model version a trader's policy source gave up on, and when it is tried again: at once when the home's pointer
 * is written again (a new promotion, or a switch back to it by hand), or on its own after a wait that doubles with
 * each retry that fails again (the cause can pass: an exchange that did not serve a series for a while, files being
 * copied in); and the one line a give-up logs, so a version the pointer names is not logged at every tick. The give-up
 * is stored with the run (RunState.modelRefusal) and taken up by the next process, so a cron'd `--once` skips it too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../core/log.ts';
import { ModelMismatchError, ModelRefusedError, UserError } from '../core/errors.ts';
import { shortError } from '../data/exchange.ts';
import { checkPointedModel, otherVersionDirs, savedVersionDir } from '../agents/model-pointer.ts';
import { savedModelCosts } from '../agents/model-costs.ts';
import type { ServedRun, VersionRefusalRecord } from './types.ts';

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
  /**
   * Gives `version` up (read at `stamp`), `why`; `final`: it can never serve the run (no timed retry). Says when it
   * is tried again, for the one line that tells the user.
   */
  refuse(version: string, stamp: string, why?: string, final?: boolean): string;
  /** The version given up on, as the run stores it; undefined when none was. */
  record(): VersionRefusalRecord | undefined;
  /** Takes up a give-up stored with the run by an earlier process (its waits go on doubling from there). */
  adopt(stored: VersionRefusalRecord): void;
}

/** When a version given up on is tried again, for the line that tells the user. */
function retryText(r: VersionRefusalRecord): string {
  // a version trained for another run was promised a retry in 1h that could never pass (audit, session 38)
  if (r.final) return 'not tried again unless CURRENT is written again';
  const at = new Date(r.until).toISOString();
  return `tried again in ${r.wait / HOUR}h, at ${at}, or at once when CURRENT is written again`;
}

/** The source's refusal, its waits measured with `clock` (the trader's: a replay's, or wall time). */
export function versionRefusal(clock: () => number = Date.now): VersionRefusal {
  let refused: VersionRefusalRecord | undefined;
  return {
    holds: (version, stamp) => refused?.version === version && refused.stamp === stamp && clock() < refused.until,
    refuse(version, stamp, why, final) {
      // a retry of the same write that fails again waits twice as long; a version given up anew waits the first wait
      const again = refused?.version === version && refused.stamp === stamp;
      const wait = again && refused ? Math.min(2 * refused.wait, LONGEST_RETRY_WAIT) : FIRST_RETRY_WAIT;
      const until = final ? Number.MAX_SAFE_INTEGER : clock() + wait;
      refused = { version, stamp, until, wait, ...(why !== undefined ? { why } : {}), ...(final ? { final } : {}) };
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

/**
 * The version a process starts with (the one CURRENT names then); `failure`: why its files could not be loaded (a
 * truncated weights file, a meta.json that is not JSON, another timeframe), kept for the run's last served version to
 * stand in (see VersionGiveUps.standIn), and `error`, thrown as it was when a new run would start on it.
 */
interface StartedVersion extends PointedVersion {
  failure?: { why: string; error: unknown };
}

/**
 * The cost preset (meta.json's recipe `costs`) the run trades under when the version it started with could not be
 * loaded: its own when its meta.json reads, else another version's of the home (a retrain keeps the recipe's costs),
 * so the version standing in fills at its costs, not the config's.
 */
export function startedCosts(home: string, started: StartedVersion, dir: string): string {
  const readable = (d: string) => {
    try {
      JSON.parse(readFileSync(path.join(d, 'meta.json'), 'utf8'));
      return true;
    } catch {
      return false;
    }
  };
  const from = [dir, ...otherVersionDirs(home, started.version)].find(readable);
  return from ? savedModelCosts(from) : 'config';
}

/**
 * `load`s the version a process starts with (`pointed`, saved in `dir`: a folder deleted by hand holds none). Its
 * failure is kept with it (StartedVersion.failure) when the home holds another saved version: a run that served that
 * one goes on with it (a cron'd `--once` used to exit 1 at every tick). With none, it is thrown as it was, before any
 * other work: no run can fall back.
 */
export async function loadStarted<T>(
  home: string,
  { dir, ...pointed }: PointedVersion & { dir: string },
  load: () => Promise<T>,
): Promise<{ started: StartedVersion; loaded?: T }> {
  try {
    checkPointedModel(home, { dir, version: pointed.version });
    return { started: pointed, loaded: await load() };
  } catch (e) {
    if (otherVersionDirs(home, pointed.version).length === 0) throw e;
    return { started: { ...pointed, failure: { why: `cannot be loaded (${shortError(e)})`, error: e } } };
  }
}

/**
 * `net`, the network of a version about to serve, asked once (its stateless pass, never the policy's decision rule): a
 * version whose network cannot run on the run's observations (weights of another shape) cannot serve the run, as one
 * whose features cannot be built.
 */
export function askNetwork(net: () => unknown): void {
  try {
    net();
  } catch (e) {
    // the tfjs error's own words, without its class name (what the user reads is the one line the give-up logs)
    throw new UserError(`its network cannot decide them: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * A version serving whose network was not asked yet (every candle of its ticks in its warm-up), and the one that
 * served `before` it (none: a new run's first).
 */
interface UnaskedVersion extends PointedVersion {
  before?: string;
}

/**
 * The version serving whose network was not asked yet, for both model sources: its failure, met at a later tick, is
 * handled as at its first (the one before it serves, or the run is refused: a new run's as unserved, see refused).
 * A source that asked only when a version switched in retried such a version's failure at every tick.
 */
export function unaskedVersion() {
  let unasked: UnaskedVersion | undefined;
  return {
    /** `pointed` serves from now after `before`: kept when its network was not `asked`. */
    serves(pointed: PointedVersion, asked: boolean, before: string | undefined) {
      unasked = asked ? undefined : { version: pointed.version, stamp: pointed.stamp, before };
    },
    /** The network of the one serving was asked (or another one serves): nothing is left unasked. */
    asked() {
      unasked = undefined;
    },
    /** The version unasked when it is `version`, the one serving. */
    of: (version: string): UnaskedVersion | undefined => (unasked?.version === version ? unasked : undefined),
  };
}

/** A model home's give-ups, for both model sources (single market and portfolio). */
interface VersionGiveUps {
  /** Whether `pointed` is given up on still. */
  holds(pointed: PointedVersion): boolean;
  /**
   * Gives `pointed` up, `why` it was (words after its name), with one line naming `serving`, which keeps trading;
   * `error`: what failed, a ModelMismatchError making the give-up final (no timed retry).
   */
  giveUp(pointed: PointedVersion, why: string, serving: string, error?: unknown): void;
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
  /**
   * The version to serve instead of `started` before any served in this process: the run's last served one
   * (`run.modelVersion`, another one still saved in the home), when `started` could not be loaded or is given up on
   * still (taken up from `run.modelRefusal`); undefined otherwise.
   */
  standIn(started: StartedVersion, run: ServedRun | undefined): { version: string; dir: string } | undefined;
  /**
   * One line: `serving` decides instead of `started`, which is given up on still (skipped) or could not be loaded
   * (given up now).
   */
  fellBack(started: StartedVersion, serving: string): void;
  /**
   * What a run is refused with when `started` cannot serve, `why`, and no version stands in; `unserved`: a new run's,
   * met after ticks all in warm-up (ModelRefusedError.unserved).
   */
  refused(started: StartedVersion, why?: string, unserved?: boolean): ModelRefusedError;
}

/** The give-ups of the model home `home`, their waits measured with `clock` (the trader's). */
export function versionGiveUps(home: string, clock: () => number = Date.now): VersionGiveUps {
  const refusal = versionRefusal(clock);
  const giveUp = (pointed: PointedVersion, why: string, serving: string, error?: unknown) => {
    const retry = refusal.refuse(pointed.version, pointed.stamp, why, error instanceof ModelMismatchError);
    log().error(`model ${home}: version ${pointed.version} ${why}; still serving ${serving} (${retry})`);
  };
  const skip = (pointed: PointedVersion, serving: string) => {
    const r = refusal.record();
    const retry = r ? ` (${retryText(r)})` : '';
    const line = `version ${pointed.version} is skipped, as this run gave it up; still serving ${serving}${retry}`;
    log().warn(`model ${home}: ${line}`);
  };
  const adopt = (stored: VersionRefusalRecord | undefined) => {
    if (stored && !refusal.record()) refusal.adopt(stored);
  };
  return {
    holds: (pointed) => refusal.holds(pointed.version, pointed.stamp),
    giveUp,
    skip,
    record: () => refusal.record(),
    adopt,
    standIn(started, run) {
      adopt(run?.modelRefusal);
      const version = run?.modelVersion;
      if (version === undefined || version === started.version) return undefined;
      if (!started.failure && !refusal.holds(started.version, started.stamp)) return undefined;
      const dir = savedVersionDir(home, version);
      return dir ? { version, dir } : undefined;
    },
    fellBack(started, serving) {
      if (refusal.holds(started.version, started.stamp)) skip(started, serving);
      else giveUp(started, started.failure?.why ?? 'cannot serve the run', serving, started.failure?.error);
    },
    refused(started, why = started.failure?.why, unserved = false) {
      const line = `model ${home}: version ${started.version} ${why ?? 'cannot serve the run'}`;
      return new ModelRefusedError(line, unserved);
    },
    async load(pointed, serving, load) {
      if (refusal.holds(pointed.version, pointed.stamp)) return undefined;
      try {
        return await load();
      } catch (e) {
        giveUp(pointed, `cannot be loaded (${shortError(e)})`, serving, e);
        return undefined;
      }
    },
  };
}
