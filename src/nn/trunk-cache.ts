/**
 * Batched trunk inference for fixed weights: the feature trunk over a chunk of candles at once, the heads per step in
 * JS.
 */
import * as tf from '@tensorflow/tfjs';
import type { FeatureRows } from '../core/policy.ts';
import type { HeadOutputs } from './head-outputs.ts';
import { FoldedDense } from './folded-dense.ts';
import { readGraph, unsupportedBy } from './graph.ts';

// an RLTrader epoch (490 steps) in one chunk
const CHUNK = 512;

interface Head {
  layer: tf.layers.Layer;
  units: number;
  softmax: boolean;
  kernel: Float32Array;
  bias: Float32Array;
}

/**
 * The networks concatenate the agent state after the feature trunk (layer 'trunk_state'), so while the weights stay
 * fixed (a greedy backtest, an RLTrader epoch with its one fit at the end) the trunk's output for candle t does not
 * depend on the trajectory: it is computed for a chunk of candles in one batched tfjs call, and each step only runs
 * the dense heads over [trunk_t, state] in JS. Equal to the full forward pass up to float rounding.
 */
export class TrunkCache {
  private readonly trunk: tf.LayersModel;
  /** Dense trunks run with their batch norms folded into the weights (folded-dense.ts); others through predict. */
  private readonly folded: FoldedDense | undefined;
  private foldedStale = true;
  private readonly width: number;
  private readonly heads: Head[];
  private readonly window: number;
  private readonly cols: number;
  /** The feature matrix the cached rows were computed from. */
  private matrix: Float32Array | null = null;
  private start = 0;
  private end = 0;
  private rows = new Float32Array(CHUNK * 1);
  private readonly z: Float32Array;
  private readonly out: HeadOutputs = {};

  private constructor(model: tf.LayersModel, concat: tf.layers.Layer, heads: tf.layers.Layer[]) {
    this.trunk = trunkModel(model, concat);
    this.width = this.trunk.outputs[0].shape[1] as number;
    this.folded = FoldedDense.tryCreate(this.trunk);
    const shape = model.inputs[0].shape as number[];
    this.window = shape[1];
    this.cols = shape[2];
    this.rows = new Float32Array(CHUNK * this.width);
    const zWidth = concat.outputShape[1] as number;
    this.z = new Float32Array(zWidth);
    this.heads = heads.map((layer) => {
      const cfg = layer.getConfig() as { units: number; activation?: string };
      return {
        layer,
        units: cfg.units,
        softmax: cfg.activation === 'softmax',
        kernel: new Float32Array(zWidth * cfg.units),
        bias: new Float32Array(cfg.units),
      };
    });
    for (const h of this.heads) {
      const arr = new Float32Array(h.units);
      if (h.layer.name === 'value') this.out.value = arr;
      else this.out.policy = arr;
    }
    this.sync();
  }

  /**
   * A cache for models shaped [features [window, cols], state] → concat 'trunk_state' → dense heads; else undefined.
   */
  static tryCreate(model: tf.LayersModel): TrunkCache | undefined {
    if (trunkCacheUnsupported(model)) return undefined;
    return new TrunkCache(
      model,
      model.getLayer('trunk_state'),
      model.outputs.map((o) => o.sourceLayer),
    );
  }

  /** Forget cached trunk rows and re-read the head weights (after any weight change). */
  sync(): void {
    this.matrix = null;
    // folding reads every weight: wait until a chunk is computed (an RLTrader epoch syncs after its fit and again
    // when the next epoch turns the cache on)
    this.foldedStale = true;
    for (const h of this.heads) {
      const [k, b] = h.layer.getWeights();
      h.kernel.set(k.dataSync() as Float32Array);
      if (b) h.bias.set(b.dataSync() as Float32Array);
    }
  }

  /**
   * Head outputs at candle `t`, whose input is the window of `rows` ending at row t, with the agent `state`;
   * undefined when `rows` does not fit this network or holds no such window.
   */
  predict(t: number, rows: FeatureRows, state: Float32Array): HeadOutputs | undefined {
    const cols = this.cols;
    if (rows.cols !== cols || t - this.window + 1 < 0 || (t + 1) * cols > rows.data.length) return undefined;
    if (this.matrix !== rows.data || t < this.start || t >= this.end) this.fill(rows.data, t);
    const row = this.rows.subarray((t - this.start) * this.width, (t - this.start + 1) * this.width);
    this.z.set(row, 0);
    this.z.set(state, this.width);
    const zw = this.z.length;
    this.heads.forEach((h) => {
      const y = (h.layer.name === 'value' ? this.out.value : this.out.policy) as Float32Array;
      for (let j = 0; j < h.units; j++) y[j] = h.bias[j];
      for (let k = 0; k < zw; k++) {
        const zk = this.z[k];
        if (zk === 0) continue;
        const ko = k * h.units;
        for (let j = 0; j < h.units; j++) y[j] += zk * h.kernel[ko + j];
      }
      if (h.softmax) {
        let max = -Infinity;
        for (let j = 0; j < h.units; j++) max = Math.max(max, y[j]);
        let sum = 0;
        for (let j = 0; j < h.units; j++) sum += y[j] = Math.exp(y[j] - max);
        for (let j = 0; j < h.units; j++) y[j] /= sum;
      }
    });
    return this.out;
  }

  /** Trunk rows for up to CHUNK candles from t on, each from its window of `all`. */
  private fill(all: Float32Array, t: number): void {
    if (this.folded && this.foldedStale) {
      this.folded.sync();
      this.foldedStale = false;
    }
    const lastT = Math.floor(all.length / this.cols) - 1;
    const n = Math.max(1, Math.min(CHUNK, lastT - t + 1));
    const span = this.window * this.cols;
    const x = new Float32Array(n * span);
    for (let i = 0; i < n; i++)
      x.set(all.subarray((t + i - this.window + 1) * this.cols, (t + i + 1) * this.cols), i * span);
    if (this.folded) {
      this.folded.predict(x, n, this.rows.subarray(0, n * this.width));
    } else {
      tf.tidy(() => {
        // one batch: predict's default batchSize of 32 would split the chunk into many calls through every layer
        const y = this.trunk.predict(tf.tensor3d(x, [n, this.window, this.cols]), { batchSize: n }) as tf.Tensor;
        this.rows.set(y.dataSync() as Float32Array);
      });
    }
    this.matrix = all;
    this.start = t;
    this.end = t + n;
  }

  dispose(): void {
    this.folded?.dispose();
  }
}

/** The feature trunk of `model` as a model of its own: features input → the input of the trunk_state concatenation. */
export function trunkModel(model: tf.LayersModel, concat = model.getLayer('trunk_state')): tf.LayersModel {
  return tf.model({ inputs: model.inputs[0], outputs: concat.inboundNodes[0].inputTensors[0] });
}

/**
 * Why `model` has no trunk the cache can batch, or undefined when it has: inputs [features [window, cols], state],
 * a Concatenate named 'trunk_state', and heads named value / policy that are dense layers reading it directly.
 */
export function trunkCacheUnsupported(model: tf.LayersModel): string | undefined {
  if (model.inputs.length !== 2 || model.inputs[0].shape.length !== 3) return 'not a [window, features] + state net';
  const graph = readGraph(model);
  const concat = graph.layers.find((l) => l.name === 'trunk_state');
  if (!concat || concat.cls !== 'Concatenate') return 'no trunk_state concatenation';
  const outputs = new Set(model.outputs.map((o) => o.sourceLayer));
  for (const head of graph.layers.filter((l) => outputs.has(l.layer))) {
    if (head.name !== 'value' && head.name !== 'policy') return `output ${head.name} is neither value nor policy`;
    if (head.cls !== 'Dense' || head.inbound[0] !== concat.layer) return `head ${head.name} is not dense on the trunk`;
    const why = unsupportedBy('trunk-heads', head);
    if (why) return why;
  }
  return undefined;
}
