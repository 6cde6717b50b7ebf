/** Amount flags of the trading commands. */
import { UserError } from '../core/errors.ts';
import { MAX_BALANCE } from '../market/config.ts';

/** A positive amount flag (`--balance 10000000`, `1e7`, `10_000_000`). */
export function parseAmount(value: string, flag: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!(Number.isFinite(n) && n > 0)) throw new UserError(`${flag}: "${value}" is not a positive amount`);
  return n;
}

/** `--balance`: a positive amount no larger than the config's `account.balance` may be. */
export function parseBalance(value: string, flag: string): number {
  const n = parseAmount(value, flag);
  if (n > MAX_BALANCE) throw new UserError(`${flag}: "${value}" is above the largest balance, ${MAX_BALANCE}`);
  return n;
}
