/**
 * `--out` of the commands that write (backtest, sweep, chart, data export), checked before any work: a report folder
 * that is a file, an output file that is a folder, a path under a file or in a folder nothing can be made in (a
 * missing parent of a data export, /proc) used to fail only after the run, with a stack trace or an image library's
 * message of several lines; Node's recursive mkdir even loops for ever on /proc. A backtest's folder must be new or
 * empty: files of an earlier run left beside the new report were read as the new run's.
 */
import { accessSync, constants, mkdtempSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';

function kindOf(p: string): 'file' | 'folder' | undefined {
  try {
    return statSync(p).isDirectory() ? 'folder' : 'file';
  } catch {
    return undefined;
  }
}

function reason(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/**
 * The folder `target` would be made in, or is, can hold new files: its nearest existing ancestor is a folder in which
 * a probe folder can be made (and is removed at once). Root passes every permission check, and /proc takes none, so
 * only making something tells.
 */
function checkCanMakeIn(value: string, target: string): void {
  let at = path.resolve(target);
  while (kindOf(at) === undefined && path.dirname(at) !== at) at = path.dirname(at);
  if (kindOf(at) === 'file') throw new UserError(`--out ${value}: ${at} is a file, not a folder`);
  try {
    rmdirSync(mkdtempSync(path.join(at, '.bot-out-check-')));
  } catch (e) {
    throw new UserError(`--out ${value}: cannot write in ${at} (${reason(e)})`);
  }
}

/** What a command that wants a new or empty report folder says about it (`checkOutFolder`'s `empty`). */
interface EmptyFolder {
  /** Why the folder must be empty, in the refusal's brackets. */
  why: string;
  /** A folder that may be written into all the same: the command's own earlier files (a re-run's report). */
  reuse?: (folder: string, held: readonly string[]) => boolean;
}

const BACKTEST_FOLDER: EmptyFolder = {
  why: 'a backtest does not delete files, and an earlier run beside its report would read as part of it',
};

/**
 * A report folder: absent (it is made) or a folder, in a place that can hold it. With `empty` (a backtest's or a
 * sweep's folder) an existing folder must hold nothing but what `reuse` accepts: the run never deletes or overwrites
 * files it did not write.
 */
export function checkOutFolder(value: string | undefined, opts: { empty?: true | EmptyFolder } = {}): void {
  if (value === undefined) return;
  const kind = kindOf(value);
  if (kind === 'file')
    throw new UserError(`--out ${value} is a file; give a folder for the report (it is made if missing)`);
  if (kind === 'folder' && opts.empty) {
    const empty = opts.empty === true ? BACKTEST_FOLDER : opts.empty;
    const held = readdirSync(value).sort();
    if (held.length > 0 && !empty.reuse?.(value, held)) {
      const names = held.length > 4 ? `${held.slice(0, 3).join(', ')}, … (${held.length} entries)` : held.join(', ');
      throw new UserError(`--out ${value} already holds ${names}: give a new or empty folder (${empty.why})`);
    }
  }
  checkCanMakeIn(value, value);
}

/**
 * An output file (a name, not one ending in /): absent or a file (it is replaced; with `replace: false` refused, as
 * `bot data export` does without --force), not a folder, in a place that can hold it (missing folders are made);
 * `example` is a file name to suggest.
 */
export function checkOutFile(value: string | undefined, example: string, opts: { replace?: boolean } = {}): void {
  if (value === undefined) return;
  const kind = kindOf(value);
  if (kind === 'folder')
    throw new UserError(`--out ${value} is a folder; give a file name, e.g. ${path.join(value, example)}`);
  // a missing folder's name: the writer's own error (libvips: four lines) came only after the work
  if (/[/\\]$/.test(value))
    throw new UserError(
      `--out ${value} names a folder (it ends in /); give a file name, ` + `e.g. ${path.join(value, example)}`,
    );
  if (kind === 'file' && opts.replace === false)
    throw new UserError(`--out ${value} already exists; pass --force to replace it`);
  if (kind === 'file') {
    try {
      accessSync(value, constants.W_OK);
    } catch (e) {
      throw new UserError(`--out ${value}: cannot write it (${reason(e)})`);
    }
  } else checkCanMakeIn(value, path.dirname(path.resolve(value)));
}
