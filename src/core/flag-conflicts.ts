/**
 * Flags that exclude each other (`--data FILE` and `--sample`, `--model DIR` and `--strategy NAME`, …): one line
 * naming both when both are given, the same words in every command.
 */
import { UserError } from './errors.ts';

/** How the line names a flag (`--data FILE`), and its value in the parsed flags (undefined: not given). */
type NamedFlag = readonly [usage: string, value: unknown];

/** Given on the command line: a value, or a switch that is on (an option collecting values: at least one). */
const given = (v: unknown): boolean => v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);

/**
 * Refuses `a` and `b` given together: `use either --data FILE or --sample, not both`, then `more` (what to do
 * instead, e.g. ` (put the grid in the file)`).
 */
export function eitherNotBoth(a: NamedFlag, b: NamedFlag, more = ''): void {
  if (given(a[1]) && given(b[1])) throw new UserError(`use either ${a[0]} or ${b[0]}, not both${more}`);
}
