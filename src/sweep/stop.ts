/**
 * Stopping `bot sweep` by SIGINT (Ctrl-C) or SIGTERM: the first signal asks the sweep to finish the jobs in hand and
 * take no more, a second one to stop at once. The pool and the queue wait read it; the sweep then says what is
 * stored and that a re-run resumes (results are in SQLite by job id), and exits 128 + the signal's number.
 * Before, the default handlers ended the coordinator mid-send and its children crashed writing to the closed pipe.
 */
import { constants } from 'node:os';

type StopLevel = 'running' | 'finish' | 'now';

/** A sweep child's exit code after a SIGTERM of its own (src/sweep/child.ts): its job in hand costs no try. */
export const STOPPED_BY_SIGTERM = 128 + constants.signals.SIGTERM;

export class SweepStop {
  level: StopLevel = 'running';
  signal?: NodeJS.Signals;
  private readonly listeners = new Set<(level: StopLevel) => void>();

  /** Calls `f` on every change of level (the first signal: 'finish', the second: 'now'). */
  onChange(f: (level: StopLevel) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  request(signal: NodeJS.Signals): void {
    if (this.level === 'now') return;
    this.signal ??= signal;
    this.level = this.level === 'running' ? 'finish' : 'now';
    for (const f of [...this.listeners]) f(this.level);
  }

  /** 128 + the first signal's number (130 for SIGINT, 143 for SIGTERM), the shell's code for a stopped process. */
  exitCode(): number {
    return 128 + (this.signal ? constants.signals[this.signal] : 0);
  }

  /** Installs SIGINT and SIGTERM handlers on this process; returns their removal. */
  listen(): () => void {
    const onInt = () => this.request('SIGINT');
    const onTerm = () => this.request('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    return () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
  }
}
