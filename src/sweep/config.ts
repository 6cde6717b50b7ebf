/** The config section that sweeps own (`sweep`): where reports go, the queue's name, retries and stalled-job timing. */
import { z } from 'zod';
import type { AgentSettings } from '../agents/config.ts';
import type { TradeValueBounds } from '../market/config.ts';
import type { MlSection } from '../nn/config.ts';

export const sweepSection = z.strictObject({
  /** Sweep report folders go to `<outDir>/sweep-<id>/`. */
  outDir: z.string().min(1),
  /** BullMQ queue name; GPU jobs go to `<queue>-gpu`. */
  queue: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ or -'),
  /** Tries per job before it is marked failed (the issue: 3). */
  attempts: z.number().int().min(1).max(20),
  /** A worker's lock on a job: a worker that stops renewing it (killed) loses the job after this long. */
  lockMs: z.number().int().min(1000),
  /** How often workers look for jobs whose lock expired (stalled) and put them back on the queue. */
  stalledIntervalMs: z.number().int().min(500),
  /** Times a job may stall (its worker died) before it counts as failed. */
  maxStalled: z.number().int().min(0).max(100),
});

export type SweepSection = z.infer<typeof sweepSection>;

/** What a sweep reads from config: the agents' training settings, the backend and its own section. */
export interface SweepSettings extends AgentSettings {
  /** Sizing bounds, and the random baseline's seed count. */
  backtest: TradeValueBounds & { randomSeeds: number };
  ml: MlSection;
  sweep: SweepSection;
}
