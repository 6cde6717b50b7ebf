/** DQN's replay buffer: a fixed-capacity ring of transitions in typed arrays. */
import type { Rng } from '../../core/random.ts';

/** One transition's arrays, views into the buffer's storage (valid until the next push). */
export interface ReplayBatch {
  size: number;
  x: Float32Array;
  state: Float32Array;
  action: Int32Array;
  reward: Float32Array;
  nextX: Float32Array;
  nextState: Float32Array;
  done: Float32Array;
}

/** The replay buffer's memory cap: image observations are large (audit: 96×180 × 10 frames hold 388 transitions). */
export const REPLAY_MAX_BYTES = 512 * 1024 * 1024;

/** Bytes one transition takes: x and x', state and state' as float32, action, reward and done. */
function replayRowBytes(xSize: number, stateSize: number): number {
  return 4 * 2 * (xSize + stateSize) + 12;
}

/**
 * The transitions a replay of `requested` holds for observations of `xSize` (+ `stateSize`) numbers: `requested`,
 * capped so the buffer stays under `maxBytes`, never under one batch.
 */
export function replayCapacity(
  requested: number,
  xSize: number,
  stateSize: number,
  batchSize: number,
  maxBytes = REPLAY_MAX_BYTES,
): number {
  return Math.max(batchSize, Math.min(requested, Math.floor(maxBytes / replayRowBytes(xSize, stateSize))));
}

/**
 * Fixed-capacity ring buffer of transitions (x, state, action, reward, x', state', done) in typed arrays.
 * Sampling writes into preallocated batch arrays: no allocation per step or per batch.
 */
export class ReplayBuffer {
  readonly capacity: number;
  private readonly xs: Float32Array;
  private readonly states: Float32Array;
  private readonly nextXs: Float32Array;
  private readonly nextStates: Float32Array;
  private readonly actions: Int32Array;
  private readonly rewards: Float32Array;
  private readonly dones: Float32Array;
  private head = 0;
  private count = 0;
  private readonly batch: ReplayBatch;

  constructor(
    capacity: number,
    readonly xSize: number,
    readonly stateSize: number,
    readonly batchSize: number,
    /** Caps capacity so the buffer stays under this many bytes (replayCapacity). */
    maxBytes = REPLAY_MAX_BYTES,
  ) {
    this.capacity = replayCapacity(capacity, xSize, stateSize, batchSize, maxBytes);
    this.xs = new Float32Array(this.capacity * xSize);
    this.nextXs = new Float32Array(this.capacity * xSize);
    this.states = new Float32Array(this.capacity * stateSize);
    this.nextStates = new Float32Array(this.capacity * stateSize);
    this.actions = new Int32Array(this.capacity);
    this.rewards = new Float32Array(this.capacity);
    this.dones = new Float32Array(this.capacity);
    this.batch = {
      size: batchSize,
      x: new Float32Array(batchSize * xSize),
      state: new Float32Array(batchSize * stateSize),
      action: new Int32Array(batchSize),
      reward: new Float32Array(batchSize),
      nextX: new Float32Array(batchSize * xSize),
      nextState: new Float32Array(batchSize * stateSize),
      done: new Float32Array(batchSize),
    };
  }

  get size(): number {
    return this.count;
  }

  push(
    x: Float32Array,
    state: Float32Array,
    action: number,
    reward: number,
    nextX: Float32Array,
    nextState: Float32Array,
    done: boolean,
  ): void {
    const i = this.head;
    this.xs.set(x, i * this.xSize);
    this.nextXs.set(nextX, i * this.xSize);
    this.states.set(state, i * this.stateSize);
    this.nextStates.set(nextState, i * this.stateSize);
    this.actions[i] = action;
    this.rewards[i] = reward;
    this.dones[i] = done ? 1 : 0;
    this.head = (i + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Uniform sample with replacement into the shared batch arrays. */
  sample(rng: Rng): ReplayBatch {
    const b = this.batch;
    const xs = this.xSize;
    const ss = this.stateSize;
    for (let k = 0; k < b.size; k++) {
      const i = rng.int(this.count);
      b.x.set(this.xs.subarray(i * xs, (i + 1) * xs), k * xs);
      b.nextX.set(this.nextXs.subarray(i * xs, (i + 1) * xs), k * xs);
      b.state.set(this.states.subarray(i * ss, (i + 1) * ss), k * ss);
      b.nextState.set(this.nextStates.subarray(i * ss, (i + 1) * ss), k * ss);
      b.action[k] = this.actions[i];
      b.reward[k] = this.rewards[i];
      b.done[k] = this.dones[i];
    }
    return b;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
