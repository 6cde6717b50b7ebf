/** What every command shares: common flags, config loading with overrides, the logger. */
import type { Command } from 'commander';
import type { Config } from '../config/schema.ts';
import { createLogger, setLogger, type Logger } from '../core/log.ts';
import { UserError } from '../core/errors.ts';
import { TRAINING_LIMITS } from '../core/limits.ts';
import { parseSpotSymbol } from '../core/market-symbol.ts';

/** Flags shared by the commands that read config: each overrides the matching config key. */
export interface CommonFlags {
  config?: string;
  db?: string;
  logLevel?: string;
  exchange?: string;
  symbol?: string;
  timeframe?: string;
  backend?: string;
}

/**
 * A whole number ≥ min from a flag's text (digits only, as `--serve PORT` reads them), or undefined when the flag is
 * absent; anything else is one line. `--epochs 1e9` used to pass as a whole number of a billion epochs.
 */
export function wholeNumber(
  value: string | undefined,
  flag: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new UserError(`${flag} must be a whole number ≥ ${min}, got "${value}"`);
  if (n > max) throw new UserError(`${flag} ${value} is over the limit of ${max}`);
  return n;
}

/** `--epochs`, `--seeds` or `--folds` of a training run: a whole number from 1 to its TRAINING_LIMITS bound. */
export function trainingCount(value: string | undefined, key: keyof typeof TRAINING_LIMITS): number | undefined {
  return wholeNumber(value, `--${key}`, 1, TRAINING_LIMITS[key]);
}

interface CommandContext {
  config: Config;
  logger: Logger;
}

interface CommonOptionSet {
  /** --exchange, --symbol, --timeframe */
  market?: boolean;
  /** --db */
  db?: boolean;
  /** --backend (commands that run networks) */
  backend?: boolean;
}

export function addCommonOptions(cmd: Command, which: CommonOptionSet = { market: true, db: true }): Command {
  cmd.option('--config <file>', 'config file layered over config/default.json');
  if (which.db !== false) cmd.option('--db <file>', 'SQLite database file (overrides data.database)');
  if (which.market !== false) {
    cmd.option('--exchange <id>', 'ccxt exchange id (overrides exchange.id)');
    cmd.option('--symbol <symbol>', 'market symbol such as BTC/KRW (overrides symbol)');
    cmd.option('--timeframe <tf>', 'candle timeframe such as 1h or 1d (overrides timeframe)');
  }
  if (which.backend)
    cmd.option('--backend <name>', 'tfjs backend: auto | node-gpu | node | wasm | cpu (overrides ml.backend)');
  cmd.option('--log-level <level>', 'error | warn | info | debug (overrides log.level)');
  return cmd;
}

/** Config keys set by the common flags, in the shape of the config. */
function overridesFromFlags(flags: CommonFlags): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (flags.exchange !== undefined) o.exchange = { id: flags.exchange };
  if (flags.symbol !== undefined) {
    parseSpotSymbol(flags.symbol, '--symbol'); // the line names the flag, not the config key it overrides
    o.symbol = flags.symbol;
  }
  if (flags.timeframe !== undefined) o.timeframe = flags.timeframe;
  if (flags.db !== undefined) o.data = { database: flags.db };
  if (flags.logLevel !== undefined) o.log = { level: flags.logLevel };
  if (flags.backend !== undefined) o.ml = { backend: flags.backend };
  return o;
}

/**
 * Loads and validates config (default + --config + flags + `extra`), then sets up the process logger. The config
 * loader (and zod with its schemas) loads here, after a command's flags are checked: `bot --help` needs none of it.
 */
export async function setupCommand(flags: CommonFlags, extra: Record<string, unknown> = {}): Promise<CommandContext> {
  const { loadConfig } = await import('../config/load.ts');
  const overrides = { ...overridesFromFlags(flags) };
  for (const [k, v] of Object.entries(extra)) {
    const prev = overrides[k];
    overrides[k] = prev && typeof prev === 'object' && v && typeof v === 'object' ? { ...prev, ...v } : v;
  }
  const config = loadConfig({ configFile: flags.config, overrides });
  const logger = createLogger({
    level: config.log.level,
    file: config.log.file,
    cap: { maxBytes: config.log.maxBytes, maxFiles: config.log.maxFiles },
  });
  setLogger(logger);
  return { config, logger };
}
