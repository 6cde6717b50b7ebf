import type { EnvStep, LearningEnv } from '../../src/agents/learning-env.ts';
import type { Observation } from '../../src/core/policy.ts';
import { emptyCandles } from '../../src/core/candles.ts';
import { Rng } from '../../src/core/random.ts';

/**
 * A contextual bandit a correct learner must solve: the one feature is +1 or −1 at random; buying on +1 and selling on
 * −1 pays +1, the opposite −1, holding −0.1. Continuous mode: reward −(position − (signal+1)/2)²·4 + 1.
 * Episodes of `length` steps. The state carries the position.
 */
export class SignalEnv implements LearningEnv {
  readonly initialValue = 100;
  private readonly rng: Rng;
  private t = 0;
  private signal = 1;
  private value = 100;
  private position = 0;
  private readonly candles = emptyCandles('toy', 'TOY/KRW', '1h', 1);
  private readonly out: EnvStep;

  constructor(
    seed: number,
    private readonly length = 64,
    private readonly continuous = false,
  ) {
    this.rng = new Rng(seed);
    this.out = {
      observation: this.observe(),
      reward: 0,
      done: false,
      portfolioValue: 100,
      units: 0,
      immediateReward: 0,
      delayedReward: 0,
    };
  }

  private observe(): Observation {
    this.signal = this.rng.next() < 0.5 ? -1 : 1;
    return {
      t: this.t,
      candles: this.candles,
      features: new Float32Array([this.signal]),
      window: 1,
      cols: 1,
      state: new Float32Array([this.position, 0, 0]),
    };
  }

  reset(): Observation {
    this.t = 0;
    this.value = 100;
    this.position = 0;
    return this.observe();
  }

  step(action: number, _confidence: number, targetPosition?: number): EnvStep {
    let reward: number;
    if (this.continuous) {
      const want = (this.signal + 1) / 2;
      const pos = targetPosition ?? (action === 0 ? 1 : action === 1 ? 0 : this.position);
      this.position = pos;
      reward = 1 - 4 * (pos - want) ** 2;
    } else {
      reward = action === 2 ? -0.1 : (action === 0) === this.signal > 0 ? 1 : -1;
      this.position = action === 0 ? 1 : action === 1 ? 0 : this.position;
    }
    this.value += reward;
    this.t++;
    const o = this.out;
    o.observation = this.observe();
    o.reward = reward / 100; // learners scale rewards by 100
    o.done = this.t >= this.length;
    o.portfolioValue = this.value;
    o.units = this.position;
    o.immediateReward = this.value / 100 - 1;
    o.delayedReward = 0;
    return o;
  }
}
