/**
 * plan(model): which engine runs a network's single-observation inference, its fixed-weight batch inference and its
 * training steps, decided once per model from the one graph reader (graph.ts), logged at debug level with the reason
 * each faster engine was refused, and recorded in the model's training record (issue 11). One failure rule: an engine
 * that does not cover the network, or fails to build, is refused and tfjs runs instead.
 */
import * as tf from '@tensorflow/tfjs';
import { log } from '../core/log.ts';
import { blockTrainerUnsupported } from './block-trainer.ts';
import { jsForwardUnsupported } from './fast-forward.ts';
import { foldedUnsupported } from './folded-dense.ts';
import { readGraph } from './graph.ts';
import { trunkCacheUnsupported, trunkModel } from './trunk-cache.ts';

export interface NetPlan {
  /**
   * One observation per call (acting, paper trading): the plain-JS pass, the block engine's inference on one row
   * (cnnrnn: its convolutions on the backend's kernels, the rest in JS), or model.predict.
   */
  single: 'js-forward' | 'blocks' | 'tfjs';
  /**
   * Fixed weights over many candles (greedy backtests, an RLTrader epoch): the trunk cache batches the feature trunk
   * (folded fused products, or model.predict) and runs the heads in JS; or one model.predict per step.
   */
  batch: 'trunk-cache+folded' | 'trunk-cache+tfjs' | 'tfjs';
  /** Training steps (and the learners' batched inference next to them): the block trainer or tfjs's tape. */
  train: 'blocks' | 'tfjs';
  /** Why each refused engine was refused. */
  refused: Partial<Record<'js-forward' | 'single-blocks' | 'trunk-cache' | 'folded' | 'blocks', string>>;
}

/**
 * Backends the hand-written image and recurrent blocks (Conv2D, GRU) are for: on wasm and cpu they beat tfjs's tape
 * (issue 16); a GPU backend ('tensorflow' from tfjs-node-gpu, 'webgl', 'webgpu') runs the whole graph on its own
 * kernels better than a path that copies every activation to JS and back, so there the plan keeps tfjs.
 */
const HAND_IMAGE_BACKENDS: ReadonlySet<string> = new Set(['wasm', 'cpu']);

/** Why `model`'s image or recurrent blocks must not run on `backend`, or undefined. */
function backendRefuses(model: tf.LayersModel, backend: string): string | undefined {
  if (HAND_IMAGE_BACKENDS.has(backend)) return undefined;
  const layer = model.layers.find((l) => ['Conv2D', 'GRU'].includes(l.getClassName()));
  if (!layer) return undefined;
  const cls = layer.getClassName().toLowerCase();
  return `backend ${backend} runs ${cls} on its own kernels (the hand path is for wasm, cpu)`;
}

/** Decides the engines for `model` on `backend` (see NetPlan) and logs the choice at debug level. */
export function plan(model: tf.LayersModel, backend: string = tf.getBackend()): NetPlan {
  const graph = readGraph(model);
  const refused: NetPlan['refused'] = {};
  const jsWhy = jsForwardUnsupported(graph);
  if (jsWhy) refused['js-forward'] = jsWhy;
  let batch: NetPlan['batch'] = 'tfjs';
  const cacheWhy = trunkCacheUnsupported(model);
  if (cacheWhy) {
    refused['trunk-cache'] = cacheWhy;
  } else {
    const foldWhy = foldedUnsupported(trunkModel(model));
    if (foldWhy) refused.folded = foldWhy;
    batch = foldWhy ? 'trunk-cache+tfjs' : 'trunk-cache+folded';
  }
  const blocksWhy = blockTrainerUnsupported(model) ?? backendRefuses(model, backend);
  if (blocksWhy) refused.blocks = blocksWhy;
  if (jsWhy && blocksWhy) refused['single-blocks'] = blocksWhy;
  const single = !jsWhy ? 'js-forward' : blocksWhy ? 'tfjs' : 'blocks';
  const p: NetPlan = { single, batch, train: blocksWhy ? 'tfjs' : 'blocks', refused };
  log().debug(`network ${model.name}: ${describePlan(p)}`);
  return p;
}

/** A refusal after the plan was made (an engine failed to build, or a learner's loss has no hand-derived gradient). */
export function refuse(p: NetPlan, engine: keyof NetPlan['refused'], why: string, modelName: string): void {
  p.refused[engine] = why;
  if (engine === 'js-forward' || engine === 'single-blocks') p.single = 'tfjs';
  else if (engine === 'blocks') p.train = 'tfjs';
  else if (engine === 'trunk-cache') p.batch = 'tfjs';
  else if (p.batch === 'trunk-cache+folded') p.batch = 'trunk-cache+tfjs';
  log().debug(`network ${modelName}: ${engine} refused (${why}), tfjs instead`);
}

/** One line: the engines and, for each refused one, why. */
export function describePlan(p: NetPlan): string {
  const why = Object.entries(p.refused).map(([engine, reason]) => `${engine}: ${reason}`);
  return `single ${p.single}, batch ${p.batch}, training ${p.train}${why.length ? ` (refused ${why.join('; ')})` : ''}`;
}
