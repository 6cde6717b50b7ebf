/** Amount flags of the trading commands. */
import { decimalFlag } from '../core/decimal.ts';
import { UserError } from '../core/errors.ts';
import { MAX_BALANCE } from '../core/limits.ts';

/** A positive amount flag (`--balance 10000000`, `1e7`, `10_000_000`; not `0x10`, `1,000,000` or ``). */
export function parseAmount(value: string, flag: string): number {
  const n = decimalFlag(value, flag);
  if (!(n > 0)) throw new UserError(`${flag}: "${value}" is not a positive amount`);
  return n;
}

/** `--balance`: a positive amount no larger than the config's `account.balance` may be. */
export function parseBalance(value: string, flag: string): number {
  const n = parseAmount(value, flag);
  if (n > MAX_BALANCE) throw new UserError(`${flag}: "${value}" is above the largest balance, ${MAX_BALANCE}`);
  return n;
}
