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
