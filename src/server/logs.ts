/** The tail of the JSON-lines log file (src/core/log.ts), filtered by level, secrets masked once more. */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { redactSecrets } from '../core/log.ts';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

/** How much of the file's end is read: enough for a screenful of entries, bounded whatever the file's size. */
const TAIL_BYTES = 512 * 1024;

/** The newest `limit` entries at `level` or more severe, oldest first. */
export function tailLog(file: string, level: LogLevel, limit: number): Record<string, unknown>[] {
  if (!file || !existsSync(file)) return [];
  const size = statSync(file).size;
  const start = Math.max(0, size - TAIL_BYTES);
  const buf = Buffer.alloc(size - start);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    closeSync(fd);
  }
  const lines = buf.toString('utf8').split('\n');
  if (start > 0) lines.shift(); // a partial first line
  const worst = LOG_LEVELS.indexOf(level);
  const out: Record<string, unknown>[] = [];
  for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
    if (!lines[i].trim()) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(redactSecrets(lines[i])) as Record<string, unknown>;
    } catch {
      continue;
    }
    const at = LOG_LEVELS.indexOf(entry.level as LogLevel);
    if (at >= 0 && at <= worst) out.push(entry);
  }
  return out.reverse();
}
