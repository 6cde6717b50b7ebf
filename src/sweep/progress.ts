/**
 * The sweep's progress on stderr: a cli-progress bar with jobs done, failed and the time left on a terminal, and a
 * log line per finished job elsewhere (a bar redrawn into a file is noise).
 */
import cliProgress from 'cli-progress';
import type { Logger } from '../core/log.ts';

export class SweepProgress {
  private done = 0;
  private failed = 0;
  private readonly started = performance.now();
  private readonly bar?: cliProgress.SingleBar;

  constructor(
    private readonly total: number,
    private readonly skipped: number,
    private readonly logger: Logger,
  ) {
    if (process.stderr.isTTY && total > 0) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: 'sweep [{bar}] {value}/{total} jobs | failed {failed} | {eta_formatted} left',
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { failed: 0 });
    }
  }

  private eta(): string {
    const finished = this.done + this.failed;
    if (finished === 0) return '?';
    const s = (((performance.now() - this.started) / 1000) * (this.total - finished)) / finished;
    return s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`;
  }

  jobDone(label: string): void {
    this.done++;
    this.tick(`done ${label}`);
  }

  jobFailed(label: string, error: string): void {
    this.failed++;
    if (this.bar) this.logger.debug(`failed ${label}: ${error}`);
    this.tick(`FAILED ${label}: ${error}`);
  }

  private tick(what: string): void {
    if (this.bar) this.bar.update(this.done + this.failed, { failed: this.failed });
    else
      this.logger.info(
        `[${this.done + this.failed}/${this.total}${this.skipped ? ` +${this.skipped} stored` : ''}] ${what} | ` +
          `failed ${this.failed} | ${this.eta()} left`,
      );
  }

  stop(): void {
    this.bar?.stop();
  }
}
