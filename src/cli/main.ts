import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.ts';
import { closeLogger, log, redactSecrets } from '../log.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerBacktest, registerReport } from './commands/backtest.ts';
import { registerData } from './commands/data.ts';
import { registerChart } from './commands/chart.ts';
import { registerPaper } from './commands/paper.ts';
import { registerStatus } from './commands/status.ts';
import { registerRetrain } from './commands/retrain.ts';
import { registerLive } from './commands/live.ts';

const program = new Command();
program
  .name('bot')
  .description('A trading bot that learns: market data, features, RL agents, backtests and paper trading.')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

// Each command module adds its subcommands here.
registerDoctor(program);
registerBacktest(program);
registerReport(program);
registerData(program);
registerChart(program);
registerPaper(program);
registerStatus(program);
registerRetrain(program);
registerLive(program);

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof UserError) {
      process.stderr.write(`error: ${redactSecrets(e.message)}\n`);
      log().debug(e.message);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`error: ${redactSecrets(err.message)}\n`);
    log().error('unexpected failure', { error: err.stack ?? err.message });
    return 1;
  }
}

const code = await main(process.argv);
await closeLogger(log());
process.exit(code);
