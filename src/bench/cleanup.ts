/**
 * What a bench stopped with SIGINT or SIGTERM must not leave behind: child processes (the fake exchange, redis-server,
 * a `bot backtest`), headless Chromium and temp folders. Each is guarded while it exists; on the signal the guards'
 * cleanups run newest first (Chromium is closed before the folder holding its profile is removed), killed children
 * are waited for, and the process exits 128 + the signal number. With nothing guarded the signals keep their default.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';

const guards = new Set<() => Promise<void>>();
const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

function onSignal(signal: NodeJS.Signals): void {
  const code = 128 + SIGNALS[signal as keyof typeof SIGNALS];
  void (async () => {
    for (const g of [...guards].reverse()) await g().catch(() => undefined);
    process.exit(code);
  })();
}

/** Runs `cleanup` on release or on SIGINT/SIGTERM (once); returns the release. */
export function guardCleanup(cleanup: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const release = (): Promise<void> => {
    done ??= (async () => {
      try {
        await cleanup();
      } finally {
        guards.delete(release);
        if (guards.size === 0) for (const s of Object.keys(SIGNALS)) process.off(s, onSignal);
      }
    })();
    return done;
  };
  if (guards.size === 0) for (const s of Object.keys(SIGNALS)) process.on(s, onSignal);
  guards.add(release);
  return release;
}

/** Kills `child` on release or on SIGINT/SIGTERM and waits until it has exited (so none is left behind). */
export function guardChild(child: ChildProcess): () => Promise<void> {
  return guardCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    // one that ignores SIGTERM is not waited for forever
    const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(hard);
  });
}

/** Removes the folder `dir` on release or on SIGINT/SIGTERM. */
export function guardDir(dir: string): () => Promise<void> {
  return guardCleanup(async () => rmSync(dir, { recursive: true, force: true }));
}
