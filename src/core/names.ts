/** The names people give runs and models (`--name`): they name folders and database rows, so one plain set. */
import { UserError } from './errors.ts';

/** A letter or digit first (no hidden `.x` folder, no `-x` read as a flag), then letters, digits, `.`, `_`, `-`. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** One line naming what a `--name` may be, or nothing when `name` is one; `why` says what it names. */
export function checkName(name: string, why = ''): void {
  if (!NAME.test(name))
    throw new UserError(
      `--name "${name}" must start with a letter or digit and hold only letters, digits, ., _ or -${why}`,
    );
}
