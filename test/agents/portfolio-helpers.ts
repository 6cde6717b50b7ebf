/** Synthetic portfolio data for tests: a pair whose leadership alternates in blocks, shown by an informative series. */
import { candlesFromRows, type Candles } from '../../src/core/candles.ts';
import { Rng } from '../../src/core/random.ts';
import type { PortfolioRecipe } from '../../src/agents/portfolio-recipe.ts';

const H = 3_600_000;

function series(symbol: string, returns: readonly number[]): Candles {
  let close = 100;
  const rows = returns.map((r, i) => {
    const open = close;
    close = open * (1 + r);
    const hi = Math.max(open, close) * 1.001;
    const lo = Math.min(open, close) * 0.999;
    return { ts: i * H, open, high: hi, low: lo, close, volume: 1000 };
  });
  return candlesFromRows('synthetic', symbol, '1h', rows);
}

/**
 * A and B trade; I is informative. Regimes alternate in blocks of `block` candles: in regime 0, I rises 1% a candle
 * and A drifts up `drift` while B drifts down; in regime 1 the other way round. A and B carry noise of sd `noise`
 * (their own features barely show the regime), I a tenth of it (its features show it plainly).
 */
export function alternatingPair(count: number, seed: number, block = 10, drift = 0.005, noise = 0.01) {
  const rng = new Rng(seed);
  const a: number[] = [];
  const b: number[] = [];
  const ix: number[] = [];
  for (let t = 0; t < count; t++) {
    const sign = Math.floor(t / block) % 2 === 0 ? 1 : -1;
    a.push(sign * drift + noise * rng.normal());
    b.push(-sign * drift + noise * rng.normal());
    ix.push(sign * 0.01 + (noise / 10) * rng.normal());
  }
  return { a: series('A/USD', a), b: series('B/USD', b), index: series('I/USD', ix) };
}

/** A small recipe that learns the pair within seconds: window 2, a 16-unit network, 30-candle episodes. */
export function pairRecipe(over: Partial<PortfolioRecipe> = {}): PortfolioRecipe {
  return {
    features: 'rltrader-v1',
    scaler: 'zscore',
    window: 2,
    network: { kind: 'dnn', hidden: [16], dropout: 0, batchNorm: false, activation: 'tanh' },
    learner: {
      kind: 'ppo-weights',
      envs: 8,
      gamma: 0.5,
      learningRate: 3e-3,
      rolloutSteps: 30,
      epochsPerRollout: 4,
      minibatchSize: 120,
      initialLogStd: 0,
    },
    cash: false,
    reward: { kind: 'logReturn' },
    costs: 'zero',
    epochs: 30,
    episodeLength: 30,
    ...over,
  };
}

/**
 * A tiny image recipe: 2 frames of a 16×9 OHLC chart (3 candles) per traded market through a cnnrnn with 4 filters
 * and a GRU of 4, beside 2-candle feature windows; 2 environments of 30-candle episodes.
 */
export function imageRecipe(over: Partial<PortfolioRecipe> = {}): PortfolioRecipe {
  return pairRecipe({
    image: { spec: 'ohlc:16x9:3', frames: 2 },
    network: { kind: 'cnnrnn', hidden: [4], rnnUnits: 4, dropout: 0, batchNorm: true },
    learner: {
      kind: 'ppo-weights',
      envs: 2,
      gamma: 0.5,
      learningRate: 3e-3,
      rolloutSteps: 30,
      epochsPerRollout: 2,
      minibatchSize: 30,
      initialLogStd: 0,
    },
    ...over,
  });
}
