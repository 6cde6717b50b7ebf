/**
 * `npm run bench` prints one table of figures; `npm run bench -- NAME [NAME…]` runs only those groups.
 * Each group lives in src/bench/groups/ and is listed below.
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
import { renderTable, type BenchGroup, type Figure } from './table.ts';

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
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !groups.some((g) => g.name === w));
  if (unknown.length) {
    console.error(`error: unknown bench group ${unknown.join(', ')} (groups: ${groups.map((g) => g.name).join(', ')})`);
    process.exit(2);
  }
  const selected = wanted.length ? groups.filter((g) => wanted.includes(g.name) || g.name === 'machine') : groups;
  const rows: Figure[] = [];
  for (const g of selected) {
    process.stderr.write(`bench: ${g.name} — ${g.description}\n`);
    const started = performance.now();
    try {
      await g.run((f) => rows.push({ group: g.name, ...f }));
    } catch (e) {
      rows.push({ group: g.name, figure: 'FAILED', value: (e as Error).message.slice(0, 80), unit: '' });
    }
    process.stderr.write(`bench: ${g.name} took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  console.log(renderTable(rows));
}

await main();
