/** `bot serve`: the dashboard and REST API over the traders' database, backtests/ and models/ (issue 15). */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { Config } from '../../config/schema.ts';
import type { DashboardServer } from '../../server/app.ts';
import { addCommonOptions, setupCommand, type CommonFlags } from '../context.ts';
import { parsePort } from '../port-flag.ts';

interface ServeFlags extends CommonFlags {
  host?: string;
  port?: string;
  newToken?: string | boolean;
}

/**
 * A `--new-token` label: trimmed, 1–64 printable characters (letters, digits, punctuation, symbols, spaces). It is
 * stored in the tokens file and shown in the commands a token queues: an empty one named nothing, and a control
 * character or a page of text garbled every line that shows it.
 */
function tokenLabel(value: string): string {
  const label = value.trim();
  const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (!label) throw new UserError('--new-token: the label is empty (give a name such as laptop)');
  if (label.length > 64) throw new UserError(`--new-token: the label ${shown} is longer than 64 characters`);
  if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]+$/u.test(label))
    throw new UserError(`--new-token: the label ${shown} has a character that is not printable`);
  return label;
}

/**
 * Where the dashboard listens, as bound: fastify's URL for 0.0.0.0 or :: names 127.0.0.1 or [::], which hid that
 * the server answers every interface.
 */
export function bindLine(host: string, url: string): string {
  const port = new URL(url).port;
  if (host === '0.0.0.0')
    return `dashboard listening on all interfaces (0.0.0.0:${port}; here http://127.0.0.1:${port})`;
  if (host === '::') return `dashboard listening on all interfaces ([::]:${port}; here http://[::1]:${port})`;
  return `dashboard on ${url}`;
}

/**
 * Builds and starts the dashboard on `host:port` for this config; the bind is checked before anything is opened. A
 * port in use names `portFlag`, the flag that chose it (`bot paper` and `bot live` take `--serve PORT`).
 */
export async function startDashboard(
  config: Config,
  logger: Logger,
  host: string,
  port: number,
  portFlag = '--port',
): Promise<{ server: DashboardServer; url: string }> {
  // the web server (fastify) and the tokens file's schema (zod) load when a dashboard starts, not with the command
  // list (`bot --help`)
  const { credentialsFor } = await import('../../server/auth.ts');
  const credentials = credentialsFor(config);
  const { checkBind, createDashboardServer } = await import('../../server/app.ts');
  checkBind(host, credentials);
  const server = await createDashboardServer({
    dbFile: config.data.database,
    backtestsDir: config.backtest.outDir,
    modelsDir: config.agent.modelsDir,
    logFile: config.server.logFile || config.log.file,
    tickDelaySeconds: config.trading.tickDelaySeconds,
    lockStaleSeconds: config.trading.lockStaleSeconds,
    unknownOrderGraceSeconds: config.trading.live.unknownOrderGraceSeconds,
    credentials,
    corsOrigins: config.server.corsOrigins,
    pollMs: config.server.pollMs,
    maxEventStreams: config.server.maxEventStreams,
    logger,
  });
  try {
    const url = await server.listen(host, port);
    const access = credentials.configured ? 'bearer token required' : 'read-only, no credentials: control is refused';
    logger.info(`${bindLine(host, url)} (${access})`);
    return { server, url };
  } catch (e) {
    await server.close();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new UserError(`port ${port} on ${host} is in use: choose another with ${portFlag}`);
    throw e;
  }
}

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description('the web dashboard and REST API (/api/v1) over paper and live runs, backtests and models')
    .option('--host <address>', 'address to bind (overrides server.host; anything but loopback needs credentials)')
    .option('--port <n>', 'port (overrides server.port)')
    .option('--new-token [label]', 'make an API token, print it once (stored hashed in server.tokensFile) and exit');
  addCommonOptions(cmd, { market: false, db: true });
  cmd.action(async (flags: ServeFlags) => {
    const port = flags.port !== undefined ? parsePort(flags.port, '--port') : undefined;
    if (flags.host !== undefined && !/^[A-Za-z0-9.:-]{1,253}$/.test(flags.host))
      throw new UserError(`--host: "${flags.host}" is not an address`);
    // checked before the config is read or anything is written
    const dbFolder = flags.db !== undefined ? path.dirname(path.resolve(flags.db)) : undefined;
    // a mistyped path used to start on an empty database made there; a missing file in a folder that exists is refused
    // too, when the server opens it (openDatabases)
    if (dbFolder !== undefined && !existsSync(dbFolder))
      throw new UserError(
        `--db ${flags.db}: no folder ${dbFolder} (bot serve shows the runs bot paper and live write)`,
      );
    const label = typeof flags.newToken === 'string' ? tokenLabel(flags.newToken) : 'cli';
    const { config, logger } = await setupCommand(flags);
    if (flags.newToken !== undefined) {
      const { createToken } = await import('../../server/auth.ts');
      const { token, id } = createToken(config.server.tokensFile, label);
      console.log(token);
      process.stderr.write(
        `token ${id} (${label}) stored hashed in ${config.server.tokensFile}; it is shown only this once\n` +
          // a running server reads the tokens file per request (Credentials), but its address was bound at start
          'a running bot serve requires a token from its next request; it keeps its address (restart it with ' +
          '--host to listen beyond loopback)\n',
      );
      return;
    }
    const host = flags.host ?? config.server.host;
    const { server, url } = await startDashboard(config, logger, host, port ?? config.server.port);
    console.log(`dashboard: ${url}/`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
  });
}
