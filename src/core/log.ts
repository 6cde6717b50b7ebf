/**
 * The process logger: readable lines on stderr (coloured only where colour belongs), a JSON-lines file, and secret
 * values masked in both.
 */
import winston from 'winston';
import { CappedFileTransport, type LogFileCap } from './log-file.ts';
import { envSecrets, logEntryMasker } from './redact.ts';

export type Logger = winston.Logger;

interface LogOptions {
  level: string;
  /** JSON-lines file; empty: no file. */
  file: string;
  /** Rotation of the file (config `log.maxBytes`, `log.maxFiles`); required with a file, so none grows unbounded. */
  cap?: LogFileCap;
  /** Console output (readable lines on stderr). */
  console?: boolean;
  /** Extra strings to mask besides the environment's secrets. */
  secrets?: string[];
}

/** A winston format that masks secret values anywhere in a log entry and any field named like a credential. */
const redact = winston.format((info, opts: unknown) => {
  const mask = logEntryMasker((opts as { secrets?: string[] } | undefined)?.secrets ?? []);
  for (const key of Object.keys(info)) {
    const k = key as keyof typeof info;
    info[k] = mask(key, info[k]);
  }
  return info;
});

/**
 * Whether console lines may carry colour: `FORCE_COLOR` (not 0/false) forces it, `NO_COLOR` (any non-empty value,
 * no-color.org) or `FORCE_COLOR=0` turns it off, and otherwise only a terminal gets it, so `2>paper.log` writes
 * plain text (issue 17). The JSON log file is never coloured.
 */
function consoleColour(stream: { isTTY?: boolean } = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return !/^(0|false)$/i.test(force);
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

/** Marks an entry for the log file only: the line the console would show is already on stderr. */
const FILE_ONLY = Symbol.for('bot.fileOnly');
const consoleSkip = winston.format((info) => (info[FILE_ONLY] === true ? false : info));

export function createLogger(options: LogOptions): Logger {
  const secrets = envSecrets(options.secrets ?? []);
  const transports: winston.transport[] = [];
  if (options.console !== false) {
    transports.push(
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        format: winston.format.combine(
          consoleSkip(),
          ...(consoleColour() ? [winston.format.colorize({ level: true })] : []),
          winston.format.printf((info) => {
            const { level, message, timestamp, ...meta } = info;
            const extra = Object.keys(meta).length ? ' ' + JSON.stringify(meta) : '';
            return `${String(timestamp).slice(11, 19)} ${level} ${String(message)}${extra}`;
          }),
        ),
      }),
    );
  }
  if (options.file) {
    if (!options.cap) throw new Error(`log file ${options.file}: no size cap given`);
    transports.push(new CappedFileTransport(options.file, options.cap, { format: winston.format.json() }));
  }
  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(winston.format.timestamp(), redact({ secrets })),
    transports,
    exitOnError: false,
  });
}

/** Waits until file transports have written everything (call before process exit). */
export async function closeLogger(logger: Logger): Promise<void> {
  const done = new Promise<void>((resolve) => logger.on('finish', () => resolve()));
  logger.end();
  await Promise.race([done, new Promise<void>((r) => setTimeout(r, 2000))]);
}

let current: Logger | undefined;

/** The process-wide logger; a silent one until the CLI sets it up. */
export function log(): Logger {
  current ??= winston.createLogger({
    level: 'error',
    silent: true,
    transports: [new winston.transports.Console({ silent: true })],
  });
  return current;
}

export function setLogger(logger: Logger): void {
  current = logger;
}

let runUnderWay = false;

/**
 * Marks that a run (paper, live, a worker) is under way, its flags checked: from here the error that ends the process
 * goes to the log file, where a service manager's user looks for why a run stopped.
 */
export function markRunUnderWay(): void {
  runUnderWay = true;
}

/**
 * Logs the error that ends the process (already printed on stderr as one line): at error level to the log file only
 * once a run is under way, at debug before (a flag mistake is no event of a run). Masked as every entry is.
 */
export function logEndingError(message: string): void {
  if (runUnderWay) logToFile(log(), 'error', message);
  else log().debug(message);
}

/** Logs an entry to the log file only: what the console would show is already printed (a `--once` tick's line). */
export function logToFile(logger: Logger, level: string, message: string, meta: Record<string, unknown> = {}): void {
  logger.log({ ...meta, level, message, [FILE_ONLY]: true });
}
