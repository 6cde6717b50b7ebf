/**
 * PortfolioEnv, the learning environment over N markets on one clock (issue 14): the same PortfolioSim (and so the
 * same PortfolioAccount arithmetic, fills at the next open each market has, waits) as the portfolio backtest engine,
 * the same PortfolioObservationBuilder as the engine's agent policy, rewards of the single-market RewardTracker on the
 * portfolio value, a stop-loss and fixed-length random episodes as in the PPO ETF-pair seed.
 */
import type { Candles } from '../core/candles.ts';
import { UserError } from '../core/errors.ts';
import type { Observation } from '../core/policy.ts';
import { Rng } from '../core/random.ts';
import { isoTime } from '../data/timeframe.ts';
import type { Timeline } from '../data/timeline.ts';
import type { Costs } from './costs.ts';
import type { PortfolioObservationBuilder } from './portfolio-observation.ts';
import { PortfolioSim } from './portfolio-sim.ts';
import { RewardTracker, type RewardOptions } from './reward.ts';
import type { EpisodeOptions } from './trading-env.ts';

interface PortfolioEnvOptions {
  timeline: Timeline;
  /** The traded series, in the timeline's order. */
  series: readonly Candles[];
  costs: readonly Costs[];
  balance: number;
  /** Rebalancing moves under this share of the value are skipped. */
  band: number;
  observation: PortfolioObservationBuilder;
  /** Clock indices: decisions at t ∈ [from, to − 1), the last fill at to − 1's open. */
  range: { from: number; to: number };
  reward: RewardOptions;
  episode?: EpisodeOptions;
  /** Ends the episode when the value falls this fraction below the episode's start (0.05 = −5%). */
  stopLoss?: number;
}

interface PortfolioStep {
  observation: Observation;
  reward: number;
  done: boolean;
  value: number;
  end: 'none' | 'end' | 'stop_loss' | 'bankrupt';
}

/**
 * First clock index at which every series of the builder, traded and informative, has a full feature window past its
 * features' warm-up (and image warm-up): the first decision and the first training row.
 */
export function firstDecisionIndex(tl: Timeline, obs: PortfolioObservationBuilder): number {
  let t = 0;
  while (t < tl.ts.length && tl.ts[t] < obs.firstTs) t++;
  return t;
}

export class PortfolioEnv {
  readonly sim: PortfolioSim;
  private readonly rewards: RewardTracker;
  private rng: Rng;
  private startValue = 0;
  private episodeEnd = 0;
  private finished = true;
  private readonly result: PortfolioStep;
  private readonly before: number[];

  constructor(readonly options: PortfolioEnvOptions) {
    const { timeline: tl, range, episode } = options;
    const first = firstDecisionIndex(tl, options.observation);
    if (!(Number.isInteger(range.from) && Number.isInteger(range.to) && range.to <= tl.ts.length))
      throw new UserError(`range [${range.from}, ${range.to}) is outside the ${tl.ts.length} clock times`);
    if (range.from < first) {
      const at = first < tl.ts.length ? ` (${isoTime(tl.ts[first])})` : '';
      throw new UserError(
        `range starts at clock time ${range.from}; features (first valid row + window) are full from ${first}${at}`,
      );
    }
    if (range.to - range.from < 2) throw new UserError(`range [${range.from}, ${range.to}) holds < 2 clock times`);
    if (options.stopLoss !== undefined && !(options.stopLoss > 0 && options.stopLoss < 1))
      throw new UserError(`stopLoss must be in (0, 1), got ${options.stopLoss}`);
    if (episode?.kind === 'random' && !(episode.length >= 2 && episode.length <= range.to - range.from))
      throw new UserError(`episode length must be in [2, ${range.to - range.from}], got ${episode.length}`);
    this.sim = new PortfolioSim(tl, options.series, options.costs, options.balance, options.band);
    this.rewards = new RewardTracker(options.reward);
    this.rng = new Rng(episode?.kind === 'random' ? episode.seed : 0);
    this.before = options.series.map(() => 0);
    this.result = { observation: undefined as never, reward: 0, done: false, value: 0, end: 'none' };
  }

  get initialValue(): number {
    return this.options.balance;
  }

  /** Starts an episode with only cash: the whole range, or a seeded random start of the episode's length. */
  reset(options: { from?: number } = {}): Observation {
    const { from, to } = this.options.range;
    const ep = this.options.episode;
    let start = options.from ?? from;
    let end = to;
    if (ep?.kind === 'random') {
      start = options.from ?? from + this.rng.int(to - from - ep.length + 1);
      end = Math.min(to, start + ep.length);
    }
    if (!(start >= from && start <= end - 2)) throw new UserError(`reset: start ${start} outside [${from}, ${end})`);
    this.episodeEnd = end;
    this.sim.start(start);
    this.startValue = this.sim.value();
    this.rewards.reset(this.startValue);
    this.finished = false;
    return this.observe();
  }

  /** The observation at the close of the current clock time. */
  observe(): Observation {
    const sim = this.sim;
    const pl = this.startValue > 0 ? sim.value() / this.startValue - 1 : 0;
    return this.options.observation.build(this.options.timeline.ts[sim.t], sim.weights(), pl);
  }

  /** Orders `weights` at the current close, fills at the next open, returns the next close's observation. */
  step(weights: readonly number[]): PortfolioStep {
    if (this.finished) throw new Error('PortfolioEnv.step called on a finished episode: call reset() first');
    const sim = this.sim;
    const before = this.before;
    for (let m = 0; m < before.length; m++) before[m] = sim.marks[m];
    sim.order(weights);
    sim.advance();
    let ratio = 0;
    for (let m = 0; m < before.length; m++) ratio += sim.marks[m] / before[m] / before.length;
    const value = sim.value();
    // the buy-and-hold benchmark of excessLogReturn: the markets' mean price move (equal weights)
    const reward = this.rewards.step(value, sim.stepCost, ratio);
    let end: PortfolioStep['end'] = 'none';
    if (value <= 0) end = 'bankrupt';
    else if (this.options.stopLoss !== undefined && value <= this.startValue * (1 - this.options.stopLoss))
      end = 'stop_loss';
    else if (sim.t >= this.episodeEnd - 1) end = 'end';
    this.finished = end !== 'none';
    const r = this.result;
    r.observation = this.observe();
    r.reward = reward;
    r.done = this.finished;
    r.value = value;
    r.end = end;
    return r;
  }
}
