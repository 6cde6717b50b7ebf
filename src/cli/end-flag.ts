/** `--end` of `bot live` and `bot paper`: the flag, the flags it cannot go with, and ending the named run. */
import type { Command } from 'commander';
import { UserError } from '../core/errors.ts';
import { printText } from '../core/redact.ts';
import type { Config } from '../config/schema.ts';
import { endRun } from '../trading/end-run.ts';
import { runKey } from '../trading/run-key.ts';
import type { TradingMode } from '../trading/types.ts';

/** What `--end` reads of a paper or live command's flags. */
interface EndFlags {
  end?: boolean;
  name: string;
  once?: boolean;
  serve?: string | boolean;
  clearHalt?: boolean;
  reset?: boolean;
  retrain?: string;
  retrainStrategy?: string;
  strategy?: string;
  model?: string;
  balance?: string;
  start?: string;
  seed?: string;
  confirmLive?: boolean;
  maxOrderValue?: string;
  maxDailyLoss?: string;
  allowSharedAccount?: boolean;
  rebalanceEvery?: string;
  band?: string;
  marketCosts?: string;
}

/** The flags of a paper or live command that start, change or trade a run. */
export type StartFlags = Omit<EndFlags, 'end' | 'name'>;

export function addEndOption(cmd: Command): void {
  cmd.option(
    '--end',
    'end this run for good: it trades no more and releases its exchange account; its history stays for bot status',
  );
}

/**
 * The flags that start, change or trade a run, which `--end` does not (it only names the run: --name, --symbols and
 * the market flags, and takes its time from --now): one line naming the first given, rather than ended silently.
 */
export function checkEndFlags(flags: EndFlags): void {
  if (flags.end) refuseStartFlags(flags, '--end ends the run and starts nothing');
}

/**
 * One line naming the first flag given that starts, changes or trades a run, for a flag that only does `doing` to a
 * run it names (--end, --settle-order).
 */
export function refuseStartFlags(flags: StartFlags, doing: string): void {
  const given = (
    [
      ['--once', flags.once],
      ['--serve', flags.serve],
      ['--clear-halt', flags.clearHalt],
      ['--reset', flags.reset],
      ['--retrain', flags.retrain],
      ['--retrain-strategy', flags.retrainStrategy],
      ['--strategy', flags.strategy],
      ['--model', flags.model],
      ['--balance', flags.balance],
      ['--start', flags.start],
      ['--seed', flags.seed],
      ['--confirm-live', flags.confirmLive],
      ['--max-order-value', flags.maxOrderValue],
      ['--max-daily-loss', flags.maxDailyLoss],
      ['--allow-shared-account', flags.allowSharedAccount],
      ['--rebalance-every', flags.rebalanceEvery],
      ['--band', flags.band],
      ['--market-costs', flags.marketCosts],
    ] as const
  ).find(([, v]) => v !== undefined && v !== false);
  if (given) throw new UserError(`${doing}: drop ${given[0]}`);
}

/** Ends the run the flags name (a portfolio's key is its markets joined by commas) and prints the line. */
export function endNamedRun(
  config: Config,
  mode: TradingMode,
  name: string,
  symbols: string[] | undefined,
  now: number,
) {
  const key = runKey(symbols ? { ...config, symbol: symbols.join(',') } : config, mode, name);
  printText(endRun(config, key, now));
}
