/** The `bot` command line: command modules loaded on demand, errors printed as one line. */
import { Command, CommanderError } from 'commander';
import { HaltError, UserError } from '../core/errors.ts';
import { closeLogger, log, logEndingError } from '../core/log.ts';
import { redactSecrets } from '../core/redact.ts';
import { busyUserError } from '../core/sqlite-busy.ts';
type Register = (program: Command) => void;

/**
 * Command modules, loaded on demand: a run of `bot data list` should not pay for loading tfjs and ccxt.
 * Only help and unknown commands load them all.
 */
const COMMANDS: Record<string, () => Promise<Register[]>> = {
  doctor: async () => [(await import('./commands/doctor.ts')).registerDoctor],
  backtest: async () => [(await import('./commands/backtest.ts')).registerBacktest],
  report: async () => [(await import('./commands/backtest.ts')).registerReport],
  data: async () => [(await import('./commands/data.ts')).registerData],
  chart: async () => [(await import('./commands/chart.ts')).registerChart],
  paper: async () => [(await import('./commands/paper.ts')).registerPaper],
  status: async () => [(await import('./commands/status.ts')).registerStatus],
  retrain: async () => [(await import('./commands/retrain.ts')).registerRetrain],
  live: async () => [(await import('./commands/live.ts')).registerLive],
  predict: async () => [(await import('./commands/predict.ts')).registerPredict],
  serve: async () => [(await import('./commands/serve.ts')).registerServe],
  sweep: async () => [(await import('./commands/sweep.ts')).registerSweep],
  worker: async () => [(await import('./commands/worker.ts')).registerWorker],
};

// `bot backtest | head`: the reader went away, which is not an error of the bot's; stop quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Command();
program
  .name('bot')
  .description('A trading bot that learns: market data, features, RL agents, backtests and paper trading.')
  .configureOutput({ outputError: (message, write) => write(`${oneLineError(message)}\n`) })
  .exitOverride();

/**
 * commander's error as one line, the usage hint inside it. Its did-you-mean for an option is kept only when the name
 * starts as the one typed does (a typo such as --symbl → --symbol); it offered --name for --sample.
 */
function oneLineError(message: string): string {
  const [first, ...rest] = message.trim().split('\n');
  const typed = /unknown option '--([^'=]*)/.exec(first)?.[1];
  const hints = rest.filter((line) => {
    const offered = /^\(Did you mean --(\S+?)\?\)$/.exec(line)?.[1];
    return typed === undefined || offered === undefined || offered.slice(0, 3) === typed.slice(0, 3);
  });
  return [first, ...hints, '(run with --help for usage)'].join(' ');
}

async function registerCommands(argv: string[]): Promise<void> {
  const name = argv[2];
  const names = name !== undefined && name in COMMANDS ? [name] : Object.keys(COMMANDS);
  for (const n of names) for (const register of await COMMANDS[n]()) register(program);
}

async function main(argv: string[]): Promise<number> {
  try {
    await registerCommands(argv);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (caught) {
    if (caught instanceof CommanderError) return caught.exitCode;
    const e = busyUserError(caught) ?? caught;
    if (e instanceof UserError) {
      process.stderr.write(`error: ${redactSecrets(e.message)}\n`);
      logEndingError(e.message);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`error: ${redactSecrets(err.message)}\n`);
    // a halted run (`--once`, live) stops as asked: its reason is the line, not an unexpected failure
    if (e instanceof HaltError) {
      logEndingError(`trading halted: ${err.message}`);
      return 1;
    }
    log().error('unexpected failure', { error: err.stack ?? err.message });
    return 1;
  }
}

/** Resolves once what was written to `stream` has left the process (a pipe's writes are asynchronous). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', () => resolve())));
}

const code = await main(process.argv);
await closeLogger(log());
// exiting with output still queued for a pipe would cut it off (`bot data export | gzip`); a reader that went away
// ends the wait through the EPIPE handler above
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
