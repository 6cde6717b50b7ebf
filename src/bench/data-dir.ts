/**
 * Where the benchmarks find real market data: `BOT_BENCH_DATA`, else `../shared/data` next to the project root.
 * A folder that is not there means the real-data figures are left out, and the table's notes say so.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../core/project-root.ts';

export interface BenchDataDir {
  /** The folder to read, or undefined when none was found. */
  dir?: string;
  /** One line for the table's notes: which folder, and why. */
  note: string;
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** Resolves the real-data folder from the environment (`BOT_BENCH_DATA`) or the project root. */
export function benchDataDir(env: NodeJS.ProcessEnv = process.env, root: string = PROJECT_ROOT): BenchDataDir {
  const override = env.BOT_BENCH_DATA;
  if (override !== undefined && override !== '') {
    const dir = path.resolve(override);
    if (isDir(dir)) return { dir, note: `real data from ${dir} (BOT_BENCH_DATA)` };
    return { note: `BOT_BENCH_DATA=${override} is not a folder: real-data figures left out` };
  }
  const dir = path.resolve(root, '..', 'shared', 'data');
  if (isDir(dir)) return { dir, note: `real data from ${dir} (../shared/data of the project)` };
  return { note: `no ${dir} (set BOT_BENCH_DATA to a folder of the CSVs): real-data figures left out` };
}

/** A data file in the resolved folder, or undefined when the folder or the file is missing. */
export function benchDataFile(data: BenchDataDir, name: string): string | undefined {
  if (data.dir === undefined) return undefined;
  const file = path.join(data.dir, name);
  return existsSync(file) ? file : undefined;
}
