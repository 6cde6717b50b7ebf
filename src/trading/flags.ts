/** Amount flags of the trading commands. */
import { UserError } from '../core/errors.ts';

/** A positive amount flag (`--balance 10000000`, `1e7`, `10_000_000`). */
export function parseAmount(value: string, flag: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!(Number.isFinite(n) && n > 0)) throw new UserError(`${flag}: "${value}" is not a positive amount`);
  return n;
}
