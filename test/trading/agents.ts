import * as tf from '@tensorflow/tfjs';
import type { AgentLearnerMeta } from '../../src/agents/agent-policy.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import { createNet, headsFor, networkSpec, prepareData, recipeWarmup } from '../../src/agents/setup.ts';
import type { Candles } from '../../src/data/candles.ts';
import { emptyCandles } from '../../src/data/candles.ts';
import { saveModel } from '../../src/ml/model-files.ts';
import dqnDnn from '../../strategies/dqn-dnn.ts';

/** dqn-dnn's recipe with a tiny network, so test models build and save in milliseconds. */
export const SMALL_RECIPE: AgentRecipe = { ...(dqnDnn.recipe as AgentRecipe), network: { kind: 'dnn', hidden: [4], dropout: 0, batchNorm: false, activation: 'relu' } };

/**
 * Saves a real agent (tfjs model + meta, loadable by loadAgent) whose value head always prefers `action`: every kernel
 * is zero and the output bias favours that action. 'buy' keeps the account long, 'sell' keeps it flat.
 */
export async function saveConstantAgent(dir: string, action: 'buy' | 'sell', candles: Candles, recipe: AgentRecipe = SMALL_RECIPE): Promise<void> {
  const warm = recipeWarmup(recipe);
  const prepared = prepareData(recipe, candles, { from: warm, to: candles.ts.length });
  const spec = networkSpec(recipe, prepared, 1);
  const net = createNet(spec, false);
  const weights = net.model.getWeights();
  const replaced = weights.map((w, i) => {
    if (i === weights.length - 1) return tf.tensor1d(action === 'buy' ? [5, 0, 0] : [0, 5, 0]);
    return tf.zerosLike(w);
  });
  net.model.setWeights(replaced);
  replaced.forEach((t) => t.dispose());
  const learner: AgentLearnerMeta = { kind: 'dqn', recipe, continuous: headsFor(recipe).continuous, extraState: {}, bestEpoch: 0, epochs: 0 };
  await saveModel(dir, { model: net.model }, {
    name: `always-${action}`,
    strategy: 'dqn-dnn',
    ...(prepared.matrix ? { featureSet: prepared.matrix.spec, featureVersion: prepared.matrix.version, scaler: prepared.scaler } : {}),
    network: spec,
    learner: learner as unknown as Record<string, unknown>,
    trainingWindow: { from: '', to: '' },
    dataHash: '',
    seed: 1,
    metrics: {},
    codeVersion: 'test',
    createdAt: new Date(0).toISOString(),
  });
  net.dispose();
}

/** Hourly candles: a wavy rise for `up` candles, then a steady fall of 0.4% per candle for `down` candles. */
export function riseThenFall(up: number, down: number, start = Date.UTC(2024, 0, 1)): Candles {
  const n = up + down;
  const c = emptyCandles('upbit', 'BTC/KRW', '1h', n);
  let price = 50_000_000;
  for (let i = 0; i < n; i++) {
    const open = price;
    price = i < up ? price * (1 + 0.001 + 0.01 * Math.sin(i / 5)) : price * 0.996;
    c.ts[i] = start + i * 3_600_000;
    c.open[i] = open;
    c.close[i] = price;
    c.high[i] = Math.max(open, price) * 1.001;
    c.low[i] = Math.min(open, price) * 0.999;
    c.volume[i] = 10 + 5 * Math.cos(i / 7);
  }
  return c;
}
