/**
 * Control routes (issue 15): POST /api/v1/runs/:id/commands queues pause / resume / halt / clear-halt / exit for the
 * run's trader, which applies it at its next tick. Always authenticated, on loopback too; the row keeps who asked
 * (the credential's id and the client address) and when. Login trades the password for a session token,
 * rate-limited per address.
 */
import type Database from 'better-sqlite3';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { COMMAND_KINDS, requestCommand } from '../trading/commands.ts';
import type { Credentials, Principal } from './auth.ts';
import { HttpError, noQuery, parse, runParams } from './validate.ts';

interface ControlContext {
  /** A read-write connection used for nothing but inserting command rows. */
  writer: Database.Database;
  credentials: Credentials;
  clock: () => number;
  /** Login attempts per address per minute. */
  loginPerMinute: number;
  /** Failed logins per minute from all addresses together; past it every login waits (see failedLogins). */
  loginFailuresPerMinute: number;
}

/**
 * The failed logins of the last minute, from every address. The per-address limit alone let a guesser with many
 * addresses (an IPv6 /64 holds 2^64) try passwords without end; past `max` failures a login is refused with 429
 * before the password is checked, so that an answer never says whether a guess was right. The owner's tokens keep
 * working meanwhile; only password logins wait, for at most a minute after the last failure counted.
 */
function failedLogins(max: number, clock: () => number = Date.now): { full(): boolean; add(): void } {
  const times: number[] = [];
  const prune = () => {
    while (times.length && times[0] <= clock() - 60_000) times.shift();
  };
  return {
    full: () => (prune(), times.length >= max),
    add: () => void times.push(clock()),
  };
}

const commandBody = z.strictObject({
  kind: z.enum(COMMAND_KINDS),
  reason: z
    .string()
    .max(200)
    .regex(/^[^\n\r]*$/, 'one line')
    .optional(),
});
const loginBody = z.strictObject({ password: z.string().min(1).max(1000) });

/** The principal a hook found for this request (see app.ts), if any. */
function principalOf(req: FastifyRequest): Principal | undefined {
  return (req as FastifyRequest & { principal?: Principal }).principal;
}

export function registerControlRoutes(app: FastifyInstance, ctx: ControlContext): void {
  app.post('/api/v1/runs/:id/commands', async (req, reply) => {
    const who = principalOf(req);
    if (!who) {
      throw new HttpError(
        401,
        ctx.credentials.configured
          ? 'control needs a valid bearer token'
          : 'control needs credentials: set BOT_API_PASSWORD or make a token with bot serve --new-token',
      );
    }
    parse(noQuery, req.query, 'query');
    const { id } = parse(runParams, req.params, 'path');
    const body = parse(commandBody, req.body, 'body');
    const exists = ctx.writer.prepare('SELECT 1 FROM trading_runs WHERE id = ?').get(id);
    if (!exists) throw new HttpError(404, `no run ${id}`);
    const command = requestCommand(ctx.writer, {
      runId: id,
      kind: body.kind,
      reason: body.reason,
      requestedBy: `${who.name}@${req.ip}`,
      now: ctx.clock(),
    });
    return reply.code(202).send({ command, note: 'queued: the trader applies it at its next tick' });
  });

  // wall time, as the per-address limit: a run's clock (--now) may stand still
  const failures = failedLogins(ctx.loginFailuresPerMinute);
  app.post('/api/v1/login', { config: { rateLimit: { max: ctx.loginPerMinute, timeWindow: 60_000 } } }, async (req) => {
    parse(noQuery, req.query, 'query');
    const { password } = parse(loginBody, req.body, 'body');
    if (failures.full()) throw new HttpError(429, 'too many failed logins');
    // not a wrong guess: no password would do, which "wrong password" hid
    if (!ctx.credentials.passwordLogin)
      throw new HttpError(403, 'login by password is not configured (BOT_API_PASSWORD is not set on the server)');
    const session = ctx.credentials.login(password);
    if (!session) {
      failures.add();
      throw new HttpError(401, 'wrong password');
    }
    return session;
  });
}
