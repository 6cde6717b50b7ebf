/**
 * What runs beside a trader loop in `bot paper` and `bot live` (issue 15): the dashboard when `--serve` asks for it,
 * and the run's notifications when `notify` has a webhook or Telegram is set in the environment.
 */
import type { Config } from '../config/schema.ts';
import type { Logger } from '../core/log.ts';
import type { TradingSession } from '../trading/session.ts';
import type { TickReport } from '../trading/trader.ts';
import { startRunNotices, type RunNotices } from '../server/run-notices.ts';
import type { DashboardServer } from '../server/app.ts';
import { parsePort } from './port-flag.ts';

interface TraderExtras {
  onTick(report: TickReport): void;
  onTickError(message: string): void;
  close(): Promise<void>;
}

/** `--serve` (no value: server.port) as a port, checked before any work. */
export function servePort(flag: string | boolean | undefined, config: Config): number | undefined {
  if (flag === undefined || flag === false) return undefined;
  return flag === true ? config.server.port : parsePort(flag, '--serve');
}

export async function startTraderExtras(
  config: Config,
  logger: Logger,
  session: TradingSession,
  port: number | undefined,
): Promise<TraderExtras> {
  let server: DashboardServer | undefined;
  if (port !== undefined) {
    // loaded only here: the web server's modules are no part of a run without --serve
    const { startDashboard } = await import('./commands/serve.ts');
    const started = await startDashboard(config, logger, config.server.host, port, '--serve PORT');
    server = started.server;
    console.log(`dashboard: ${started.url}/`);
  }
  let notices: RunNotices | undefined;
  // an existing run is watched from now on; a new run has no id before its first tick, so its watcher starts after
  // that tick and counts the run's rows so far (its first catch-up) as news
  const existing = session.trader.state();
  let tried = existing !== undefined;
  if (existing)
    notices = startRunNotices({ dbFile: config.data.database, run: existing, config: config.notify, logger });
  const ensure = () => {
    if (tried) return;
    const run = session.trader.state();
    if (!run) return;
    tried = true;
    notices = startRunNotices({ dbFile: config.data.database, run, runIsNew: true, config: config.notify, logger });
  };
  return {
    onTick() {
      ensure();
      notices?.poll();
    },
    onTickError(message) {
      ensure();
      notices?.tickFailed(message);
    },
    async close() {
      ensure();
      await notices?.close();
      await server?.close();
    },
  };
}
