import type { Command } from 'commander';
import os from 'node:os';

/** `bot doctor`: what this machine and install offer. The ML issue extends it with the tfjs backend choice. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('print versions, cores and which optional parts are installed')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const facts = { node: process.version, platform: `${os.platform()} ${os.arch()}`, cores: os.availableParallelism() };
      if (opts.json) console.log(JSON.stringify(facts, null, 2));
      else for (const [k, v] of Object.entries(facts)) console.log(`${k.padEnd(12)} ${v}`);
    });
}
