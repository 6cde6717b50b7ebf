/**
 * Writing files so that they survive a power cut: a file's data is fsynced before anything (a rename, a pointer)
 * names it, and a folder is fsynced after an entry is renamed into it. Without the file fsync, a rename can reach the
 * disk before the data does (ext4 with delalloc, XFS), so after a power cut the new name holds an empty file; without
 * the folder fsync, the rename itself may be lost. See the LWN article "Ensuring data reaches disk" (2011).
 */
import { closeSync, fsyncSync, openSync, readdirSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Writes `data` to `file` (replacing it) and fsyncs it before returning. */
export function writeFileSynced(file: string, data: string | Uint8Array): void {
  const fd = openSync(file, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs a folder, so the names created, renamed or removed in it are on disk. (Windows cannot open a folder.) */
export function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs every file under `dir`, then every folder (the deepest first), `dir` last. */
export function syncTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) syncTree(p);
    else if (e.isFile()) {
      const fd = openSync(p, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }
  syncDir(dir);
}
