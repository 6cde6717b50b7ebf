import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { PROJECT_ROOT } from '../../src/core/project-root.ts';
import { TEST_STATE_DIR } from '../helpers/state-dir.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `bot` command (node src/cli/bot.js …) in a child process; colour off unless `env` says otherwise.
 * `killAfterMs` ends a child that would never end on the code before a fix (code null then), so a test fails instead.
 */
export function runBot(
  args: string[],
  env: Record<string, string> = {},
  cwd = PROJECT_ROOT,
  killAfterMs?: number,
): Promise<CliResult> {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'src/cli/bot.js'), ...args], {
    cwd,
    ...(killAfterMs !== undefined ? { timeout: killAfterMs, killSignal: 'SIGKILL' as const } : {}),
    env: { ...process.env, BOT_STATE_DIR: TEST_STATE_DIR, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return outputOf(child);
}

/**
 * Runs `bot` once per entry of `runs` in `cwd`, at most `limit` at a time; the results in the order of `runs`. Each
 * run is a whole node process: sixty started at once on two cores thrash (and hold sixty heaps) for no gain.
 */
export async function runBots(
  runs: readonly { args: string[]; env?: Record<string, string> }[],
  cwd = PROJECT_ROOT,
  limit = 4,
): Promise<CliResult[]> {
  const results = new Array<CliResult>(runs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < runs.length; i = next++) results[i] = await runBot(runs[i].args, runs[i].env, cwd);
  };
  await Promise.all(Array.from({ length: Math.min(limit, runs.length) }, lane));
  return results;
}

/** A child's exit code and its stdout and stderr as text, once it has ended. */
export function outputOf(child: ChildProcessByStdio<null, Readable, Readable>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
