import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import assert from 'node:assert/strict';
import winston from 'winston';
import type { Candles } from '../../src/core/candles.ts';
import type { Policy } from '../../src/core/policy.ts';
import { envOptions, prepareData, type PreparedData } from '../../src/agents/setup.ts';
import type { IndexRange } from '../../src/agents/splits.ts';
import { runBacktest } from '../../src/market/backtest-engine.ts';
import { SMALL_RECIPE } from '../trading/agents.ts';
import type { Logger } from '../../src/core/log.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import type { Fold } from '../../src/agents/splits.ts';
import { trainOnFold, type TrainedAgent } from '../../src/agents/train-fold.ts';

/** Default config with test-friendly agent settings; no log file. */
export function testConfig(agent: Partial<Config['agent']> = {}, extra: Record<string, unknown> = {}): Config {
  return loadConfig({
    overrides: {
      log: { level: 'warn', file: '' },
      ml: { backend: 'wasm' },
      agent: { patience: 0, summaryEvery: 0, validateEvery: 1, ...agent },
      ...extra,
    },
  });
}

export function quietLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}

/** Rewrites every candle after `cut` (prices scaled by a wave): what a decision at or before `cut` must not see. */
export function rewriteAfter(c: Candles, cut: number): Candles {
  const future = structuredClone(c);
  for (let i = cut + 1; i < future.close.length; i++) {
    const k = 1 + 0.05 * Math.sin(i);
    future.open[i] *= k;
    future.close[i] *= k;
    future.high[i] *= k * 1.01;
    future.low[i] *= k * 0.99;
  }
  return future;
}

/**
 * The look-ahead check for a policy over SMALL_RECIPE's observations: rewriting every candle after `cut` leaves the
 * decisions up to `cut` unchanged, and (so the check can fail) changes some later one.
 */
export function assertCausalPolicy(o: {
  candles: Candles;
  prepared: PreparedData;
  config: Config;
  range: IndexRange;
  policy: Policy;
  cut: number;
  label: string;
}): void {
  const future = rewriteAfter(o.candles, o.cut);
  const actions = (c: Candles) => {
    const p = prepareData(SMALL_RECIPE, c, { from: o.range.from, to: 200 }, o.prepared.scaler);
    return runBacktest({ ...envOptions(SMALL_RECIPE, o.config, p, o.range), policy: o.policy }).actions;
  };
  const a = actions(o.candles);
  const b = actions(future);
  const upto = o.cut - o.range.from + 1;
  assert.deepEqual(Array.from(b.subarray(0, upto)), Array.from(a.subarray(0, upto)), o.label);
  assert.notDeepEqual(Array.from(b), Array.from(a), `${o.label}: the rewritten future changes later decisions`);
}

/** Trains `recipe` on one fold with the test config and a silent log (`name` is the strategy's and the log label). */
export function trainQuietly(o: {
  recipe: AgentRecipe;
  name: string;
  candles: Candles;
  fold: Fold;
  seed: number;
  epochs: number;
}): Promise<TrainedAgent> {
  const { recipe, name, candles, fold, seed, epochs } = o;
  return trainOnFold({
    settings: testConfig(),
    recipe,
    strategyName: name,
    candles,
    fold,
    seed,
    epochs,
    logger: quietLogger(),
    label: name,
  });
}

/** What a trained agent learned and chose, as plain data a look-ahead check compares: weights, epoch, score, rule. */
export function learned(agent: TrainedAgent) {
  return {
    weights: agent.learner.net.model.getWeights().map((w) => Array.from(w.dataSync())),
    bestEpoch: agent.training.bestEpoch,
    bestScore: agent.training.bestScore,
    rule: agent.rule,
  };
}
