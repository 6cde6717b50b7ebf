/**
 * A model folder's files on disk without TensorFlow.js: which entries a save did not write (foreignEntries) and the
 * leftovers of a save that was killed part-way (recoverInterruptedSave). Model homes (src/agents/model-pointer.ts) use
 * them on every status and trading start; src/nn/model-files.ts saves and loads the networks themselves.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { syncDir } from '../core/durable-files.ts';
import { processAlive } from '../core/process-alive.ts';

/** The files saveModel (model-files.ts) writes into a model folder: files(key) of every key, and meta.json. */
const MODEL_FILE = /^(meta\.json|model\.json|[A-Za-z0-9_-]+\.model\.json|[A-Za-z0-9_-]+\.weights\.bin)$/;

/**
 * The entries of `dir` that saveModel did not write: a model home's `versions/`, `CURRENT` and retrain lock
 * (src/agents/model-pointer.ts), or anyone's files. saveModel does not replace a folder holding any: replacing it
 * whole deleted a home's promoted versions and the lock of a running retrain when a backtest saved over it.
 */
export function foreignEntries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !MODEL_FILE.test(name))
    .sort();
}

/** A save's temp folder (`<dir>.tmp-<pid>-<ms>`) or the replaced folder it set aside (`<dir>.old-<pid>-<ms>`). */
const LEFTOVER = /^(.+)\.(old|tmp)-(\d+)-(\d+)$/;

/**
 * Finishes what a save of `dir` killed part-way (SIGKILL, a crash, a power cut) left beside it, so that `dir` is a
 * whole model again. Replacing a folder takes two renames (`dir` to `.old-*`, the temp folder to `dir`); a save killed
 * between them left no `dir` at all, only the old model under `.old-*`: that one is renamed back (the save did not
 * happen). The temp folders and set-aside folders of dead writers are then removed. A live writer's (another process
 * saving now, or this one) are left alone.
 */
export function recoverInterruptedSave(dir: string): void {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  if (!existsSync(parent)) return;
  const left = readdirSync(parent).flatMap((name) => {
    const m = LEFTOVER.exec(name);
    if (!m || m[1] !== path.basename(target)) return [];
    const pid = Number(m[3]);
    if (pid === process.pid || processAlive(pid)) return [];
    return [{ name, kind: m[2], at: Number(m[4]) }];
  });
  if (!left.length) return;
  if (!existsSync(target)) {
    const old = left.filter((l) => l.kind === 'old').sort((a, b) => b.at - a.at)[0];
    if (old) {
      renameSync(path.join(parent, old.name), target);
      syncDir(parent);
    }
  }
  for (const l of left) rmSync(path.join(parent, l.name), { recursive: true, force: true });
}
