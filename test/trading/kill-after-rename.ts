/**
 * A preload (`node --import tsx --import <this file> …`) that SIGKILLs the process right after the first renameSync
 * whose destination matches the regular expression in KILL_AFTER_RENAME, as kill -9 or a power cut would stop it
 * there. node:fs is traced, not replaced: the rename itself happens (test/trading/retrain-killed.test.ts).
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const pattern = process.env.KILL_AFTER_RENAME;
if (pattern) {
  const at = new RegExp(pattern);
  const realRename = fs.renameSync;
  fs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
    realRename(from, to);
    if (at.test(String(to))) process.kill(process.pid, 'SIGKILL');
  };
  syncBuiltinESMExports();
}
