/**
 * The models/ folder as the dashboard lists it: model homes with their versions (the initial model and
 * versions/<v>), the CURRENT pointer and the serving meta.json's summary. Each meta.json and CURRENT is read bounded
 * and kept while it stays the same (KeptFiles, as the backtests catalog's reports): the list reads every version's
 * meta.json on every dashboard refresh, and one huge meta.json read whole could exhaust the server's memory.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { redactJsonText } from '../core/redact.ts';
import { fileInside, safeSegment } from './files.ts';
import { HttpError } from './validate.ts';
import { KeptFiles, MAX_READ_WHOLE, overLimit, TooLarge } from './served-json.ts';

type Meta = Record<string, unknown>;

/** A model home whose versions/ cannot be listed (a file of that name): noted in the list, not failing it. */
class UnreadableHome extends HttpError {}

interface ModelEntry {
  name: string;
  current: string | null;
  versions: { version: string; createdAt: string | null; metrics: Meta | null }[];
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
 * is not, or is gone or unreadable when opened. One over MAX_READ_WHOLE is a TooLarge naming it.
 */
async function readInside<T>(
  kept: KeptFiles<T>,
  root: string,
  parts: string[],
  files: ModelFiles,
): Promise<T | undefined> {
  const file = fileInside(root, parts);
  if (file === undefined) return undefined;
  try {
    return await kept.read(file, ['models', ...parts].join('/'), files.now());
  } catch (e) {
    if (e instanceof TooLarge) throw e;
    return undefined;
  }
}

/** The meta.json at `parts` under `root`, or null. */
async function metaOf(root: string, parts: string[], files: ModelFiles): Promise<Meta | null> {
  return (await readInside(files.metas, root, [...parts, 'meta.json'], files)) ?? null;
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

/** A version's line: when it was made and its metrics, from its meta.json. */
function versionOf(version: string, meta: Meta): ModelEntry['versions'][number] {
  return { version, createdAt: (meta.createdAt as string) ?? null, metrics: (meta.metrics as Meta) ?? null };
}

/**
 * A model home (`models/<name>`): versions (the initial model and versions/<v>), CURRENT and the serving meta. A
 * TooLarge when one of its meta.json or its CURRENT is over MAX_READ_WHOLE: the serving version may be the one not
 * read, so the home is not shown as if it were whole.
 */
export async function readModel(root: string, name: string, files: ModelFiles): Promise<ModelEntry | undefined> {
  if (!safeSegment(name)) return undefined;
  const home = path.join(root, name);
  if (!existsSync(home) || !statSync(home).isDirectory()) return undefined;
  if (!realpathSync(home).startsWith(realpathSync(root) + path.sep)) return undefined;
  const versions: ModelEntry['versions'] = [];
  const initial = await metaOf(root, [name], files);
  if (initial) versions.push(versionOf('initial', initial));
  const metas = new Map<string, Meta>();
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
      if (!safeSegment(v)) continue;
      const meta = await metaOf(root, [name, 'versions', v], files);
      if (meta) versions.push(versionOf(v, meta));
      if (meta) metas.set(v, meta);
    }
  }
  if (versions.length === 0) return undefined;
  const pointer = await pointerOf(root, name, initial !== null, files);
  const current = pointer !== null && (pointer === 'initial' || safeSegment(pointer)) ? pointer : null;
  const serving = current === null ? null : current === 'initial' ? initial : (metas.get(current) ?? null);
  return { name, current, versions, meta: metaSummary(serving) };
}

/**
 * Every model home under `root`, and the homes with a meta.json or CURRENT over MAX_READ_WHOLE or a versions/ that
 * is not a folder: listed apart with the problem, so one stray file neither fails the list nor vanishes unexplained.
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
      if (e instanceof UnreadableHome) unreadable.push({ name, problem: e.message });
      else if (e instanceof TooLarge) unreadable.push({ name, problem: `${e.file} is ${overLimit(e)}` });
      else throw e;
    }
  }
  return { models, unreadable };
}
