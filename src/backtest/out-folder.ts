/**
 * A run's report folder, made for the run, and taking back what the run wrote when it fails: a failed training used to
 * leave a half-written folder (epoch summaries, no report.json) that the next run's --out check then refused.
 */
import { mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';

interface OutFolder {
  /**
   * Removes what the run wrote: the folder itself and the parents it made when it made them, else (an existing empty
   * folder given with --out) only the entries that were not there when the run started, leaving the folder.
   */
  undo(): void;
}

/** Makes `dir` (and missing parents) and remembers what was made, so that `undo` removes only that. */
export function claimOutFolder(dir: string): OutFolder {
  const target = path.resolve(dir);
  const made = mkdirSync(target, { recursive: true });
  const before = new Set(readdirSync(target));
  return {
    undo() {
      if (made === undefined) {
        for (const name of readdirSync(target))
          if (!before.has(name)) rmSync(path.join(target, name), { recursive: true, force: true });
        return;
      }
      rmSync(target, { recursive: true, force: true });
      // the parents it made, from the inside out, while they are empty (another process may have written in one)
      const top = path.resolve(made);
      for (let at = path.dirname(target); at.length >= top.length && at !== path.dirname(at); at = path.dirname(at)) {
        try {
          rmdirSync(at);
        } catch {
          return;
        }
        if (at === top) return;
      }
    },
  };
}
