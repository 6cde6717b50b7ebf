/** `--end` of `bot live` and `bot paper`: the flag, the flags it cannot go with, and ending the named run. */
import type { Command } from 'commander';
import { UserError } from '../core/errors.ts';
import type { Config } from '../config/schema.ts';
import { endRun } from '../trading/end-run.ts';
import { runKey } from '../trading/session.ts';
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
}

export function addEndOption(cmd: Command): void {
  cmd.option(
    '--end',
    'end this run for good: it trades no more and releases its exchange account; its history stays for bot status',
  );
}

/** The flags that start or change a run, which `--end` does not: one line naming the first given. */
export function checkEndFlags(flags: EndFlags): void {
  if (!flags.end) return;
  const given = (
    [
      ['--once', flags.once],
      ['--serve', flags.serve],
      ['--clear-halt', flags.clearHalt],
      ['--reset', flags.reset],
      ['--retrain', flags.retrain],
    ] as const
  ).find(([, v]) => v !== undefined && v !== false);
  if (given) throw new UserError(`--end ends the run and starts nothing: drop ${given[0]}`);
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
  console.log(endRun(config, key, now));
}
