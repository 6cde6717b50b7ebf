import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BOT = path.join(ROOT, 'src/cli/bot.js');

export interface BotResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `bot <args>` as a real process; `done` resolves when it exits. */
export function startBot(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<BotResult> } {
  const child = spawn(process.execPath, [BOT, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<BotResult>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

export function runBot(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BotResult> {
  return startBot(args, env).done;
}

/** The dashboard's address a `bot serve` / `--serve` process prints, once it listens (rejects if the bot exits). */
export function dashboardUrl(bot: { child: ChildProcess; done: Promise<BotResult> }): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    bot.child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) resolve(m[1]);
    });
    void bot.done.then((r) => reject(new Error(`the bot exited before serving: ${r.stderr}`)));
  });
}
