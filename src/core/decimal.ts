/** Numbers typed by people (flag values): plain decimals only, since `Number()` alone is too lenient. */
import { UserError } from './errors.ts';

/**
 * An optional sign, digits with an optional fraction (a single `_` may group digits: 10_000_000), an optional
 * exponent. `Number()` alone reads "0x10" as 16, "0b11" as 3, "" and " " as 0 and "Infinity" as a number.
 */
const DECIMAL = /^[+-]?(?:\d+(?:_\d+)*(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/** The number a flag's value writes as a plain decimal; anything else is one line naming the flag. */
export function decimalFlag(value: string, flag: string): number {
  const n = DECIMAL.test(value) ? Number(value.replace(/_/g, '')) : NaN;
  if (!Number.isFinite(n))
    throw new UserError(`${flag}: "${value}" is not a decimal number (write it as e.g. 0.5, 10000000 or 1e7)`);
  return n;
}
