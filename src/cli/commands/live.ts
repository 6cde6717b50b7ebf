/** `bot live`: live trading, allowed only with API keys and an explicit confirmation. */
import { markRunUnderWay } from '../../core/log.ts';
import type { Command } from 'commander';
import { addCommonOptions, setupCommand, type CommonFlags } from '../context.ts';
import { credentialsFromEnv } from '../../core/secrets.ts';
import { UserError } from '../../core/errors.ts';
import { checkName } from '../../core/names.ts';
import { logOnceTick, startTraderLoop } from '../../trading/loop.ts';
import { tickSchedule } from '../../trading/schedule.ts';
import { openRunSession } from '../../trading/open-run.ts';
import { parseAmount, parseBalance } from '../../trading/flags.ts';
import { clockFrom, clockName } from './paper.ts';
import { addEndOption, checkEndFlags, endNamedRun } from '../end-flag.ts';
import { servePort, startTraderExtras } from '../trader-extras.ts';
import { addPortfolioOptions, parsePortfolioFlags, type PortfolioFlags } from '../portfolio-flags.ts';
import { addSettleOptions, parseSettleFlags, settleNamedOrder, type SettleFlags } from '../settle-flags.ts';
import { checkLiveOrigin } from '../../trading/run-exchange.ts';
import { traderStrategyHelp } from '../strategy-help.ts';

interface LiveFlags extends CommonFlags, PortfolioFlags, SettleFlags {
  strategy?: string;
  model?: string;
  name: string;
  confirmLive?: boolean;
  maxOrderValue?: string;
  maxDailyLoss?: string;
  balance?: string;
  clearHalt?: boolean;
  allowSharedAccount?: boolean;
  once?: boolean;
  now?: string;
  serve?: string | boolean;
  end?: boolean;
}

/** Live trading starts only with API keys in the environment and an explicit confirmation. */
export function checkLiveAllowed(exchangeId: string, confirmed: boolean, env: NodeJS.ProcessEnv = process.env): void {
  const prefix = exchangeId.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  if (!credentialsFromEnv(exchangeId, env)) {
    throw new UserError(
      `live trading needs API keys in the environment: set ${prefix}_API_KEY ` +
        `and ${prefix}_API_SECRET (or BOT_API_KEY / BOT_API_SECRET)`,
    );
  }
  if (!confirmed)
    throw new UserError('live trading places real orders with real money: add --confirm-live to go ahead');
}

export function registerLive(program: Command): void {
  const cmd = program
    .command('live')
    .description(
      'trade for real: the paper loop with a broker that places market ' +
        'orders through ccxt (needs API keys and --confirm-live)',
    )
    .option('--strategy <name>', traderStrategyHelp())
    .option('--model <folder>', 'saved model folder (a promoted version is picked up at the next tick)')
    .option('--name <name>', 'run name', 'default')
    .option('--confirm-live', 'yes, place real orders with real money')
    .option(
      '--max-order-value <amount>',
      'largest single order in quote currency (overrides trading.live.maxOrderValue)',
    )
    .option(
      '--max-daily-loss <amount>',
      'kill switch: stop after losing this much in a UTC day (overrides trading.live.maxDailyLoss)',
    )
    .option('--balance <amount>', 'most quote currency this run may use (overrides account.balance)')
    .option('--clear-halt', 'resume a run the kill switch stopped')
    .option(
      '--allow-shared-account',
      'run beside another live run on the same exchange account (each counts its own cash and daily loss)',
    )
    .option('--once', 'run one tick and exit')
    .option('--now <time>', 'a fixed clock instead of the wall clock (tests against the fake exchange)')
    .option('--serve [port]', 'also serve the dashboard (bot serve) on 127.0.0.1 (default port: server.port)');
  addEndOption(cmd);
  addSettleOptions(cmd);
  addPortfolioOptions(cmd);
  addCommonOptions(cmd, { market: true, db: true, backend: true });
  cmd.action(async (flags: LiveFlags) => {
    const portfolio = parsePortfolioFlags(flags);
    const settle = parseSettleFlags(flags);
    checkEndFlags(flags);
    if (settle && flags.settleOrder !== undefined) {
      checkName(flags.name);
      const { config, logger } = await setupCommand(flags);
      // booking reads the exchange's order: its API keys; writing one off asks nothing of the exchange
      if ('exchangeOrderId' in settle) checkLiveAllowed(config.exchange.id, true);
      const { name, settleOrder: clientId } = flags;
      await settleNamedOrder(config, { name, symbols: portfolio?.symbols, clientId, by: settle, logger });
      return;
    }
    if (flags.end) {
      // ending places no order and reads no balance: no API keys or --confirm-live needed
      const { config } = await setupCommand(flags);
      endNamedRun(config, 'live', flags.name, portfolio?.symbols, clockFrom(flags.now)());
      return;
    }
    const live: Record<string, number> = {};
    if (flags.maxOrderValue !== undefined) live.maxOrderValue = parseAmount(flags.maxOrderValue, '--max-order-value');
    if (flags.maxDailyLoss !== undefined) live.maxDailyLoss = parseAmount(flags.maxDailyLoss, '--max-daily-loss');
    const extra: Record<string, unknown> = Object.keys(live).length ? { trading: { live } } : {};
    if (flags.balance !== undefined) extra.account = { balance: parseBalance(flags.balance, '--balance') };
    checkName(flags.name); // with the other flags, before the config and the live checks
    // a broken model folder no other version of its home can stand in for: one line before the config, the exchange
    // and the database, as on paper
    if (flags.model !== undefined) (await import('../../agents/model-folder-check.ts')).checkModelStart(flags.model);
    const { config, logger } = await setupCommand(flags, extra);
    const id = config.exchange.id;
    checkLiveOrigin(id);
    checkLiveAllowed(id, flags.confirmLive === true);
    const port = servePort(flags.serve, config);
    if (port !== undefined && flags.once) throw new UserError('--serve runs beside the trader loop: drop --once');
    const clock = clockFrom(flags.now);
    const session = await openRunSession(portfolio, {
      config,
      logger,
      mode: 'live',
      name: flags.name,
      strategy: flags.strategy,
      model: flags.model,
      clock,
      // the clock and the cap are checked against the exchange and the policy's minimum order (live-start.ts)
      clockFrom: clockName(flags.now),
      maxOrderFrom: flags.maxOrderValue !== undefined ? '--max-order-value' : undefined,
      balanceGiven: flags.balance !== undefined,
      clearHalt: flags.clearHalt,
      sharedAccount: flags.allowSharedAccount,
      // the flags and the policy checked: an error from here on (the clock check, the start checks) ends a run, for
      // the log file
      inputChecked: markRunUnderWay,
    });
    try {
      logger.warn(
        `LIVE trading ${session.key.symbol} ${config.timeframe} on ${id}: ` +
          `max order ${config.trading.live.maxOrderValue}, max daily loss ${config.trading.live.maxDailyLoss}`,
      );
      if (flags.once) {
        const r = await session.trader.tick();
        logOnceTick(logger, r);
        const last = r.decisions[r.decisions.length - 1];
        console.log(last ? `acted on ${new Date(last.ts).toISOString()} → ${last.action}` : 'no new closed candle');
        return;
      }
      const extras = await startTraderExtras(config, logger, session, port);
      try {
        const loop = startTraderLoop({
          trader: session.trader,
          ...tickSchedule(config.timeframe, config.trading.tickDelaySeconds, config.exchange.maxBackoffMs),
          logger,
          lock: session.lock,
          onTick: extras.onTick,
          onTickError: extras.onTickError,
        });
        const end = await loop.done;
        if (end.reason === 'halted') throw new UserError(`live trading halted: ${end.message}`);
        if (end.reason === 'refused') throw new UserError(end.message ?? 'the run was refused');
      } finally {
        await extras.close();
      }
    } finally {
      session.close();
    }
  });
}
