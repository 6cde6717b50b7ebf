/** The port flags, `--port` and `--serve PORT`: checked before any work, without loading the dashboard's server. */
import { UserError } from '../core/errors.ts';

/** `--port` / `--serve PORT`: a whole number 0–65535. */
export function parsePort(value: string, flag: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new UserError(`${flag}: "${value}" is not a port (0-65535)`);
  return Number(value);
}
