/**
 * Files the dashboard may hand out: only regular files inside `backtests/` and `models/`, named by segments of
 * letters, digits, dot, dash and underscore that do not start with a dot (so no `..`, no hidden files), and whose
 * real path (symlinks resolved) is still inside the folder's real path. Anything else is "not found". A file is opened
 * only as the one checked (openInside): no symlink put in its place, no hard link (a second name of a file outside).
 */
import { constants, existsSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { envSecrets, LONGEST_WRITTEN_CHAR, redactWritten } from '../core/redact.ts';
import type { ServedJson } from './served-json.ts';
import { HttpError } from './validate.ts';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}$/;

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.png': 'image/png',
  '.html': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.bin': 'application/octet-stream',
};

/** Whether `name` is one safe path segment. */
export function safeSegment(name: string): boolean {
  return SEGMENT.test(name);
}

/** A file fileInside found: its real path, the real path of its folder's root, and the file it was when checked. */
export interface InsideFile {
  file: string;
  realRoot: string;
  dev: bigint;
  ino: bigint;
  /** Its names (hard links): a file with more than one is not opened (openInside). */
  links: bigint;
}

/**
 * `parts` under `root` if they are safe segments naming a regular file really inside root (symlinks followed);
 * otherwise undefined. Whatever the dashboard reads from backtests/ or models/ goes through this, then openInside.
 */
export function fileInside(root: string, parts: readonly string[]): InsideFile | undefined {
  if (parts.length === 0 || parts.length > 8 || !parts.every(safeSegment) || !existsSync(root)) return undefined;
  try {
    const realRoot = realpathSync(root);
    const real = realpathSync(path.join(realRoot, ...parts));
    if (!real.startsWith(realRoot + path.sep)) return undefined;
    const st = statSync(real, { bigint: true });
    return st.isFile() ? { file: real, realRoot, dev: st.dev, ino: st.ino, links: st.nlink } : undefined;
  } catch {
    return undefined;
  }
}

/** fileInside's file, with the content type it is served as; undefined for a type we do not serve. */
export function resolveInside(root: string, parts: readonly string[]): (InsideFile & { type: string }) | undefined {
  const type = CONTENT_TYPES[path.extname(parts[parts.length - 1] ?? '').toLowerCase()];
  const found = type ? fileInside(root, parts) : undefined;
  return found && type ? { ...found, type } : undefined;
}

/**
 * Where the open file `handle` is now, as the kernel names it (Linux's /proc/self/fd), or, where there is no such
 * name, the real path of the path checked.
 */
function openedPath(handle: FileHandle, checked: string): string {
  try {
    return readlinkSync(`/proc/self/fd/${handle.fd}`);
  } catch {
    return realpathSync(checked);
  }
}

/**
 * `found` opened for reading as the very file fileInside checked, `name` (its path as requested) naming it in a
 * refusal: a 403 for a file with other hard links (one in backtests/ may be a second name of any file of the user's,
 * and nothing tells which is the original; the bot writes none), a 404 for one replaced since the check (a symlink in
 * its place is not followed: O_NOFOLLOW; another file, or one under a folder swapped for a symlink, is not the file
 * checked, or is now outside the folder).
 */
export async function openInside(found: InsideFile, name: string): Promise<FileHandle> {
  const replaced = new HttpError(404, `${name} was replaced while it was opened: not served`);
  let handle: FileHandle;
  try {
    handle = await open(found.file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    throw (e as NodeJS.ErrnoException).code === 'ELOOP' ? replaced : e;
  }
  try {
    const st = await handle.stat({ bigint: true });
    if (!st.isFile() || st.dev !== found.dev || st.ino !== found.ino) throw replaced;
    if (!openedPath(handle, found.file).startsWith(found.realRoot + path.sep)) throw replaced;
    if (st.nlink > 1n) {
      throw new HttpError(403, `${name} has ${st.nlink} hard links: not served (it may be a file from elsewhere)`);
    }
    return handle;
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** The characters a CSV's fields are told apart by: masking keeps them in place (redactWritten's `runs`). */
export const CSV_FIELD_TEXT = /[^,"\r\n]+/g;

/**
 * What a served file sends, with the environment's secrets masked as in every JSON answer (a report or a copied log
 * may hold a key), written as they are or escaped (`\u0061`, `&#97;`; redactWritten): a JSON file masked in its parsed
 * strings, so a number equal to a secret stays a number and the file stays JSON (masking the text wrote a bare `***`),
 * read whole, so only up to a size and kept while unchanged (ServedJson); another text file (CSV, HTML, text) masked
 * as text and streamed, so a large one costs no more memory than a chunk (a CSV's delimiters and quotes inside a
 * secret stay in place, so every row keeps its fields); a binary file (PNG, weights) streamed as it is.
 */
export async function servedBody(
  found: InsideFile & { type: string },
  name: string,
  json: ServedJson,
): Promise<Readable | Buffer> {
  if (found.type.startsWith('application/json')) return json.body(found, name);
  const handle = await openInside(found, name);
  if (!found.type.startsWith('text/')) return handle.createReadStream();
  const runs = found.type.startsWith('text/csv') ? CSV_FIELD_TEXT : undefined;
  const keep = Math.max(0, ...envSecrets([]).map((v) => v.length * LONGEST_WRITTEN_CHAR - 1));
  let carry = '';
  // complete secrets in carry + chunk are masked; the last `keep` characters wait for the next chunk, since a secret
  // split across two chunks ends there
  const mask = new Transform({
    decodeStrings: false,
    transform(chunk: string, _enc, done) {
      const masked = redactWritten(carry + chunk, runs);
      const cut = Math.max(0, masked.length - keep);
      carry = masked.slice(cut);
      done(null, masked.slice(0, cut));
    },
    flush(done) {
      done(null, carry);
    },
  });
  return handle.createReadStream({ encoding: 'utf8' }).pipe(mask);
}

/**
 * Files (relative paths) under `root/sub` we would serve, depth ≤ 3, sorted; symlinks leaving root and files with
 * other hard links (openInside refuses them) are left out.
 */
export function listInside(root: string, sub: string): string[] {
  const out: string[] = [];
  const walk = (parts: string[], depth: number): void => {
    let entries;
    try {
      entries = readdirSync(path.join(root, ...parts), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!safeSegment(e.name)) continue;
      const next = [...parts, e.name];
      if (e.isDirectory() && depth < 3) walk(next, depth + 1);
      else if (resolveInside(root, next)?.links === 1n) out.push(next.slice(1).join('/'));
    }
  };
  if (safeSegment(sub)) walk([sub], 0);
  return out.sort();
}
