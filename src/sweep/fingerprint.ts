/**
 * The code fingerprint of a sweep: a hash of what decides a job's numbers besides the job itself — every file under
 * src/ and package-lock.json (the dependency versions). A job carries its coordinator's fingerprint; a worker whose
 * own differs refuses it, and results record the fingerprint of the code that made them, so one ranking never mixes
 * jobs trained by different code. strategies/ is left out on purpose: a job carries its recipe (and the recipe is in
 * the job id), so strategy files decide nothing on a worker, and `bot sweep --save-strategy strategies/…` must not
 * change the fingerprint. Computed once per process, only by the sweep and worker code paths.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../core/project-root.ts';

/** Files under `dir` (relative to `root`, '/'-separated so every OS lists them alike), sorted; dotfiles skipped. */
function listFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...listFiles(root, rel));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

/** The fingerprint of the checkout at `root`: sha256 over each file's path and text (CRLF read as LF). */
export function computeCodeFingerprint(root = PROJECT_ROOT): string {
  const hash = createHash('sha256');
  const files = [...listFiles(root, 'src'), 'package-lock.json'];
  for (const rel of files) {
    const file = path.join(root, rel);
    // a checkout with Windows line endings is the same commit
    const text = existsSync(file) ? readFileSync(file, 'utf8').replace(/\r\n/g, '\n') : '(missing)';
    hash.update(`${rel}\0${Buffer.byteLength(text)}\0`);
    hash.update(text);
  }
  return hash.digest('hex').slice(0, 16);
}

let memo: string | undefined;

/** This process's fingerprint (hashed on first use, then kept: the modules it describes are loaded once too). */
export function codeFingerprint(): string {
  return (memo ??= computeCodeFingerprint());
}

/** The short form shown in messages (like a short git hash). */
export const shortCode = (code: string | undefined): string => (code ? code.slice(0, 8) : '(none)');

/** The one line a worker fails a job with when the coordinator's code is not its own. */
export function codeMismatch(worker: string, coordinator: string | undefined): string {
  const theirs = coordinator ? `code ${shortCode(coordinator)}` : 'a bot too old to send its code fingerprint';
  return (
    `code differs: this worker runs code ${shortCode(worker)}, the sweep's coordinator ${theirs}; ` +
    `check out the same commit on both machines, then run the sweep again`
  );
}
