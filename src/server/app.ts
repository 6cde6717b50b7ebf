/**
 * The dashboard server (issue 15): fastify on the traders' SQLite file (read-only, plus a connection that only
 * inserts command rows), backtests/ and models/; REST under /api/v1, server-sent events, the static pages; bearer
 * authentication when credentials exist; loopback only without them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { redactJsonText, redactSecretsIn } from '../core/redact.ts';
import { PROJECT_ROOT } from '../core/project-root.ts';
import { existingBotDatabase } from '../data/bot-file.ts';
import { CandleStore } from '../data/store.ts';
import { RunRepository } from '../trading/run-repository.ts';
import { registerApiRoutes } from './api-routes.ts';
import { isLoopback, type Credentials, type Principal } from './auth.ts';
import { registerControlRoutes } from './control-routes.ts';
import { DbWatcher, type DashboardEvent } from './events.ts';
import { DashboardReader } from './reader.ts';
import { registerStaticRoutes } from './static-routes.ts';
import { HttpError, noQuery, parse } from './validate.ts';

interface DashboardOptions {
  dbFile: string;
  backtestsDir: string;
  modelsDir: string;
  logFile: string;
  tickDelaySeconds: number;
  /** Config `trading.lockStaleSeconds`: a run whose lock heartbeat is older is shown as not running. */
  lockStaleSeconds: number;
  /**
   * Config `trading.live.unknownOrderGraceSeconds`: past it an unknown order shows the command that settles it by
   * hand, as `bot status` shows it (default 600 s).
   */
  unknownOrderGraceSeconds?: number;
  credentials: Credentials;
  corsOrigins: readonly string[];
  pollMs: number;
  /** Event streams open at once (config `server.maxEventStreams`); 32 when not given. */
  maxEventStreams?: number;
  logger: Logger;
  clock?: () => number;
}

export interface DashboardServer {
  app: FastifyInstance;
  /** Binds and starts polling; refuses a non-loopback host without credentials. Returns the base URL. */
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
  /** Subscribes to the database's events (the SSE stream uses the same feed). */
  onEvent(f: (e: DashboardEvent) => void): void;
}

const OPEN_ROUTES = new Set(['/api/v1/health', '/api/v1/login']);
/** The methods a 405's Allow header may name (HEAD: fastify answers it on every GET route). */
const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Refuses, in one line, to bind anything but loopback without credentials. */
export function checkBind(host: string, credentials: Credentials): void {
  if (!isLoopback(host) && !credentials.configured) {
    throw new UserError(
      `refusing to listen on ${host} without credentials: set BOT_API_PASSWORD ` +
        `or make a token with bot serve --new-token (or use --host 127.0.0.1)`,
    );
  }
}

/**
 * Refuses a Host header that is not a loopback name (DNS rebinding: a page on evil.example whose name now resolves
 * to 127.0.0.1 is same-origin with this server in the browser, so CORS does not stop it reading the API). Checked
 * whenever the server is bound to a loopback address (one bound beyond it never serves without credentials). With
 * credentials on 127.0.0.1 the unchecked Host let such a page read the open health route and try passwords at login.
 * A request without a Host header (HTTP/1.0) is not a browser's.
 */
function checkLoopbackHost(host: string | undefined): void {
  if (host === undefined) return;
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    throw new HttpError(400, 'bad host header');
  }
  if (!isLoopback(name)) {
    throw new HttpError(
      403,
      `host ${host.slice(0, 100)} is not a loopback name: a loopback-only dashboard answers only ` +
        `127.0.0.1, localhost or [::1]`,
    );
  }
}

/** Why a server bound beyond loopback refuses every request while no credential exists. */
function noCredentialsMessage(host: string, credentials: Credentials): string {
  const file = credentials.tokensFile !== undefined ? `the tokens file ${credentials.tokensFile}` : 'the server';
  return (
    `no credentials: this server listens on ${host}, beyond loopback, and ${file} holds no token now; ` +
    `it answers nothing until one exists (bot serve --new-token)`
  );
}

/**
 * Opens the database for the dashboard: migrated first (so a reader sees the current schema), then read-only. A
 * missing file is refused, not made (the runs it shows are written by bot paper and bot live), and so is a SQLite
 * file that is not the bot's, before the migration adds tables to it.
 */
function openDatabases(file: string): { reader: Database.Database; writer: Database.Database } {
  if (!existingBotDatabase(file))
    throw new UserError(
      `no database at ${file}: bot serve shows the runs bot paper and bot live write there (start one first, ` +
        'or give --db the database they use)',
    );
  const store = CandleStore.open(file);
  try {
    new RunRepository(store.db);
  } finally {
    store.close();
  }
  const reader = new Database(file, { readonly: true, fileMustExist: true });
  reader.pragma('busy_timeout = 5000');
  const writer = new Database(file, { fileMustExist: true });
  writer.pragma('busy_timeout = 5000');
  return { reader, writer };
}

export async function createDashboardServer(o: DashboardOptions): Promise<DashboardServer> {
  const clock = o.clock ?? Date.now;
  const { reader: db, writer } = openDatabases(o.dbFile);
  const reader = new DashboardReader(db, {
    tickDelaySeconds: o.tickDelaySeconds,
    lockStaleSeconds: o.lockStaleSeconds,
    unknownOrderGraceSeconds: o.unknownOrderGraceSeconds,
  });
  const version = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  const app = Fastify({
    logger: false,
    bodyLimit: 16 * 1024,
    routerOptions: { maxParamLength: 1000 },
    trustProxy: false,
    // a malformed %-escape or an over-long path segment fails before routing: the same one-line {"error"} body as
    // every other bad request (fastify's own echoes the path back and adds its internal code)
    frameworkErrors: (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void reply
        .code(tooLong ? 414 : 400)
        .send({ error: tooLong ? 'path: a segment is too long' : 'path: not a valid URL (a malformed %-escape?)' });
    },
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const ours = err instanceof HttpError;
    const status = ours ? err.statusCode : (err.statusCode ?? 500);
    if (status >= 500) o.logger[ours ? 'warn' : 'error'](`dashboard: ${err.message}`);
    // a 5xx of our own (a refusal such as too many streams) says why; any other 5xx is not shown to the client
    const message =
      status >= 500 && !ours ? 'internal error' : status === 429 ? 'too many attempts: wait a minute' : err.message;
    void reply.code(status).send({ error: message.split('\n')[0] });
  });
  // set by listen(): the bound address and whether it is a loopback one (a server not yet bound counts as loopback)
  let boundHost = '127.0.0.1';
  let loopbackOnly = true;
  // only a loopback-only server may serve without credentials: one bound beyond loopback whose tokens file went away
  // or was emptied while it ran stays closed instead of opening to the network
  const authRequired = () => !loopbackOnly || o.credentials.configured;
  // a method a route does not take is a 405 naming the ones it does, for every route at once: find-my-way routes
  // by method first, so such a request reaches the not-found handler, which told it the route did not exist
  app.setNotFoundHandler((req, reply) => {
    const url = req.url.split('?')[0];
    const allowed = ROUTE_METHODS.filter((method) => app.findRoute({ method, url }) !== null);
    // OPTIONS answers every /api/ path (CORS preflight): alone it does not make a route
    if (allowed.some((m) => m !== 'OPTIONS')) {
      void reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send({ error: `method ${req.method} is not allowed here: this route takes ${allowed.join(', ')}` });
      return;
    }
    void reply.code(404).send({ error: 'not found' });
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cache-control', 'no-store');
    const origin = req.headers.origin;
    if (origin && o.corsOrigins.includes(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'origin');
      reply.header('access-control-allow-headers', 'authorization, content-type');
      reply.header('access-control-allow-methods', 'GET, POST');
    }
    // a loopback-only server: a request naming another host came through DNS rebinding (a server bound beyond
    // loopback never serves without credentials, so the Host a client chose decides nothing there)
    if (loopbackOnly) checkLoopbackHost(req.headers.host);
    // the route fastify matched, not the raw URL: `/%61pi/v1/runs` is routed to /api/v1/runs (find-my-way decodes
    // the path) yet does not start with `/api/`, so a check on req.url let it through without a token
    const route = req.routeOptions.url;
    if (!route?.startsWith('/api/')) return;
    const principal: Principal | undefined = o.credentials.check(req.headers.authorization);
    (req as FastifyRequest & { principal?: Principal }).principal = principal;
    if (authRequired() && !principal && !OPEN_ROUTES.has(route) && req.method !== 'OPTIONS') {
      if (!o.credentials.configured) throw new HttpError(401, noCredentialsMessage(boundHost, o.credentials));
      throw new HttpError(401, req.headers.authorization ? 'invalid or expired token' : 'a bearer token is required');
    }
  });
  // a last guard: no environment secret leaves in a JSON body, whatever a file or a row holds; masked in the parsed
  // strings, so a number that happens to equal a secret stays a number and the body stays JSON
  app.addHook('onSend', async (_req, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? '');
    return typeof payload === 'string' && type.includes('json') ? redactJsonText(payload) : payload;
  });
  app.options('/api/*', async (_req, reply) => reply.code(204).send());

  await app.register(rateLimit, { global: false });
  registerApiRoutes(app, {
    reader,
    backtestsDir: o.backtestsDir,
    modelsDir: o.modelsDir,
    logFile: o.logFile,
    clock,
    version,
    authConfigured: authRequired,
  });
  registerControlRoutes(app, {
    writer,
    credentials: o.credentials,
    clock,
    loginPerMinute: 5,
    loginFailuresPerMinute: 20,
  });
  registerStaticRoutes(app);

  // server-sent events: one watcher for every client
  const watcher = new DbWatcher(db);
  const listeners: ((e: DashboardEvent) => void)[] = [];
  // each stream with the Authorization header that opened it: checked again before every write, so a stream ends
  // when its session expires instead of outliving it
  const clients = new Map<FastifyReply, string | undefined>();
  const stillAllowed = (c: FastifyReply, header: string | undefined): boolean => {
    if (!authRequired() || o.credentials.check(header)) return true;
    clients.delete(c);
    c.raw.end();
    return false;
  };
  const maxStreams = o.maxEventStreams ?? 32;
  app.get('/api/v1/events', async (req, reply) => {
    parse(noQuery, req.query, 'query');
    // each stream holds a socket and a write per event: a page opening streams in a loop must not exhaust the server
    if (clients.size >= maxStreams)
      throw new HttpError(503, `events: ${maxStreams} event streams are open (server.maxEventStreams); close one`);
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    reply.raw.write(`retry: 2000\n: connected\n\n`);
    clients.set(reply, req.headers.authorization);
    req.raw.on('close', () => clients.delete(reply));
  });
  const broadcast = (e: DashboardEvent) => {
    const frame = `event: ${e.type}\ndata: ${JSON.stringify(redactSecretsIn(e))}\n\n`;
    for (const [c, header] of clients) if (stillAllowed(c, header)) c.raw.write(frame);
    for (const f of listeners) f(e);
  };
  let timer: NodeJS.Timeout | undefined;
  let beat: NodeJS.Timeout | undefined;
  const poll = () => {
    try {
      for (const e of watcher.poll()) broadcast(e);
    } catch (e) {
      o.logger.warn(`dashboard: reading events failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  return {
    app,
    async listen(host, port) {
      checkBind(host, o.credentials);
      boundHost = host;
      loopbackOnly = isLoopback(host);
      const address = await app.listen({ host, port });
      timer = setInterval(poll, o.pollMs);
      beat = setInterval(() => {
        for (const [c, header] of clients) if (stillAllowed(c, header)) c.raw.write(': ping\n\n');
      }, 15_000);
      return address;
    },
    async close() {
      clearInterval(timer);
      clearInterval(beat);
      for (const c of clients.keys()) c.raw.end();
      clients.clear();
      await app.close();
      db.close();
      writer.close();
    },
    onEvent(f) {
      listeners.push(f);
    },
  };
}
