/**
 * `npm run bench` prints one table of figures; `npm run bench -- NAME [NAME…]` runs only those groups.
 * Each group lives in src/bench/groups/ and is listed below; `--help` lists them, and a failed group exits 1.
 */
import { machineGroup } from './groups/machine.ts';
import { dataGroup } from './groups/data.ts';
import { engineGroup } from './groups/engine.ts';
import { envGroup } from './groups/env.ts';
import { netsGroup } from './groups/nets.ts';
import { featuresGroup } from './groups/features.ts';
import { imagesGroup } from './groups/images.ts';
import { tradingGroup } from './groups/trading.ts';
import { learnersGroup } from './groups/learners.ts';
import { dashboardGroup } from './groups/dashboard.ts';
import { sweepGroup } from './groups/sweep.ts';
import { portfolioGroup } from './groups/portfolio.ts';
import { renderTable, type BenchGroup } from './table.ts';
import { parseBenchArgs, runGroups } from './runner.ts';

const groups: BenchGroup[] = [
  machineGroup,
  dataGroup,
  engineGroup,
  envGroup,
  featuresGroup,
  imagesGroup,
  netsGroup,
  tradingGroup,
  learnersGroup,
  sweepGroup,
  portfolioGroup,
  dashboardGroup,
];

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2), groups);
  if (args.kind === 'exit') {
    (args.code === 0 ? console.log : console.error)(args.text);
    process.exit(args.code);
  }
  const { rows, failed } = await runGroups(args.selected, (line) => process.stderr.write(`${line}\n`));
  console.log(renderTable(rows));
  // a FAILED row alone is easy to miss in a long table; the exit status tells scripts
  if (failed) process.exitCode = 1;
}

await main();
