/**
 * The OS user's state folder for what every `bot` process of that user must share and keep across reboots (the live
 * account lock, account-lock.ts): `$BOT_STATE_DIR`, else `$XDG_STATE_HOME/bot`, else `~/.local/state/bot`. Not the
 * temp folder: two processes with other TMPDIR values, or two systemd services with PrivateTmp=yes, each see their
 * own, and a reboot may clear it.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { shortError } from '../data/exchange.ts';

/** The folder, made (0700: the user's own) if missing; a one-line UserError if it cannot be made or written. */
export function botStateDir(env: NodeJS.ProcessEnv = process.env): string {
  // the XDG spec says a relative XDG_STATE_HOME is invalid and to be ignored
  const xdg = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : undefined;
  const dir = path.resolve(
    env.BOT_STATE_DIR || (xdg ? path.join(xdg, 'bot') : path.join(env.HOME || os.homedir(), '.local', 'state', 'bot')),
  );
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new UserError(
      `cannot use the state folder ${dir} (${shortError(e)}): make it a folder this user can write, or set ` +
        'BOT_STATE_DIR to one',
    );
  }
  return dir;
}
