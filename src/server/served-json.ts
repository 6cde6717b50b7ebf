/**
 * Served JSON files, masked: each is read whole (its strings are masked parsed) only up to MAX_SERVED_JSON_BYTES, and
 * its masked bytes are kept while the file and the environment's secrets stay the same, so a large report is not
 * read and parsed again on every request.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { envSecrets, redactJsonText } from '../core/redact.ts';
import { HttpError } from './validate.ts';

/** The largest JSON file served (masking holds it whole in memory, twice while it works). */
export const MAX_SERVED_JSON_BYTES = 32 * 1024 * 1024;
/** What the kept bodies may hold in all; the oldest used goes first. */
const CACHE_BYTES = 64 * 1024 * 1024;
/**
 * A body is kept only when its file last changed (ctime) this long before the read: a file-time tick is coarse
 * (milliseconds), and a file written again within the tick it was read in would look unchanged ("racily clean", as
 * git calls it). Any change later moves ctime, which no one can set back (utimes sets it to now), so it is seen.
 */
const SETTLE_MS = 2000;

interface Kept {
  stamp: string;
  body: Buffer;
}

export class ServedJson {
  private readonly kept = new Map<string, Kept>();
  private bytes = 0;

  /**
   * The masked bytes of `file` (a real path fileInside returned), named `name` in a refusal: a 413 when it is over
   * MAX_SERVED_JSON_BYTES. `now`: the wall clock the file system stamps times with.
   */
  async body(file: string, name: string, now = Date.now()): Promise<Buffer> {
    const handle = await open(file, 'r');
    try {
      // the size and times of what was opened, not of the path: a file renamed over it is another file
      const st = await handle.stat({ bigint: true });
      if (st.size > MAX_SERVED_JSON_BYTES)
        throw new HttpError(
          413,
          `${name} is ${st.size} bytes: a JSON file over ${MAX_SERVED_JSON_BYTES / 1024 / 1024} MiB is not served ` +
            '(masking reads it whole)',
        );
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
      const body = Buffer.from(redactJsonText(raw.subarray(0, got).toString('utf8')));
      if (Number(st.ctimeMs) < now - SETTLE_MS && body.length <= CACHE_BYTES) this.keep(file, { stamp, body });
      return body;
    } finally {
      await handle.close();
    }
  }

  private drop(file: string, k: Kept): void {
    this.kept.delete(file);
    this.bytes -= k.body.length;
  }

  /** Keeps `k` as the newest used, dropping the oldest used while the bodies hold more than CACHE_BYTES. */
  private keep(file: string, k: Kept): Buffer {
    this.kept.set(file, k);
    this.bytes += k.body.length;
    for (const [f, old] of this.kept) {
      if (this.bytes <= CACHE_BYTES) break;
      this.drop(f, old);
    }
    return k.body;
  }
}
