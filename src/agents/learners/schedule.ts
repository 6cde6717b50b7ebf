/** Exploration rate ε for an epoch. */
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
