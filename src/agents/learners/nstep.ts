/**
 * n-step returns for DQN's replay (Sutton 1988; Hessel et al. 2018, "Rainbow"): the transitions of the last n steps
 * wait here until the n-th reward is known, then go to the replay as (s_t, a_t, r_t + γ r_t+1 + … + γ^(n−1) r_t+n−1,
 * s_t+n, done); the learner bootstraps them with γ^n. At the end of an episode the waiting ones go with the rewards
 * there are and done set (nothing to bootstrap). With n = 1 every transition goes through unchanged.
 */

/** Where a finished n-step transition goes (the replay buffer's push). */
export type TransitionSink = (
  x: Float32Array,
  state: Float32Array,
  action: number,
  reward: number,
  nextX: Float32Array,
  nextState: Float32Array,
  done: boolean,
) => void;

export class NStepQueue {
  private readonly xs: Float32Array[];
  private readonly states: Float32Array[];
  private readonly actions: Int32Array;
  private readonly rewards: Float64Array;
  /** Index of the oldest waiting transition in the ring, and how many wait. */
  private head = 0;
  private count = 0;

  constructor(
    readonly n: number,
    readonly gamma: number,
    xSize: number,
    stateSize: number,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`n-step: n must be a whole number ≥ 1 (got ${n})`);
    this.xs = Array.from({ length: n }, () => new Float32Array(xSize));
    this.states = Array.from({ length: n }, () => new Float32Array(stateSize));
    this.actions = new Int32Array(n);
    this.rewards = new Float64Array(n);
  }

  /** The discount the learner applies to the bootstrapped value of a transition this queue emitted: γ^n. */
  get bootstrapDiscount(): number {
    return this.gamma ** this.n;
  }

  /** One environment step; emits the transitions whose n-step return is now known (all of them when `done`). */
  add(
    x: Float32Array,
    state: Float32Array,
    action: number,
    reward: number,
    nextX: Float32Array,
    nextState: Float32Array,
    done: boolean,
    emit: TransitionSink,
  ): void {
    if (this.n === 1) {
      emit(x, state, action, reward, nextX, nextState, done);
      return;
    }
    const slot = (this.head + this.count) % this.n;
    this.xs[slot].set(x);
    this.states[slot].set(state);
    this.actions[slot] = action;
    this.rewards[slot] = reward;
    this.count++;
    if (done) {
      while (this.count > 0) this.emitOldest(nextX, nextState, true, emit);
    } else if (this.count === this.n) {
      this.emitOldest(nextX, nextState, false, emit);
    }
  }

  /** Drops what waits (a new episode that does not continue the last one). */
  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  private emitOldest(nextX: Float32Array, nextState: Float32Array, done: boolean, emit: TransitionSink): void {
    let sum = 0;
    let discount = 1;
    for (let k = 0; k < this.count; k++) {
      sum += discount * this.rewards[(this.head + k) % this.n];
      discount *= this.gamma;
    }
    const i = this.head;
    emit(this.xs[i], this.states[i], this.actions[i], sum, nextX, nextState, done);
    this.head = (this.head + 1) % this.n;
    this.count--;
  }
}
