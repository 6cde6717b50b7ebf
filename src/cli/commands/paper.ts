/** `bot paper`: the paper trader on a clock. */
import { markRunUnderWay } from '../../core/log.ts';
import type { Command } from 'commander';
import { addCommonOptions, setupCommand, wholeNumber, type CommonFlags } from '../context.ts';
import { isoTime, parseTime } from '../../data/timeframe.ts';
import { UserError } from '../../core/errors.ts';
import { checkName } from '../../core/names.ts';
import { retrainMarket } from '../../trading/retrain-market.ts';
import { logOnceTick, startTraderLoop } from '../../trading/loop.ts';
import { checkCron, tickSchedule } from '../../trading/schedule.ts';
import { openRunSession } from '../../trading/open-run.ts';
import { storedOnlyReplay } from '../../trading/run-exchange.ts';
import { storedOnly } from '../../data/sample.ts';
import { retrainChildRunner } from '../../trading/retrain-child.ts';
import { parseBalance } from '../../trading/flags.ts';
import { servePort, startTraderExtras } from '../trader-extras.ts';
import { addEndOption, checkEndFlags, endNamedRun } from '../end-flag.ts';
import { addPortfolioOptions, describeHoldings, parsePortfolioFlags, type PortfolioFlags } from '../portfolio-flags.ts';
import type { RunRepository } from '../../trading/run-repository.ts';
import type { RunState } from '../../trading/types.ts';
import { traderStrategyHelp } from '../strategy-help.ts';

interface PaperFlags extends CommonFlags, PortfolioFlags {
  strategy?: string;
  model?: string;
  balance?: string;
  name: string;
  start?: string;
  once?: boolean;
  now?: string;
  reset?: boolean;
  retrain?: string;
  retrainStrategy?: string;
  seed?: string;
  serve?: string | boolean;
  end?: boolean;
}

/** A fixed clock for `--now` (tests and replays), else the wall clock. */
export function clockFrom(now: string | undefined): () => number {
  if (now === undefined) return Date.now;
  const t = parseTime(now, '--now');
  return () => t;
}

/** What clockFrom's clock is in the clock checks' lines (src/trading/live-start.ts). */
export const clockName = (now: string | undefined): string => (now !== undefined ? '--now' : "this machine's clock");

export function registerPaper(program: Command): void {
  const cmd = program
    .command('paper')
    .description(
      'paper-trade on a node-cron clock: every closed candle → ' +
        'features → policy → fill at the next open (state in SQLite)',
    )
    .option('--strategy <name>', traderStrategyHelp())
    .option(
      '--model <folder>',
      'saved model folder, e.g. models/btc-dqn (a promoted version is picked up at the next tick)',
    )
    .option('--balance <amount>', 'starting balance of a new run (overrides account.balance)')
    .option('--name <name>', 'run name: several paper runs can share a market', 'default')
    .option('--start <time>', 'a new run acts from this candle on (default: the newest closed candle)')
    .option('--once', 'run one tick (catching up on missed candles) and exit')
    .option('--now <time>', 'a fixed clock instead of the wall clock (tests, replays of a recorded series)')
    .option('--reset', 'forget this run (account, orders, decisions) and start over')
    .option('--retrain <cron>', 'also retrain on this schedule (UTC), in a child process')
    .option('--retrain-strategy <name>', 'agent strategy the scheduled retrain trains (default: the model folder name)')
    .option('--seed <n>', 'seed of the policy (rule strategies with randomness)')
    .option('--serve [port]', 'also serve the dashboard (bot serve) on 127.0.0.1 (default port: server.port)');
  addEndOption(cmd);
  addPortfolioOptions(cmd);
  addCommonOptions(cmd, { market: true, db: true, backend: true });
  cmd.action(async (flags: PaperFlags) => {
    const portfolio = parsePortfolioFlags(flags);
    checkEndFlags(flags);
    if (flags.end) {
      const { config } = await setupCommand(flags);
      endNamedRun(config, 'paper', flags.name, portfolio?.symbols, clockFrom(flags.now)());
      return;
    }
    if (portfolio && flags.retrain && !flags.model)
      throw new UserError('--retrain with --symbols: a rule portfolio strategy has nothing to retrain (give --model)');
    // --once ticks once and exits, so a scheduled retrain never fires; without --once it fires on the wall clock
    // (also under --now) and the child gets --now, so it retrains on the candles the run sees, none after
    if (flags.retrain && flags.once) throw new UserError('--retrain runs beside the trader loop: drop --once');
    if (flags.retrainStrategy !== undefined && !flags.retrain)
      throw new UserError('--retrain-strategy names what --retrain CRON trains: give --retrain too');
    const balance = flags.balance !== undefined ? parseBalance(flags.balance, '--balance') : undefined;
    // a seed that is not a whole number used to reach the random policy as NaN or a fraction
    const seed = wholeNumber(flags.seed, '--seed', 0);
    // with the other flags: it was checked when the run opened, after the config, the clock and a --retrain model
    checkName(flags.name);
    const clock = clockFrom(flags.now);
    const start = flags.start !== undefined ? parseTime(flags.start, '--start') : undefined;
    // a run acts on candles closed by the clock: one starting after it created its run and acted on none
    if (start !== undefined && start > clock()) {
      const at = flags.now !== undefined ? `the clock (--now ${isoTime(clock())})` : `now (${isoTime(clock())})`;
      throw new UserError(
        `--start ${isoTime(start)} is after ${at}: no candle would be acted on; give an earlier --start`,
      );
    }
    // a broken model folder no other version of its home can stand in for: one line before the config, the
    // database and the exchange (it was found at the first decision, after candles were fetched and the run made)
    if (flags.model !== undefined) (await import('../../agents/model-folder-check.ts')).checkModelStart(flags.model);
    const { config, logger } = await setupCommand(flags, balance !== undefined ? { account: { balance } } : {});
    if (storedOnly(config.exchange.id) && !flags.once)
      throw new UserError(
        `${storedOnlyReplay(config.exchange.id)}: a paper run on a clock would wait for a new candle forever; ` +
          'replay the stored candles with --once --start T',
      );
    if (flags.retrain) {
      checkCron(flags.retrain, '--retrain');
      if (!flags.model) throw new UserError('--retrain needs --model (the folder a retrain promotes into)');
      // the scheduled child retrains on the home's market and refuses another one named by these flags: say so now,
      // not as a failed retrain at every firing
      retrainMarket(flags.model, config, flags, portfolio !== undefined);
    }
    const port = servePort(flags.serve, config);
    if (port !== undefined && flags.once) throw new UserError('--serve runs beside the trader loop: drop --once');
    const session = await openRunSession(portfolio, {
      config,
      logger,
      mode: 'paper',
      name: flags.name,
      strategy: flags.strategy,
      model: flags.model,
      seed,
      start,
      balanceGiven: balance !== undefined,
      clock,
      clockFrom: clockName(flags.now),
      reset: flags.reset,
      replay: flags.now !== undefined,
      // the flags and the policy checked: an error from here on (the start checks) ends a run, for the log file
      inputChecked: markRunUnderWay,
    });
    try {
      if (flags.once) {
        const r = await session.trader.tick().catch(offlineWay(flags.now));
        logOnceTick(logger, r);
        const run = session.trader.state();
        const last = r.decisions[r.decisions.length - 1];
        if (run?.portfolio) {
          console.log(portfolioOnce(session.repo, run, r.acted, last));
          return;
        }
        console.log(
          `acted on ${r.acted} candle(s)` +
            (last ? `; last ${isoTime(last.ts)} → ${last.action} (${last.confidence.toFixed(2)})` : '') +
            (run ? `; account: ${run.account.cash.toFixed(0)} cash, ${run.account.units} units` : ''),
        );
        return;
      }
      const ticks = tickSchedule(config.timeframe, config.trading.tickDelaySeconds, config.exchange.maxBackoffMs);
      const extras = await startTraderExtras(config, logger, session, port);
      // the loop stops a retrain child in flight when it stops (a signal or a halt): none outlives the trader
      const retrainChild =
        flags.retrain && flags.model
          ? retrainChildRunner(flags, flags.model, logger, { db: session.store.db, clock })
          : undefined;
      try {
        const loop = startTraderLoop({
          trader: session.trader,
          ...ticks,
          logger,
          lock: session.lock,
          retrain:
            flags.retrain && retrainChild
              ? { expression: flags.retrain, run: retrainChild, stop: retrainChild.stop }
              : undefined,
          onTick: extras.onTick,
          onTickError: extras.onTickError,
          // the clocked run keeps trying; its first failure to reach the exchange names the offline way once
          tickErrorHint: await offlineHint(flags.now),
        });
        logger.info(`paper trading ${session.key.symbol} ${config.timeframe} on ${config.exchange.id}`, {
          cron: ticks.expression,
          next: loop.nextTick()?.toISOString(),
        });
        const end = await loop.done;
        if (end.reason === 'halted') throw new UserError(`trading halted: ${end.message}`);
        if (end.reason === 'refused') throw new UserError(end.message ?? 'the run was refused');
      } finally {
        await extras.close();
      }
    } finally {
      session.close();
    }
  });
}

/**
 * The offline way for a tick on the wall clock that found the exchange unreachable, as `bot data download` names its
 * own: a replay on a fixed clock (`--now`) decides on the stored candles (imported ones too) when it cannot ask;
 * undefined for another failure or a fixed clock (which replays from the store by itself). Loads the exchange module.
 */
async function offlineHint(now: string | undefined): Promise<(e: unknown) => string | undefined> {
  const { ExchangeUnreachableError } = await import('../../data/exchange.ts');
  return (e) =>
    now === undefined && e instanceof ExchangeUnreachableError
      ? 'offline, replay the stored candles on a fixed clock: --now <time> (within them) and --start T'
      : undefined;
}

/** An unreachable exchange ends a `--once` tick on the wall clock with the offline way (offlineHint). */
function offlineWay(now: string | undefined): (e: unknown) => Promise<never> {
  return async (e) => {
    const hint = (await offlineHint(now))(e);
    if (hint === undefined) throw e;
    throw new UserError(`${(e as Error).message}; ${hint}`);
  };
}

/** `bot paper --symbols … --once`'s line: candle times acted on, the last decision, and the holdings now. */
function portfolioOnce(
  repo: RunRepository,
  run: RunState,
  acted: number,
  last: { ts: number; action: string } | undefined,
): string {
  const positions = repo.lastPositions(run.id);
  const weights = (run.portfolio?.symbols ?? []).map((s) => positions.find((p) => p.market === s)?.weight ?? 0);
  const value = repo.equity(run.id, 1)[0]?.equity;
  return (
    `acted on ${acted} candle time(s)` +
    (last ? `; last ${isoTime(last.ts)} → ${last.action}` : '') +
    `; ${describeHoldings(run, value, weights)}`
  );
}
