/**
 * `--out` of the commands that write (backtest, sweep, chart, data export), checked before any work: a report folder
 * that is a file, or an output file that is a folder, used to fail only after the run, with a stack trace or an
 * image library's message of several lines.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';

function kindOf(p: string): 'file' | 'folder' | undefined {
  try {
    return statSync(p).isDirectory() ? 'folder' : 'file';
  } catch {
    return undefined;
  }
}

/** A report folder: absent (it is made) or a folder. */
export function checkOutFolder(value: string | undefined): void {
  if (value !== undefined && kindOf(value) === 'file')
    throw new UserError(`--out ${value} is a file; give a folder for the report (it is made if missing)`);
}

/** An output file: absent or a file (it is replaced), not a folder; `example` is a file name to suggest in it. */
export function checkOutFile(value: string | undefined, example: string): void {
  if (value !== undefined && kindOf(value) === 'folder')
    throw new UserError(`--out ${value} is a folder; give a file name, e.g. ${path.join(value, example)}`);
}
