/**
 * The tail of the JSON-lines log file (src/core/log.ts), filtered by level, secrets masked once more. When the file
 * was just rotated (src/core/log-file.ts) the newest entries continue in the previous file, so that one is read too.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { redactSecretsIn } from '../core/redact.ts';
import { rotatedLogFile } from '../core/log-file.ts';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

/** How much of the file's end is read: enough for a screenful of entries, bounded whatever the file's size. */
const TAIL_BYTES = 512 * 1024;

/** The last TAIL_BYTES of `file` as whole lines; none when it does not exist (e.g. renamed away a moment ago). */
function tailLines(file: string): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  let buf: Buffer;
  let start: number;
  try {
    // The size of what was opened, not of the path: a rotation between the two would mix two files.
    const size = fstatSync(fd).size;
    start = Math.max(0, size - TAIL_BYTES);
    buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    closeSync(fd);
  }
  const lines = buf.toString('utf8').split('\n');
  if (start > 0) lines.shift(); // a partial first line
  return lines;
}

/** The newest `limit` entries at `level` or more severe, oldest first. */
export function tailLog(file: string, level: LogLevel, limit: number): Record<string, unknown>[] {
  if (!file) return [];
  const worst = LOG_LEVELS.indexOf(level);
  const out: Record<string, unknown>[] = [];
  for (const source of [file, rotatedLogFile(file, 1)]) {
    const lines = tailLines(source);
    for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
      if (!lines[i].trim()) continue;
      let entry: Record<string, unknown>;
      try {
        entry = redactSecretsIn(JSON.parse(lines[i]) as Record<string, unknown>);
      } catch {
        continue;
      }
      const at = LOG_LEVELS.indexOf(entry.level as LogLevel);
      if (at >= 0 && at <= worst) out.push(entry);
    }
    if (out.length >= limit) break;
  }
  return out.reverse();
}
