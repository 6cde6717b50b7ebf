/**
 * Files the dashboard reads whole (served JSON files, masked; backtest reports and trades, models' meta.json and
 * CURRENT for the catalogs): each is read only up to MAX_READ_WHOLE_BYTES, and what it gives is kept while the file
 * and the environment's secrets stay the same, so a large report is not read and parsed again on every request.
 */
import { createHash } from 'node:crypto';
import { envSecrets, redactJsonText } from '../core/redact.ts';
import { openInside, type InsideFile } from './inside-file.ts';
import { HttpError } from './validate.ts';

/** The largest file read whole (masking and parsing hold it in memory, twice or more while they work). */
export const MAX_READ_WHOLE_BYTES = 32 * 1024 * 1024;
/** The limit as the refusals name it. */
export const MAX_READ_WHOLE = `${MAX_READ_WHOLE_BYTES / 1024 / 1024} MiB`;
/** What the kept values of one KeptFiles may weigh in all; the oldest used goes first. */
const CACHE_BYTES = 64 * 1024 * 1024;
/**
 * A value is kept only when its file last changed (ctime) this long before the read: a file-time tick is coarse
 * (milliseconds), and a file written again within the tick it was read in would look unchanged ("racily clean", as
 * git calls it). Any change later moves ctime, which no one can set back (utimes sets it to now), so it is seen.
 */
const SETTLE_MS = 2000;

/** A file over MAX_READ_WHOLE_BYTES: a 413 whose one line names the file, its size and the limit. */
export class TooLarge extends HttpError {
  readonly file: string;
  readonly size: bigint;
  constructor(name: string, size: bigint, refusal: string) {
    super(413, `${name} is ${size} bytes: ${refusal}`);
    this.file = name;
    this.size = size;
  }
}

/** A list's note for a file over the limit, which the list leaves out while it lists the others. */
export function overLimit(e: TooLarge): string {
  return `${e.size} bytes, over the ${MAX_READ_WHOLE} the dashboard reads whole`;
}

/** What a file's text gives, and what keeping it weighs (its bytes, or for a parsed value the file's size). */
interface Derived<T> {
  value: T;
  bytes: number;
}

interface Kept<T> {
  stamp: string;
  value: T;
  bytes: number;
}

/** One kind of file read whole: each file's derived value kept by file identity and the secrets' hash. */
export class KeptFiles<T> {
  private readonly kept = new Map<string, Kept<T>>();
  private bytes = 0;

  /**
   * `derive`: the value of a file's text (it masks what it keeps); `refusal`: what a TooLarge says after the size,
   * naming the limit (MAX_READ_WHOLE).
   */
  constructor(
    private readonly derive: (text: string) => Derived<T>,
    private readonly refusal: string,
  ) {}

  /**
   * The value of the file fileInside found, named `name` in a refusal: TooLarge when it is over MAX_READ_WHOLE_BYTES,
   * openInside's refusals. `now`: the wall clock the file system stamps times with.
   */
  async read(found: InsideFile, name: string, now = Date.now()): Promise<T> {
    const file = found.file;
    const handle = await openInside(found, name);
    try {
      // the size and times of what was opened, not of the path: a file renamed over it is another file
      const st = await handle.stat({ bigint: true });
      if (st.size > MAX_READ_WHOLE_BYTES) throw new TooLarge(name, st.size, this.refusal);
      const secrets = createHash('sha256')
        .update(JSON.stringify(envSecrets([])))
        .digest('hex');
      const stamp = [st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs, secrets].join(':');
      const hit = this.kept.get(file);
      if (hit) this.drop(file, hit);
      if (hit?.stamp === stamp) return this.keep(file, hit);
      const size = Number(st.size);
      const raw = Buffer.alloc(size);
      let got = 0;
      // up to the size stat gave: a file growing while it is read is seen changed at the next request
      while (got < size) {
        const { bytesRead } = await handle.read(raw, got, size - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      const { value, bytes } = this.derive(raw.subarray(0, got).toString('utf8'));
      if (Number(st.ctimeMs) < now - SETTLE_MS && bytes <= CACHE_BYTES) this.keep(file, { stamp, value, bytes });
      return value;
    } finally {
      await handle.close();
    }
  }

  private drop(file: string, k: Kept<T>): void {
    this.kept.delete(file);
    this.bytes -= k.bytes;
  }

  /** Keeps `k` as the newest used, dropping the oldest used while the values weigh more than CACHE_BYTES. */
  private keep(file: string, k: Kept<T>): T {
    this.kept.set(file, k);
    this.bytes += k.bytes;
    for (const [f, old] of this.kept) {
      if (this.bytes <= CACHE_BYTES) break;
      this.drop(f, old);
    }
    return k.value;
  }
}

/** Served JSON files: a file's bytes with the secrets in its strings masked (redactJsonText). */
export class ServedJson extends KeptFiles<Buffer> {
  constructor() {
    super((text) => {
      const body = Buffer.from(redactJsonText(text));
      return { value: body, bytes: body.length };
    }, `a JSON file over ${MAX_READ_WHOLE} is not served (masking reads it whole)`);
  }

  body(found: InsideFile, name: string, now = Date.now()): Promise<Buffer> {
    return this.read(found, name, now);
  }
}
