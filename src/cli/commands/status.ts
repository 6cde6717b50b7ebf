/** `bot status`: balance, position, P&L against buy-and-hold, recent decisions and model version of a run. */
import type { Command } from 'commander';
import { addCommonOptions, setupCommand, type CommonFlags } from '../context.ts';
import { CandleStore } from '../../data/store.ts';
import { UserError } from '../../core/errors.ts';
import { RunRepository } from '../../trading/run-repository.ts';
import { runKey } from '../../trading/session.ts';
import { formatStatus, runStatus } from '../../trading/status.ts';
import type { TradingMode } from '../../trading/types.ts';

interface StatusFlags extends CommonFlags {
  json?: boolean;
  live?: boolean;
  name: string;
  decisions?: string;
}

export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description('balance, position, P&L vs buy-and-hold, last decisions, model version and next tick of a paper (or --live) run')
    .option('--json', 'machine-readable output')
    .option('--live', 'the live run instead of the paper one')
    .option('--name <name>', 'run name', 'default')
    .option('--decisions <n>', 'how many recent decisions to show (default trading.statusDecisions)');
  addCommonOptions(cmd);
  cmd.action((flags: StatusFlags) => {
    const { config } = setupCommand(flags);
    const mode: TradingMode = flags.live ? 'live' : 'paper';
    const key = runKey(config, mode, flags.name);
    const n = flags.decisions !== undefined ? Number(flags.decisions) : config.trading.statusDecisions;
    if (!(Number.isInteger(n) && n >= 0)) throw new UserError(`--decisions: "${flags.decisions}" is not a whole number`);
    const store = CandleStore.open(config.data.database);
    try {
      const s = runStatus(new RunRepository(store.db), key, Date.now(), n, config.trading.tickDelaySeconds);
      if (!s) throw new UserError(`no ${mode} run "${key.name}" for ${key.exchange} ${key.symbol} ${key.timeframe} in ${config.data.database} (start one with bot ${mode} --symbol ${key.symbol})`);
      console.log(flags.json ? JSON.stringify(s, null, 2) : formatStatus(s));
    } finally {
      store.close();
    }
  });
}
