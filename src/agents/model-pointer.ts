/** Model homes (`models/<name>`): their versions and the CURRENT pointer that says which one serves; promotion. */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { syncDir, syncTree, writeFileSynced } from '../core/durable-files.ts';
import { foreignEntries, recoverInterruptedSave } from '../nn/model-folder.ts';

/**
 * A model home is a folder such as `models/btc-dqn`. It holds either a saved model directly (its first version,
 * called `initial`), or versions under `versions/<version>/` with a `CURRENT` file naming the one that serves.
 * Promotion writes the new version folder completely, then replaces `CURRENT` with one rename: a reader sees the old
 * pointer or the new one, never a half-written model.
 */
export const INITIAL_VERSION = 'initial';
const POINTER = 'CURRENT';

export interface ResolvedModel {
  /** Folder with model.json / meta.json of the serving version. */
  dir: string;
  version: string;
}

function isModelFolder(dir: string): boolean {
  return existsSync(path.join(dir, 'meta.json')) || existsSync(path.join(dir, 'model.json'));
}

/**
 * The home's absolute path with symlinks resolved (a home not made yet: its nearest existing parent's), so that every
 * path leading to one folder names it alike: `models/current` linked to `models/btc-2025` is one home.
 */
export function canonicalHome(home: string): string {
  const abs = path.resolve(home);
  try {
    return realpathSync(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(canonicalHome(parent), path.basename(abs));
  }
}

/**
 * A version's name is one folder under `versions/`: a pointer written by hand (`../../m-base`) served a model from
 * outside the home (audit, session 38, item 2). No separator, no leading dot (`..`, the `.staging-*` folders), no NUL.
 */
function checkVersionName(home: string, version: string, where: string): void {
  if (!version || version.startsWith('.') || /[/\\\0]/.test(version))
    throw new UserError(
      `model ${home}: ${where} names version ${JSON.stringify(version)}, not one folder under versions/`,
    );
}

export function versionDir(home: string, version: string): string {
  if (version === INITIAL_VERSION) return home;
  checkVersionName(home, version, 'a version');
  return path.join(home, 'versions', version);
}

/** The folder of the home's saved `version`, or undefined when the home holds no such version (any more). */
export function savedVersionDir(home: string, version: string): string | undefined {
  const dir = versionDir(home, version);
  return isModelFolder(dir) ? dir : undefined;
}

/** The version that serves now, or undefined when the home holds no model yet. */
export function currentVersion(home: string): string | undefined {
  const pointer = path.join(home, POINTER);
  if (existsSync(pointer)) {
    const v = readFileSync(pointer, 'utf8').trim();
    if (v) checkVersionName(home, v, POINTER);
    if (v) return v;
  }
  return isModelFolder(home) ? INITIAL_VERSION : undefined;
}

/**
 * What tells one write of the home's pointer from the next, whatever it names: its file's inode (promoteVersion renames
 * a new file over it), change and modification times and size (a write by hand in place); `none` without a pointer.
 * Read it before currentVersion: a write in between then shows as a later write, never as none.
 */
export function pointerStamp(home: string): string {
  try {
    const s = statSync(path.join(home, POINTER), { bigint: true });
    return `${s.ino}:${s.ctimeNs}:${s.mtimeNs}:${s.size}`;
  } catch {
    return 'none';
  }
}

/** When the home's pointer was last written (its file's modification time, ms); undefined without a pointer. */
export function pointerWrittenAt(home: string): number | undefined {
  try {
    return statSync(path.join(home, POINTER)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Resolves `--model <home>` to the serving version's folder; a UserError when there is none. */
export function resolveModel(home: string): ResolvedModel {
  const pointed = pointedModel(home);
  checkPointedModel(home, pointed);
  return pointed;
}

/**
 * The version `home`'s pointer names and its folder, which may hold no saved model (a version deleted by hand): a
 * trader's source falls back on the version its run last served then (checkPointedModel says why it cannot load).
 */
export function pointedModel(home: string): ResolvedModel {
  // a backtest's save over a plain model folder killed between its two renames left the model beside `home`
  recoverInterruptedSave(home);
  if (!existsSync(home)) throw new UserError(`--model ${home}: no such folder`);
  const version = currentVersion(home);
  if (!version) throw new UserError(`--model ${home}: no saved model in it (expected meta.json or a CURRENT pointer)`);
  return { dir: versionDir(home, version), version };
}

/** One line naming the folder when the version `pointed` (pointedModel) holds no saved model. */
export function checkPointedModel(home: string, pointed: ResolvedModel): void {
  const { dir, version } = pointed;
  if (!isModelFolder(dir)) throw new UserError(`--model ${home}: version ${version} has no saved model at ${dir}`);
}

/**
 * Refuses, before any training, to save a backtest's model into `dir` when `dir` holds more than a saved model: a
 * home's `versions/`, `CURRENT` or retrain lock. Replacing it deleted the promoted versions and the lock of a
 * running retrain, and a paper or live run serving the home lost its model on its next start. A plain model folder
 * (an earlier backtest's) is replaced as before. `bot backtest` calls it before any network or disk work (the run's
 * checks), the runners again before training, and saveModel just before its switch (a retrain may start meanwhile).
 */
export function refuseModelHome(dir: string): void {
  const foreign = foreignEntries(dir);
  if (foreign.length)
    throw new UserError(
      `${dir} holds ${foreign.join(', ')} besides a saved model: a model home, which bot retrain promotes versions ` +
        'into and a paper or live run may serve; a backtest does not replace it: choose another --name, or evaluate ' +
        `its current model with --model ${dir}`,
    );
}

/** A version name newVersionName made: its time to the second (`20250101T030000Z`), then the writer's pid. */
const MADE_NAME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[0-9a-z]+$/;

/** The time (ms UTC) a version name made by newVersionName stands for; undefined for any other name. */
function versionTime(name: string): number | undefined {
  const m = MADE_NAME.exec(name);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/**
 * A fresh, sortable version name: the time `now` to the second, or one second after the newest of the names `taken`
 * when that is not earlier, so that each name sorts after every one taken before it. A fixed clock (`--now`, a
 * replay) gives every retrain the same `now`, and the names it made were all alike: a second promotion then failed on
 * the first's folder. The name ends in the writing process's pid (base 36), see `removeStaging`.
 */
export function newVersionName(now = Date.now(), taken: Iterable<string> = []): string {
  let t = Math.floor(now / 1000) * 1000;
  for (const name of taken) {
    const at = versionTime(name);
    if (at !== undefined && at >= t) t = at + 1000;
  }
  return (
    new Date(t)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z') +
    '-' +
    process.pid.toString(36)
  );
}

/**
 * The folders of the versions `home` holds besides `version`, the newest name first: one a run may have served. A
 * trader starting on a `version` that cannot be loaded falls back on one (src/trading/version-refusal.ts); with none,
 * `bot paper --model` and `bot live --model` refuse it at their start (src/agents/model-folder-check.ts).
 */
export function otherVersionDirs(home: string, version: string): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(path.join(home, 'versions'));
  } catch {
    // a plain model folder: its one version is `initial`
  }
  const others = [...names.sort().reverse(), INITIAL_VERSION];
  return others.filter((v) => v !== version).flatMap((v) => savedVersionDir(home, v) ?? []);
}

/** The version names a home holds: CURRENT's, its `versions/` folders' and its staging folders'. */
export function versionNames(home: string): string[] {
  const root = path.join(home, 'versions');
  const names = existsSync(root) ? readdirSync(root).map((n) => n.replace(/^\.staging-/, '')) : [];
  const serving = existsSync(home) ? currentVersion(home) : undefined;
  return serving === undefined ? names : [...names, serving];
}

/** A challenger's folder while it is written and judged; `commit()` moves it to `versions/<version>`. */
export interface StagedVersion {
  dir: string;
  commit(): string;
  discard(): void;
}

/** A staging folder for a challenger; `commit()` moves it to `versions/<version>` (it does not promote it). */
export function stageVersion(home: string, version: string): StagedVersion {
  const staging = path.join(home, 'versions', `.staging-${version}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  return {
    dir: staging,
    commit() {
      const final = versionDir(home, version);
      renameSync(staging, final);
      syncDir(path.dirname(final));
      return final;
    },
    discard() {
      rmSync(staging, { recursive: true, force: true });
    },
  };
}

/** The pid of the process that named `version` (newVersionName's base-36 end); undefined for a name without one. */
export function versionWriter(version: string): number | undefined {
  const m = /^.+-([0-9a-z]+)$/.exec(version);
  const pid = m ? parseInt(m[1], 36) : NaN;
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * The file a challenger carries from its staging folder into `versions/<version>` until CURRENT names it: which
 * process (on which host, since when) is promoting it. Without it a folder that a retrain killed between its commit
 * and its switch left behind looked like any promoted version, and only that retrain's row in one database could
 * tell (src/trading/unpromoted-versions.ts reads it).
 */
export const PROMOTING_MARK = '.promoting';

/** Who is promoting a version folder (PROMOTING_MARK): pid and host of the writer, and the wall-clock time (ms). */
export interface PromotingMark {
  pid: number;
  host: string;
  at: number;
}

/** Marks the staged challenger in `dir` as being promoted by this process, before its commit (settleChallenger). */
export function markPromoting(dir: string): void {
  const mark: PromotingMark = { pid: process.pid, host: os.hostname(), at: Date.now() };
  writeFileSynced(path.join(dir, PROMOTING_MARK), JSON.stringify(mark) + '\n');
}

/**
 * The PROMOTING_MARK of a version folder: undefined when it has none (promoted, or saved before marks existed);
 * `unreadable` with the file's time when it cannot be read as one.
 */
export function readPromoting(dir: string): PromotingMark | { unreadable: number } | undefined {
  const file = path.join(dir, PROMOTING_MARK);
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Partial<PromotingMark>;
    if (Number.isSafeInteger(m.pid) && typeof m.host === 'string' && Number.isFinite(m.at)) return m as PromotingMark;
  } catch {
    // unreadable: judged by its time
  }
  try {
    return { unreadable: statSync(file).mtimeMs };
  } catch {
    return undefined;
  }
}

/** Removes a version's PROMOTING_MARK once CURRENT names it (or a run served it): its promotion happened. */
export function clearPromoting(dir: string): void {
  const file = path.join(dir, PROMOTING_MARK);
  if (!existsSync(file)) return;
  rmSync(file, { force: true });
  syncDir(dir);
}

/** The pointer file promoteVersion writes before renaming it over CURRENT, named by the writing process's pid. */
const pointerTemp = (pid: number) => `.${POINTER}.${pid}.tmp`;

/**
 * Removes what a writer that `isStale` says is done with (the pid at the end of the name) left in the home, and
 * returns the names: its `versions/.staging-*` folders (the pid that `newVersionName` put at the end of the version
 * name, base 36) and its `.CURRENT.<pid>.tmp` pointer file (promoteVersion's, killed before its rename). A staging
 * folder whose name carries no pid is left alone, and so are `versions/<version>` folders and CURRENT: only a writer
 * that was killed before its commit, discard or rename (SIGKILL, a crash, a power cut) leaves these behind.
 */
export function removeStaging(home: string, isStale: (writerPid: number) => boolean): string[] {
  const removed: string[] = [];
  if (!existsSync(home)) return removed;
  for (const name of readdirSync(home).sort()) {
    const m = /^\.CURRENT\.(\d+)\.tmp$/.exec(name);
    if (!m || name !== pointerTemp(Number(m[1])) || !isStale(Number(m[1]))) continue;
    rmSync(path.join(home, name), { force: true });
    removed.push(name);
  }
  const root = path.join(home, 'versions');
  if (!existsSync(root)) return removed;
  for (const name of readdirSync(root).sort()) {
    const pid = name.startsWith('.staging-') ? versionWriter(name.slice('.staging-'.length)) : undefined;
    if (pid === undefined || !isStale(pid)) continue;
    rmSync(path.join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Points the home at `version` with an atomic rename of the pointer file. In this order, so that a power cut at any
 * moment leaves CURRENT naming a version whose files are whole: the version's files and folders are fsynced (whoever
 * wrote them), then the new pointer's file, then it is renamed over CURRENT and the home folder fsynced, which makes
 * the switch itself durable. Without the first step a pointer could reach the disk before the weights it names.
 */
export function promoteVersion(home: string, version: string): void {
  const dir = versionDir(home, version);
  if (!isModelFolder(dir)) throw new Error(`cannot promote ${version}: ${dir} holds no model`);
  syncTree(dir);
  if (dir !== home) syncDir(path.dirname(dir));
  const tmp = path.join(home, pointerTemp(process.pid));
  writeFileSynced(tmp, version + '\n');
  renameSync(tmp, path.join(home, POINTER));
  syncDir(home);
  // a challenger's mark goes once CURRENT names it; one killed before this is cleared by the next retrain
  if (dir !== home) clearPromoting(dir);
}
