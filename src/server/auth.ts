/**
 * Who may use the dashboard's API (issue 15): the password in `BOT_API_PASSWORD` (traded at /api/v1/login for a
 * session token) and long-lived tokens from `bot serve --new-token`, kept only as SHA-256 hashes in the tokens file.
 * Tokens are 256 random bits, so a plain hash is enough (no key stretching needed); comparisons are constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.ts';

const tokensFileSchema = z.object({
  tokens: z.array(
    z.object({ id: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), label: z.string(), createdAt: z.string() }),
  ),
});

type StoredToken = z.infer<typeof tokensFileSchema>['tokens'][number];

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The tokens file's entries (none when it does not exist); a broken file is a one-line UserError. */
export function readTokens(file: string): StoredToken[] {
  if (!existsSync(file)) return [];
  try {
    return tokensFileSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).tokens;
  } catch (e) {
    throw new UserError(`${file}: not a tokens file (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
}

/** Makes a token, stores its hash (file mode 0600) and returns it: the only time the token itself is seen. */
export function createToken(file: string, label: string, now = new Date()): { token: string; id: string } {
  const token = `bot_${randomBytes(32).toString('base64url')}`;
  const hash = sha256(token).toString('hex');
  const id = hash.slice(0, 8);
  const tokens = [...readTokens(file), { id, sha256: hash, label, createdAt: now.toISOString() }];
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ tokens }, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return { token, id };
}

export interface Principal {
  /** What the command log records: `password`, `token:<id>` or `session:<id>`. */
  name: string;
}

interface Session {
  hash: Buffer;
  id: string;
  expires: number;
}

const hashes = (tokens: StoredToken[]) => tokens.map((t) => ({ id: t.id, hash: Buffer.from(t.sha256, 'hex') }));

/** What tells a tokens file changed: its inode, size and modification time ('' when there is none). */
function fileStamp(file: string): string {
  try {
    const st = statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}

/**
 * Checks bearer tokens and passwords; holds login sessions in memory (a restart logs everyone out). With `tokensFile`
 * the tokens are the file's as it is now: a token made (or removed) while the server runs counts from the next
 * request, so a server started open requires tokens as soon as `bot serve --new-token` made one.
 */
export class Credentials {
  private readonly password: Buffer | undefined;
  private tokens: { id: string; hash: Buffer }[];
  /** The tokens file followed (undefined: tokens given once). */
  readonly tokensFile: string | undefined;
  private stamp = '';
  /** The tokens file changed into one that cannot be read: the server stays closed on the tokens it last read. */
  private broken = false;
  private readonly sessions: Session[] = [];
  private readonly sessionMs: number;
  private readonly clock: () => number;

  constructor(o: {
    password?: string;
    /** Read once (tests, benchmarks); `tokensFile` instead follows the file. */
    tokens?: StoredToken[];
    tokensFile?: string;
    sessionHours: number;
    clock?: () => number;
  }) {
    this.password = o.password ? sha256(o.password) : undefined;
    this.tokensFile = o.tokensFile;
    this.tokens = hashes(o.tokens ?? []);
    // a broken file at start is the UserError readTokens throws
    if (o.tokensFile !== undefined) this.reload(true);
    this.sessionMs = o.sessionHours * 3_600_000;
    this.clock = o.clock ?? Date.now;
  }

  /** Re-reads the tokens file when its stamp changed (a stat per request: the file is a few hundred bytes). */
  private reload(first = false): void {
    if (this.tokensFile === undefined) return;
    const stamp = fileStamp(this.tokensFile);
    if (!first && stamp === this.stamp) return;
    try {
      this.tokens = hashes(readTokens(this.tokensFile));
      this.stamp = stamp;
      this.broken = false;
    } catch (e) {
      if (first) throw e;
      // createToken renames a whole file into place, so this is a hand edit gone wrong: never open the server for it
      this.broken = true;
    }
  }

  /** Whether any credential exists: without one the API is open on loopback only and control is refused. */
  get configured(): boolean {
    this.reload();
    return this.password !== undefined || this.tokens.length > 0 || this.broken;
  }

  /** Whether a password login can succeed (BOT_API_PASSWORD is set). */
  get passwordLogin(): boolean {
    return this.password !== undefined;
  }

  /** A password login: a session token, or undefined when the password is wrong (or none is set). */
  login(password: string): { token: string; expiresAt: number } | undefined {
    if (!this.password || !timingSafeEqual(sha256(password), this.password)) return undefined;
    const token = `ses_${randomBytes(32).toString('base64url')}`;
    const hash = sha256(token);
    const expires = this.clock() + this.sessionMs;
    this.prune();
    this.sessions.push({ hash, id: hash.toString('hex').slice(0, 8), expires });
    return { token, expiresAt: expires };
  }

  /** The principal of an `Authorization: Bearer …` header (the scheme in any case, RFC 7235), or undefined. */
  check(header: string | undefined): Principal | undefined {
    const m = /^Bearer +([A-Za-z0-9_-]{10,200})$/i.exec(header ?? '');
    if (!m) return undefined;
    const hash = sha256(m[1]);
    this.reload();
    let found: Principal | undefined;
    // every entry is compared (no early exit), so timing does not say how far a guess got
    for (const t of this.tokens) if (timingSafeEqual(hash, t.hash)) found = { name: `token:${t.id}` };
    const now = this.clock();
    for (const s of this.sessions)
      if (s.expires > now && timingSafeEqual(hash, s.hash)) found = { name: `session:${s.id}` };
    return found;
  }

  private prune(): void {
    const now = this.clock();
    for (let i = this.sessions.length - 1; i >= 0; i--) if (this.sessions[i].expires <= now) this.sessions.splice(i, 1);
  }
}

/** Loopback addresses: the only ones the server binds without credentials. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Credentials from the environment (BOT_API_PASSWORD) and the tokens file. */
export function credentialsFor(
  config: { server: { tokensFile: string; sessionHours: number } },
  env: NodeJS.ProcessEnv = process.env,
): Credentials {
  const password = env.BOT_API_PASSWORD || undefined;
  if (password !== undefined && password.length < 8) throw new UserError('BOT_API_PASSWORD: use at least 8 characters');
  return new Credentials({
    password,
    tokensFile: config.server.tokensFile,
    sessionHours: config.server.sessionHours,
  });
}
