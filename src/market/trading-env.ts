/** TradingEnv, the reinforcement-learning environment over candles on the market simulation. */
import type { Observation } from '../core/policy.ts';
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import { Rng } from '../core/random.ts';
import type { Account, Costs, Fill, RejectReason } from './account.ts';
import { HOLD, type SizingOptions } from './execution.ts';
import { ObservationBuilder, STATE_SIZE, type ImageSequenceRenderer } from './observation.ts';
import { RewardTracker, type RewardOptions } from './reward.ts';
import { MarketSim } from './sim.ts';

export type { SizingOptions } from './execution.ts';
export type { RewardOptions } from './reward.ts';
export type { ImageSequenceRenderer } from './observation.ts';

export type EpisodeOptions = { kind: 'full' } | { kind: 'random'; length: number; seed: number };

export interface EnvOptions {
  candles: Candles;
  /** Already scaled rows × cols, row i = candle i. */
  features?: { data: Float32Array; cols: number };
  /** Feature rows per observation, ending at t (0: none). */
  window: number;
  images?: { renderer: ImageSequenceRenderer; frames: number };
  /** Candle indices: decisions at t ∈ [from, to − 1), the last fill at to − 1's open. */
  range: { from: number; to: number };
  costs: Costs;
  balance: number;
  sizing: SizingOptions;
  reward: RewardOptions;
  episode?: EpisodeOptions;
  /** Ends the episode when value falls this fraction below the episode's start (0.05 = −5%). */
  stopLoss?: number;
}

type EpisodeEnd = 'none' | 'end' | 'stop_loss' | 'bankrupt';

/** Per-step details. One object reused by every step: copy what you keep. */
interface StepInfo {
  /** The candle that has just closed (the observation's t). */
  t: number;
  ts: number;
  /** Its close, at which `value` is marked. */
  price: number;
  value: number;
  /** Action asked for (0 buy, 1 sell, 2 hold) and the one that happened (a refused order is a hold). */
  requested: number;
  executed: number;
  /** The fill at this candle's open, or null. The object is the account's `lastFill`, overwritten by the next fill. */
  fill: Fill | null;
  rejected: RejectReason | null;
  holdRatio: number;
  /** RLTrader's immediate reward (P/L since the episode start) and delayed reward, whatever reward kind is chosen. */
  immediateReward: number;
  delayedReward: number;
  /** Why the episode ended at this step, 'none' while it goes on. */
  end: EpisodeEnd;
}

interface StepResult {
  observation: Observation;
  reward: number;
  done: boolean;
  info: StepInfo;
}

/**
 * A gym-like trading environment over a candle range. `step` acts on the decision for the current candle t
 * (fill at t+1's open), moves to t+1 and returns the observation there. Apart from that observation, a step
 * allocates nothing: the result and info objects are reused.
 */
export class TradingEnv {
  readonly observationShape: { window: number; cols: number; stateSize: 3; imageFrameSize?: number; frames?: number };
  readonly options: EnvOptions;
  private readonly sim: MarketSim;
  private readonly builder: ObservationBuilder;
  private readonly rewards: RewardTracker;
  private rng: Rng;
  private readonly result: StepResult;
  private readonly info: StepInfo;
  private episodeStart = 0;
  private episodeEnd = 0;
  private startValue = 0;
  private finished = true;

  constructor(options: EnvOptions) {
    this.options = options;
    const n = options.candles.close.length;
    const { from, to } = options.range;
    if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to <= n)) {
      throw new UserError(`range [${from}, ${to}) is outside the ${n} candles`);
    }
    if (to - from < 2)
      throw new UserError(`range [${from}, ${to}) holds ${Math.max(0, to - from)} candles; at least 2 are needed`);
    this.builder = new ObservationBuilder(options);
    if (from < this.builder.firstT) {
      throw new UserError(
        `range starts at candle ${from} but observations need ` +
          `history: the first usable candle is ${this.builder.firstT}`,
      );
    }
    if (options.stopLoss !== undefined && !(options.stopLoss > 0 && options.stopLoss < 1)) {
      throw new UserError(`stopLoss must be in (0, 1), got ${options.stopLoss}`);
    }
    const ep = options.episode ?? { kind: 'full' };
    if (ep.kind === 'random' && !(Number.isInteger(ep.length) && ep.length >= 2 && ep.length <= to - from)) {
      throw new UserError(`episode length must be a whole number in [2, ${to - from}], got ${ep.length}`);
    }
    this.sim = new MarketSim(options.candles, options.balance, options.costs, options.sizing);
    this.rewards = new RewardTracker(options.reward);
    this.rng = new Rng(ep.kind === 'random' ? ep.seed : 0);
    this.observationShape = {
      window: this.builder.window,
      cols: this.builder.cols,
      stateSize: STATE_SIZE,
      ...(options.images ? { imageFrameSize: this.builder.imageFrameSize, frames: this.builder.frames } : {}),
    };
    this.info = {
      t: from,
      ts: 0,
      price: 0,
      value: options.balance,
      requested: HOLD,
      executed: HOLD,
      fill: null,
      rejected: null,
      holdRatio: 0,
      immediateReward: 0,
      delayedReward: 0,
      end: 'none',
    };
    this.result = { observation: this.builder.build(from, this.sim.account), reward: 0, done: false, info: this.info };
  }

  get account(): Account {
    return this.sim.account;
  }

  /** The candle that has just closed. */
  get t(): number {
    return this.sim.t;
  }

  /** Episode bounds [start, end): decisions at start … end − 2. */
  get episode(): { start: number; end: number } {
    return { start: this.episodeStart, end: this.episodeEnd };
  }

  /**
   * Starts an episode with a fresh account: the whole range, or (random episodes) a seeded random start and fixed
   * length.
   * `from` forces the start; `seed` reseeds the episode-start generator.
   */
  reset(options: { from?: number; seed?: number } = {}): Observation {
    const { from, to } = this.options.range;
    const ep = this.options.episode ?? { kind: 'full' };
    if (options.seed !== undefined) this.rng = new Rng(options.seed);
    let start = from;
    let end = to;
    if (ep.kind === 'random') {
      start = options.from ?? from + this.rng.int(to - from - ep.length + 1);
      end = Math.min(to, start + ep.length);
    } else if (options.from !== undefined) {
      start = options.from;
    }
    if (!(Number.isInteger(start) && start >= from && start <= end - 2)) {
      throw new UserError(`reset: start ${start} must leave at least one step inside [${from}, ${end})`);
    }
    this.episodeStart = start;
    this.episodeEnd = end;
    this.sim.start(start, this.options.balance);
    this.startValue = this.sim.value();
    this.rewards.reset(this.startValue);
    this.finished = false;
    return this.builder.build(start, this.sim.account);
  }

  /**
   * Acts on the decision for the current candle t: action 0 buy, 1 sell, 2 hold; `confidence` scales confidence sizing;
   * `targetPosition` (0..1) drives target sizing. The order fills at t+1's open; reward and observation are at t+1's
   * close.
   */
  step(action: number, confidence: number, targetPosition?: number): StepResult {
    if (this.finished) throw new Error('TradingEnv.step called on a finished episode: call reset() first');
    const sim = this.sim;
    sim.advance(action, confidence, targetPosition);
    const t = sim.t;
    const price = sim.candles.close[t];
    const value = sim.account.value(price);
    const f = sim.account.lastFill;
    // what this step's fill cost on top of the reference price: fee, tax and slippage (rewards may charge it again)
    const cost = sim.filled ? f.fee + f.tax + Math.abs(f.price - f.refPrice) * f.units : 0;
    const reward = this.rewards.step(value, cost, price / sim.candles.close[t - 1]);
    let end: EpisodeEnd = 'none';
    if (value <= 0 || (sim.account.units === 0 && sim.account.cash < Math.max(sim.account.costs.minOrderValue, 1e-9)))
      end = 'bankrupt';
    else if (this.options.stopLoss !== undefined && value <= this.startValue * (1 - this.options.stopLoss))
      end = 'stop_loss';
    else if (t >= this.episodeEnd - 1) end = 'end';
    const info = this.info;
    info.t = t;
    info.ts = sim.candles.ts[t];
    info.price = price;
    info.value = value;
    info.requested = sim.requested;
    info.executed = sim.executed;
    info.fill = sim.filled ? sim.account.lastFill : null;
    info.rejected = sim.refused ? sim.account.lastReject : null;
    info.holdRatio = sim.account.holdRatio(price);
    info.immediateReward = this.rewards.immediate;
    info.delayedReward = this.rewards.delayed;
    info.end = end;
    this.finished = end !== 'none';
    const r = this.result;
    r.observation = this.builder.build(t, sim.account);
    r.reward = reward;
    r.done = this.finished;
    return r;
  }
}
