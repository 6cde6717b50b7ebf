/** Hand-written rule policies (buy-and-hold, flat, random, SMA cross) used by strategies and baselines. */
import type { Decision, Observation, Policy } from '../core/policy.ts';
import type { Candles } from '../core/candles.ts';
import { Rng } from '../core/random.ts';
import type { ScheduleRule } from './decision-rule.ts';

// Decisions are constants so that a rule policy allocates nothing per candle.
const BUY: Decision = Object.freeze({ action: 'buy', confidence: 1 });
const SELL: Decision = Object.freeze({ action: 'sell', confidence: 1 });
const HOLD: Decision = Object.freeze({ action: 'hold', confidence: 0 });

/** Simple moving average of closes; value at t uses closes t−period+1 … t, NaN before that. */
function rollingSma(values: Float64Array, period: number): Float64Array {
  const out = new Float64Array(values.length).fill(NaN);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= period) sum -= values[i - period];
    if (i >= period - 1) out[i] = sum / period;
  }
  return out;
}

/** Buys at the first decision and holds to the end. */
export function buyAndHoldPolicy(): Policy {
  return {
    name: 'buy-and-hold',
    decide: (obs: Observation) => (obs.state[0] < 0.5 ? BUY : HOLD),
  };
}

/** Never trades. */
export function flatPolicy(): Policy {
  return { name: 'flat', decide: () => HOLD };
}

/**
 * Uniformly random buy / sell / hold with random confidence, seeded. With `targets` (for 'target' sizing, where a
 * continuous agent names the weight to hold) a buy or sell names that random draw as its target weight (0..1) and
 * hold keeps the position: two decisions of three rebalance to a uniformly random weight.
 */
export function randomPolicy(seed: number, targets = false): Policy {
  const decisions: Decision[] = [
    { action: 'buy', confidence: 0 },
    { action: 'sell', confidence: 0 },
    { action: 'hold', confidence: 0 },
  ];
  return {
    name: 'random',
    // A function of (seed, candle time) rather than a running sequence: the paper trader, which rebuilds the
    // policy every tick, draws the same action for a candle as the backtest did.
    decide: (obs) => {
      const minutes = Math.floor(obs.candles.ts[obs.t] / 60_000);
      const rng = new Rng(Math.imul(seed ^ 0x5bd1e995, 0x01000193) ^ minutes ^ Math.floor(minutes / 4294967296));
      const d = decisions[rng.int(3)];
      d.confidence = rng.next();
      if (targets && d.action !== 'hold') d.targetPosition = d.confidence;
      return d;
    },
  };
}

/**
 * The random baseline's phase under a holding rule (underSchedule's `phase`): a uniformly drawn number of decision
 * candles in [0, one holding period) to hold before its first action, so seeds differ in when they switch. Without
 * it a fresh gate lets random's first buy through within a few candles and `minHold` then forces the same long/flat
 * cycle on every seed, which measures where the window starts rather than a random null. A function of (seed, the
 * gate's first candle time), as randomPolicy is: a fold run alone draws the phase it draws inside a chained run.
 */
export function randomPhase(seed: number): (startTs: number, rule: ScheduleRule) => number {
  return (startTs, rule) => {
    const period = Math.ceil(rule.minHold / rule.every);
    if (period <= 1) return 0;
    const minutes = Math.floor(startTs / 60_000);
    // another stream than randomPolicy's draw at that candle (its seed mixed with other constants)
    const rng = new Rng(Math.imul(seed ^ 0x27d4eb2f, 0x165667b1) ^ minutes ^ Math.floor(minutes / 4294967296));
    return rng.int(period);
  };
}

/**
 * Long while the fast SMA of closes is above the slow one, flat otherwise. Position-aware through the observation's
 * hold ratio, so it asks to buy only when mostly in cash and to sell only when holding.
 */
export function smaCrossPolicy(candles: Candles, fast = 20, slow = 50): Policy {
  const f = rollingSma(candles.close, fast);
  const s = rollingSma(candles.close, slow);
  return {
    name: `sma-cross(${fast},${slow})`,
    decide: (obs: Observation) => {
      const t = obs.t;
      const a = f[t];
      const b = s[t];
      if (!(a === a && b === b)) return HOLD; // warm-up (NaN)
      const held = obs.state[0];
      if (a > b) return held < 0.5 ? BUY : HOLD;
      if (a < b) return held > 0 ? SELL : HOLD;
      return HOLD;
    },
  };
}
