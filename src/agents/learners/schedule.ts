/** Exploration rate ε for an epoch: the schedules, their value at an epoch and their recipe schema. */
import { z } from 'zod';

export type EpsilonSchedule =
  /** RLTrader: start · (1 − epoch / (epochs − 1)), reaching `end` (default 0) at the last epoch. */
  | { kind: 'linear'; start: number; end?: number }
  /** DQN notebooks: max(end, start · decay^epoch). */
  | { kind: 'exponential'; start: number; end: number; decay: number }
  | { kind: 'constant'; value: number };

export function epsilonAt(schedule: EpsilonSchedule, epoch: number, epochs: number): number {
  switch (schedule.kind) {
    case 'constant':
      return schedule.value;
    case 'linear': {
      const end = schedule.end ?? 0;
      if (epochs <= 1) return schedule.start;
      const f = Math.min(1, Math.max(0, epoch / (epochs - 1)));
      return schedule.start + (end - schedule.start) * f;
    }
    case 'exponential':
      return Math.max(schedule.end, schedule.start * Math.pow(schedule.decay, epoch));
  }
}

const rate = z.number().min(0).max(1);

/** The recipe's `exploration`, checked at strategy load. */
export const epsilonScheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('linear'), start: rate, end: rate.optional() }),
  z.strictObject({ kind: z.literal('exponential'), start: rate, end: rate, decay: z.number().gt(0).max(1) }),
  z.strictObject({ kind: z.literal('constant'), value: rate }),
]) satisfies z.ZodType<EpsilonSchedule>;
