/**
 * The bench's command line and group runner: which groups `npm run bench -- …` asks for (or help), and running them
 * into one list of rows, where a group that throws leaves a FAILED row and makes the bench exit non-zero.
 */
import type { BenchGroup, Figure } from './table.ts';

type BenchArgs = { kind: 'run'; selected: BenchGroup[] } | { kind: 'exit'; code: number; text: string };

function usage(groups: readonly BenchGroup[]): string {
  return [
    'usage: npm run bench [-- GROUP …]   (no group: all of them; machine is always included)',
    'groups:',
    ...groups.map((g) => `  ${g.name.padEnd(10)} ${g.description}`),
  ].join('\n');
}

/** What the arguments ask for: groups to run, or help (exit 0), or a one-line refusal (exit 2). */
export function parseBenchArgs(args: readonly string[], groups: readonly BenchGroup[]): BenchArgs {
  if (args.some((a) => a === '--help' || a === '-h')) return { kind: 'exit', code: 0, text: usage(groups) };
  const flag = args.find((a) => a.startsWith('-'));
  if (flag !== undefined) return { kind: 'exit', code: 2, text: `error: unknown bench flag ${flag} (see --help)` };
  const unknown = args.filter((w) => !groups.some((g) => g.name === w));
  if (unknown.length) {
    const names = groups.map((g) => g.name).join(', ');
    return { kind: 'exit', code: 2, text: `error: unknown bench group ${unknown.join(', ')} (groups: ${names})` };
  }
  const selected = args.length ? groups.filter((g) => args.includes(g.name) || g.name === 'machine') : [...groups];
  return { kind: 'run', selected };
}

/** Runs the groups in order; `failed` counts the groups that threw (each leaves a FAILED row). */
export async function runGroups(
  selected: readonly BenchGroup[],
  log: (line: string) => void,
): Promise<{ rows: Figure[]; failed: number }> {
  const rows: Figure[] = [];
  let failed = 0;
  for (const g of selected) {
    log(`bench: ${g.name} — ${g.description}`);
    const started = performance.now();
    try {
      await g.run((f) => rows.push({ group: g.name, ...f }));
    } catch (e) {
      failed++;
      rows.push({ group: g.name, figure: 'FAILED', value: (e as Error).message.slice(0, 80), unit: '' });
    }
    log(`bench: ${g.name} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return { rows, failed };
}
