/**
 * Finding and opening a file inside a served folder (`backtests/`, `models/`): only regular files named by segments of
 * letters, digits, dot, dash and underscore that do not start with a dot (so no `..`, no hidden files), whose real
 * path (symlinks resolved) is still inside the folder's real path, opened only as the file checked (openInside): no
 * symlink put in its place, no hard link (a second name of a file outside).
 */
import { constants, existsSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { HttpError } from './validate.ts';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}$/;

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
