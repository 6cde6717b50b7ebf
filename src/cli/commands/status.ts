/** `bot status`: every paper and live run in the database, or one in detail. */
import type { Command } from 'commander';
import { addCommonOptions, setupCommand, wholeNumber, type CommonFlags } from '../context.ts';
import { existingBotDatabase } from '../../data/bot-file.ts';
import { CandleStore } from '../../data/store.ts';
import { UserError } from '../../core/errors.ts';
import { checkName } from '../../core/names.ts';
import { RunRepository } from '../../trading/run-repository.ts';
import { runKey } from '../../trading/run-key.ts';
import { formatRunTable, formatStatus, runStatus, type RunStatus } from '../../trading/status.ts';
import type { TradingMode } from '../../trading/types.ts';
import { parsePortfolioFlags } from '../portfolio-flags.ts';
import { printJson, printText } from '../../core/redact.ts';

interface StatusFlags extends CommonFlags {
  json?: boolean;
  live?: boolean;
  name?: string;
  decisions?: string;
  symbols?: string;
}

export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description(
      'every paper and live run in the database (a table), or one run in detail: balance, ' +
        'position, P&L vs buy-and-hold, last decisions, model version and next tick',
    )
    .option('--json', 'machine-readable output')
    .option('--live', 'live runs only (with a market or --name: the live run instead of the paper one)')
    .option('--name <name>', 'run name (default: default)')
    .option('--decisions <n>', 'how many recent decisions to show (default trading.statusDecisions)')
    .option('--symbols <list>', "a portfolio run's markets A,B[,…]: every position and the weights");
  addCommonOptions(cmd);
  cmd.action(async (flags: StatusFlags) => {
    const portfolio = parsePortfolioFlags(flags);
    // before the database: a bad name used to be told there is no database (or no run) instead
    if (flags.name !== undefined) checkName(flags.name);
    const { config } = await setupCommand(flags);
    const mode: TradingMode = flags.live ? 'live' : 'paper';
    const n = wholeNumber(flags.decisions, '--decisions', 0) ?? config.trading.statusDecisions;
    const named =
      flags.name !== undefined ||
      flags.symbol !== undefined ||
      portfolio !== undefined ||
      flags.exchange !== undefined ||
      flags.timeframe !== undefined;
    const start = `start one with bot ${flags.live ? 'live' : 'paper'}`;
    if (!existingBotDatabase(config.data.database)) {
      // every run of a database not made yet is none (not an error, and the file is not made); one asked for is
      if (named)
        throw new UserError(`no database at ${config.data.database}: no paper or live run has started (${start})`);
      console.log(flags.json ? '[]' : `no runs (database ${config.data.database} does not exist; ${start})`);
      return;
    }
    const store = CandleStore.open(config.data.database);
    try {
      const repo = new RunRepository(store.db);
      const now = Date.now();
      const timing = {
        tickDelaySeconds: config.trading.tickDelaySeconds,
        lockStaleSeconds: config.trading.lockStaleSeconds,
        unknownOrderGraceSeconds: config.trading.live.unknownOrderGraceSeconds,
      };
      if (named) {
        const market = portfolio ? { ...config, symbol: portfolio.symbols.join(',') } : config;
        const key = runKey(market, mode, flags.name ?? 'default');
        const s = runStatus(repo, key, now, n, timing);
        if (!s)
          throw new UserError(
            `no ${mode} run "${key.name}" for ${key.exchange} ${key.symbol} ${key.timeframe} in ` +
              `${config.data.database} ` +
              `(start one with bot ${mode} ${portfolio ? '--symbols' : '--symbol'} ${key.symbol})`,
          );
        if (flags.json) printJson(s);
        else printText(formatStatus(s));
        return;
      }
      // no market named: every run in the database (issue 17), in detail when there is just one
      const all = repo
        .list()
        .filter((r) => !flags.live || r.mode === 'live')
        .map((r) => runStatus(repo, r, now, n, timing))
        .filter((s): s is RunStatus => s !== undefined);
      if (all.length === 0) {
        console.log(flags.json ? '[]' : `no ${flags.live ? 'live ' : ''}runs in ${config.data.database} (${start})`);
        return;
      }
      if (flags.json) printJson(all.length === 1 ? all[0] : all);
      else printText(all.length === 1 ? formatStatus(all[0]) : formatRunTable(all));
    } finally {
      store.close();
    }
  });
}
