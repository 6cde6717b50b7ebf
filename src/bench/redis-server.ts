/**
 * The bench's own redis-server (the sweep group's queue figures): started on 127.0.0.1 and a free port (or `port`),
 * nothing saved, killed on release or when the bench is stopped (src/bench/cleanup.ts). One that exits before it is
 * ready (its port taken, a bad option) is one line naming why, with the tail of its output; before, the bench
 * waited for its "Ready" line forever.
 */
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { guardChild } from './cleanup.ts';

interface BenchRedis {
  url: string;
  stop(): Promise<void>;
}

/** A port of 127.0.0.1 free at the moment of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The last `n` lines redis-server printed, without their `pid:role date time level` prefix, as one line. */
function outputTail(out: string, n = 2): string {
  const lines = out
    .split('\n')
    .map((l) => l.replace(/^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [*#.-] /, '').trim())
    .filter((l) => l !== '' && !/^\*+ FATAL/.test(l));
  return lines.slice(-n).join(' | ') || 'no output';
}

/** A started redis-server, or undefined when none is on the PATH; throws one line if it stops before it is ready. */
export async function startRedis(port?: number): Promise<BenchRedis | undefined> {
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) return undefined;
  port ??= await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // killed and waited for when the bench is stopped with SIGINT/SIGTERM, too
  const stop = guardChild(child);
  let out = '';
  let ready = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const read = (d: Buffer) => {
        // kept short once ready: the pipes are read for as long as it runs, so it never blocks on a full one
        out = (out + d.toString()).slice(-8192);
        if (!ready && out.includes('Ready to accept connections')) {
          ready = true;
          resolve();
        }
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.once('error', (e) => reject(new Error(`cannot start redis-server: ${e.message}`)));
      // 'close', not 'exit': its last lines (the reason) are read by then
      child.once('close', (code, signal) =>
        reject(
          new Error(
            `redis-server on port ${port} exited (${signal ?? `code ${code}`}) before it was ready: ${outputTail(out)}`,
          ),
        ),
      );
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}
