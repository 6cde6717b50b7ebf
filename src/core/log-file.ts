/**
 * The size-capped JSON-lines log file: one line per entry appended to `file`; when the next line would take it past
 * `maxBytes` the file is renamed `<name>1<ext>` (the one before that `<name>2<ext>`, …) and a new one begun, so at most
 * `maxFiles` files exist and `file` always holds the newest lines.
 *
 * Not winston's File transport with `maxsize`: it loses a burst of entries logged together (winstonjs/winston#1655,
 * reproduced with 3.19: both files empty after 400 lines in one loop), keeps writing to rotated files under load
 * (#1905) and stops writing, buffering in memory, after one entry larger than `maxsize` (#2354). Appending each line
 * synchronously by path costs microseconds at a trader's few lines a minute, writes to whatever file is current when
 * another process (`bot serve`, a retrain child) rotated it, and leaves nothing buffered for a crash to lose.
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Transport from 'winston-transport';

export interface LogFileCap {
  /** Size at which the file is rotated; a single entry larger than this gets a file of its own. */
  maxBytes: number;
  /** How many files are kept, the current one included (at least 2). */
  maxFiles: number;
}

/** The n-th rotated file of `file` (n ≥ 1): `.bot/bot.log` → `.bot/bot1.log`; n = 0 is `file` itself. */
export function rotatedLogFile(file: string, n: number): string {
  if (n === 0) return file;
  const ext = path.extname(file);
  return path.join(path.dirname(file), `${path.basename(file, ext)}${n}${ext}`);
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Shifts `file` → 1 → 2 … and drops the oldest, leaving `file` free for a new one. */
function rotate(file: string, maxFiles: number): void {
  rmSync(rotatedLogFile(file, maxFiles - 1), { force: true });
  for (let n = maxFiles - 2; n >= 0; n--) {
    try {
      renameSync(rotatedLogFile(file, n), rotatedLogFile(file, n + 1));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

const MESSAGE = Symbol.for('message');

export class CappedFileTransport extends Transport {
  private lastError = '';
  /**
   * The folder is made at the first line, not when the logger is set up: a command that stops on a bad flag or
   * config value (checked after the logger exists) leaves no `.bot/` behind.
   */
  private folderMade = false;

  constructor(
    private readonly file: string,
    private readonly cap: LogFileCap,
    options: Transport.TransportStreamOptions = {},
  ) {
    super(options);
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const line = `${String(info[MESSAGE])}\n`;
    try {
      // private, as the database beside it: a new folder 0700 and a new file 0600 (an existing one keeps its mode)
      if (!this.folderMade) mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true, mode: 0o700 });
      this.folderMade = true;
      const size = sizeOf(this.file);
      if (size > 0 && size + Buffer.byteLength(line) > this.cap.maxBytes) rotate(this.file, this.cap.maxFiles);
      appendFileSync(this.file, line, { mode: 0o600 });
      this.lastError = '';
    } catch (e) {
      // A full disk fails every write: say so once, not once per entry.
      const message = `log file ${this.file}: ${(e as Error).message}\n`;
      if (message !== this.lastError) process.stderr.write(message);
      this.lastError = message;
    }
    this.emit('logged', info);
    next();
  }
}
