/**
 * The models/ folder as the dashboard lists it: model homes with their versions (the initial model and
 * versions/<v>), the CURRENT pointer and the serving meta.json's summary. Each meta.json and CURRENT is read bounded
 * and kept while it stays the same (KeptFiles, as the backtests catalog's reports): the list reads every version's
 * meta.json on every dashboard refresh, and one huge meta.json read whole could exhaust the server's memory.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { redactJsonText } from '../core/redact.ts';
import { fileInside, safeSegment } from './inside-file.ts';
import { KeptFiles, MAX_READ_WHOLE, overLimit, TooLarge } from './served-json.ts';
import { HttpError } from './validate.ts';

type Meta = Record<string, unknown>;

/** A model home whose versions/ cannot be listed (a file of that name): noted in the list, not failing it. */
class UnreadableHome extends HttpError {}

interface ModelEntry {
  name: string;
  current: string | null;
  /** `unreadable`: why the version's meta.json is not read (over MAX_READ_WHOLE, refused by openInside). */
  versions: { version: string; createdAt: string | null; metrics: Meta | null; unreadable?: string }[];
  meta: Meta | null;
}

/** A meta.json's text as an object, or null when it is not JSON or not an object. */
function parseMeta(text: string): Meta | null {
  try {
    const m: unknown = JSON.parse(text);
    return m && typeof m === 'object' ? (m as Meta) : null;
  } catch {
    return null;
  }
}

/**
 * The models catalog's reads of meta.json and CURRENT, each bounded and kept while its file stays the same. A kept
 * meta.json is masked in its strings (redactJsonText), as a report is; CURRENT only names a version (a safe segment).
 */
export class ModelFiles {
  /** `now`: the wall clock the file system stamps times with (KeptFiles.read). */
  constructor(readonly now: () => number = Date.now) {}
  readonly metas = new KeptFiles<Meta | null>(
    // a parsed object weighs about twice its text
    (text) => ({ value: parseMeta(redactJsonText(text)), bytes: text.length * 2 }),
    `a meta.json over ${MAX_READ_WHOLE} is not read (the dashboard reads it whole)`,
  );
  readonly pointers = new KeptFiles<string>(
    (text) => ({ value: text.trim(), bytes: text.length }),
    `a CURRENT over ${MAX_READ_WHOLE} is not read (it names one version)`,
  );
}

/**
 * What `kept` gives for `parts` under `root`, read only when it is really inside root (fileInside); undefined when it
 * is not, or is gone or unreadable when opened. One over MAX_READ_WHOLE is a TooLarge naming it, one openInside
 * refuses (another hard link, replaced while opened) its HttpError.
 */
async function readInside<T>(
  kept: KeptFiles<T>,
  root: string,
  parts: string[],
  files: ModelFiles,
): Promise<T | undefined> {
  const found = fileInside(root, parts);
  if (found === undefined) return undefined;
  try {
    return await kept.read(found, ['models', ...parts].join('/'), files.now());
  } catch (e) {
    if (e instanceof HttpError) throw e;
    return undefined;
  }
}

/** Why a version's meta.json is not read (a class: a meta.json's own fields could look like anything). */
class Unread {
  constructor(readonly why: string) {}
}

/** The meta.json at `parts` under `root`; null without one, or why it is not read (over the limit, refused). */
async function metaOf(root: string, parts: string[], files: ModelFiles): Promise<Meta | Unread | null> {
  try {
    return (await readInside(files.metas, root, [...parts, 'meta.json'], files)) ?? null;
  } catch (e) {
    if (e instanceof TooLarge) return new Unread(`${e.file} is ${overLimit(e)}`);
    if (e instanceof HttpError) return new Unread(e.message);
    throw e;
  }
}

/**
 * The version CURRENT names (as currentVersion in src/agents/model-pointer.ts reads it), `initial` without a pointer
 * when the home holds a model itself, or null. A CURRENT leading out of `root` (a symlink) is not read: its first line
 * was shown as the serving version.
 */
async function pointerOf(root: string, name: string, initial: boolean, files: ModelFiles): Promise<string | null> {
  if (existsSync(path.join(root, name, 'CURRENT'))) {
    const v = await readInside(files.pointers, root, [name, 'CURRENT'], files);
    if (v === undefined) return null;
    if (v) return v;
  }
  return initial ? 'initial' : null;
}

/** The meta.json fields worth showing (the scaler and network spec are large and say little on a page). */
function metaSummary(meta: Meta | null): Meta | null {
  if (!meta) return null;
  const keep = [
    'name',
    'strategy',
    'seed',
    'trainingWindow',
    'validationWindows',
    'market',
    'dataHash',
    'metrics',
    'codeVersion',
    'createdAt',
    'featureVersion',
  ];
  return Object.fromEntries(Object.entries(meta).filter(([k]) => keep.includes(k)));
}

/** A version's line: when it was made and its metrics, from its meta.json, or why that is not read. */
function versionOf(version: string, meta: Meta | Unread): ModelEntry['versions'][number] {
  if (meta instanceof Unread) return { version, createdAt: null, metrics: null, unreadable: meta.why };
  return { version, createdAt: (meta.createdAt as string) ?? null, metrics: (meta.metrics as Meta) ?? null };
}

/**
 * A model home (`models/<name>`): versions (the initial model and versions/<v>), CURRENT and the serving meta. A
 * version whose meta.json is over MAX_READ_WHOLE (or refused by openInside) is listed with `unreadable` saying why,
 * the others as they are (an old huge version hid the whole home); the serving meta is null when it is that one. A
 * TooLarge when CURRENT is over MAX_READ_WHOLE: which version serves is then unknown.
 */
export async function readModel(root: string, name: string, files: ModelFiles): Promise<ModelEntry | undefined> {
  if (!safeSegment(name)) return undefined;
  const home = path.join(root, name);
  if (!existsSync(home) || !statSync(home).isDirectory()) return undefined;
  if (!realpathSync(home).startsWith(realpathSync(root) + path.sep)) return undefined;
  const versions: ModelEntry['versions'] = [];
  const metas = new Map<string, Meta>();
  const add = (version: string, meta: Meta | Unread | null) => {
    if (meta) versions.push(versionOf(version, meta));
    if (meta && !(meta instanceof Unread)) metas.set(version, meta);
  };
  const initial = await metaOf(root, [name], files);
  add('initial', initial);
  const vdir = path.join(home, 'versions');
  if (existsSync(vdir)) {
    let names: string[];
    try {
      names = readdirSync(vdir);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'is not a folder' : 'cannot be read';
      throw new UnreadableHome(500, `models/${name}/versions ${why}`);
    }
    for (const v of names.sort()) {
      if (safeSegment(v)) add(v, await metaOf(root, [name, 'versions', v], files));
    }
  }
  if (versions.length === 0) return undefined;
  const pointer = await pointerOf(root, name, initial !== null, files);
  const current = pointer !== null && (pointer === 'initial' || safeSegment(pointer)) ? pointer : null;
  const serving = current === null ? null : (metas.get(current) ?? null);
  return { name, current, versions, meta: metaSummary(serving) };
}

/**
 * Every model home under `root`, and the homes whose CURRENT is over MAX_READ_WHOLE (or refused by openInside) or
 * whose versions/ is not a folder: listed apart with the problem, so one such file neither fails the list nor vanishes
 * unexplained.
 */
export async function listModels(
  root: string,
  files: ModelFiles,
): Promise<{ models: ModelEntry[]; unreadable: { name: string; problem: string }[] }> {
  const models: ModelEntry[] = [];
  const unreadable: { name: string; problem: string }[] = [];
  if (!existsSync(root)) return { models, unreadable };
  for (const name of readdirSync(root).sort()) {
    try {
      const m = await readModel(root, name, files);
      if (m) models.push(m);
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      unreadable.push({ name, problem: e instanceof TooLarge ? `${e.file} is ${overLimit(e)}` : e.message });
    }
  }
  return { models, unreadable };
}
