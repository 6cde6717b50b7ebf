/**
 * The `--backend` flag of commands that run networks and the config override it makes; apart from the backends
 * (backend/backend.ts), which load TensorFlow.js.
 */
import type { Command } from 'commander';
import { UserError } from '../core/errors.ts';
import { BACKEND_CHOICES } from '../core/limits.ts';
import type { BackendChoice } from './backend/backend.ts';

/** Parses a `--backend` flag or config value; a bad name is a UserError listing the choices. */
export function parseBackendChoice(value: string): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new UserError(`unknown backend '${value}' (choose one of ${BACKEND_CHOICES.join(', ')})`);
}

/** Adds `--backend NAME` to a command that runs networks; pair with backendOverride() in setupCommand's extras. */
export function addBackendOption(cmd: Command): Command {
  return cmd.option('--backend <name>', `tfjs backend: ${BACKEND_CHOICES.join(' | ')} (overrides ml.backend)`);
}

/** Config overrides for `--backend` (validated), to merge into setupCommand's extra overrides. */
export function backendOverride(flags: { backend?: string }): Record<string, unknown> {
  return flags.backend === undefined ? {} : { ml: { backend: parseBackendChoice(flags.backend) } };
}
