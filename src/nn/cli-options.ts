/** The `--backend` flag of commands that run networks and the config override it makes. */
import type { Command } from 'commander';
import { BACKEND_CHOICES } from './config.ts';
import { parseBackendChoice } from './backend/backend.ts';

/** Adds `--backend NAME` to a command that runs networks; pair with backendOverride() in setupCommand's extras. */
export function addBackendOption(cmd: Command): Command {
  return cmd.option('--backend <name>', `tfjs backend: ${BACKEND_CHOICES.join(' | ')} (overrides ml.backend)`);
}

/** Config overrides for `--backend` (validated), to merge into setupCommand's extra overrides. */
export function backendOverride(flags: { backend?: string }): Record<string, unknown> {
  return flags.backend === undefined ? {} : { ml: { backend: parseBackendChoice(flags.backend) } };
}
