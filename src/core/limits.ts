/**
 * Bounds that both the flags and the config schema check, kept apart from the schemas so that a command reads its
 * flags without loading zod (`bot --help` and a flag mistake load no schema library).
 */

/**
 * The most epochs, seeds and folds one training run may ask for (`--epochs`, `--seeds`, `--folds`, config and recipe
 * epochs): a typo such as `--epochs 1000000000` is one line, not a run that never ends.
 */
export const TRAINING_LIMITS = { epochs: 100_000, seeds: 1_000, folds: 1_000 } as const;

/**
 * The largest starting balance, of the config and of `--balance`: money sums stay exact to the cent below 2^53 and
 * finite through a run's returns (1e308 used to print a total return of Infinity and a volatility of NaN).
 */
export const MAX_BALANCE = 1e15;

/** The TensorFlow.js backends `ml.backend` and `--backend` may name. */
export const BACKEND_CHOICES = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const;

/**
 * The largest sizes a recipe may ask for (network units, batches, replay, episode and decision lengths): a recipe with
 * network.hidden [2e9] or learner.batchSize 1e9 used to pass the check and crash mid-run with `Invalid typed array
 * length`, and decision.every 1e12 or episodeLength 1e15 were taken silently. The bounds are far above any real recipe.
 */
export const RECIPE_LIMITS = {
  /** Units (or filters) of one layer: network.hidden[i], network.rnnUnits. */
  units: 4096,
  /** Layers of network.hidden. */
  layers: 64,
  /** Feature rows per observation and image frames. */
  window: 10_000,
  /** Transitions or rows per gradient step: batchSize, minibatchSize. */
  batch: 65_536,
  /** learner.replayCapacity (transitions). */
  replay: 10_000_000,
  /** Steps per rollout, warm-up transitions, update intervals (learner.rolloutSteps, warmup, trainEvery …). */
  steps: 10_000_000,
  /** Parallel environments of an on-policy learner. */
  envs: 1_024,
  /** Candles: episodeLength, decision.every and minHold, selection purge and embargo (10 years of minute candles). */
  candles: 10_000_000,
  /**
   * selection.windows: 1e12 hung `bot backtest` in purgedSplit, which tried every count down from it (walk-selection
   * audit); each window needs ≥ 48 candles, so 1,000 asks for 48,000 validation candles.
   */
  windows: 1_000,
} as const;
