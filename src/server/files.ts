/**
 * Files the dashboard hands out from `backtests/` and `models/` (found and opened by inside-file.ts, which owns the
 * containment rules): the content types they are served as, their bodies with secrets masked, and folder listings.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { envSecrets, LONGEST_WRITTEN_CHAR, redactWritten } from '../core/redact.ts';
import type { ServedJson } from './served-json.ts';
import { fileInside, openInside, safeSegment, type InsideFile } from './inside-file.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.png': 'image/png',
  '.html': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.bin': 'application/octet-stream',
};

/** fileInside's file, with the content type it is served as; undefined for a type we do not serve. */
export function resolveInside(root: string, parts: readonly string[]): (InsideFile & { type: string }) | undefined {
  const type = CONTENT_TYPES[path.extname(parts[parts.length - 1] ?? '').toLowerCase()];
  const found = type ? fileInside(root, parts) : undefined;
  return found && type ? { ...found, type } : undefined;
}

/** The characters a CSV's fields are told apart by: masking keeps them in place (redactWritten's `runs`). */
export const CSV_FIELD_TEXT = /[^,"\r\n]+/g;

/**
 * What a served file sends, with the environment's secrets masked as in every JSON answer (a report or a copied log
 * may hold a key), written as they are or escaped (`\u0061`, `&#97;`; redactWritten): a JSON file masked in its parsed
 * strings, so a number equal to a secret stays a number and the file stays JSON (masking the text wrote a bare `***`),
 * read whole, so only up to a size and kept while unchanged (ServedJson); another text file (CSV, HTML, text) masked
 * as text and streamed, so a large one costs no more memory than a chunk (a CSV's delimiters and quotes inside a
 * secret stay in place, so every row keeps its fields); a binary file (PNG, weights) streamed as it is.
 */
export async function servedBody(
  found: InsideFile & { type: string },
  name: string,
  json: ServedJson,
): Promise<Readable | Buffer> {
  if (found.type.startsWith('application/json')) return json.body(found, name);
  const handle = await openInside(found, name);
  if (!found.type.startsWith('text/')) return handle.createReadStream();
  const runs = found.type.startsWith('text/csv') ? CSV_FIELD_TEXT : undefined;
  const keep = Math.max(0, ...envSecrets([]).map((v) => v.length * LONGEST_WRITTEN_CHAR - 1));
  let carry = '';
  // complete secrets in carry + chunk are masked; the last `keep` characters wait for the next chunk, since a secret
  // split across two chunks ends there
  const mask = new Transform({
    decodeStrings: false,
    transform(chunk: string, _enc, done) {
      const masked = redactWritten(carry + chunk, runs);
      const cut = Math.max(0, masked.length - keep);
      carry = masked.slice(cut);
      done(null, masked.slice(0, cut));
    },
    flush(done) {
      done(null, carry);
    },
  });
  return handle.createReadStream({ encoding: 'utf8' }).pipe(mask);
}

/**
 * Files (relative paths) under `root/sub` we would serve, depth ≤ 3, sorted; symlinks leaving root and files with
 * other hard links (openInside refuses them) are left out.
 */
export function listInside(root: string, sub: string): string[] {
  const out: string[] = [];
  const walk = (parts: string[], depth: number): void => {
    let entries;
    try {
      entries = readdirSync(path.join(root, ...parts), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!safeSegment(e.name)) continue;
      const next = [...parts, e.name];
      if (e.isDirectory() && depth < 3) walk(next, depth + 1);
      else if (resolveInside(root, next)?.links === 1n) out.push(next.slice(1).join('/'));
    }
  };
  if (safeSegment(sub)) walk([sub], 0);
  return out.sort();
}
