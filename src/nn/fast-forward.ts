/**
 * A single-observation forward pass in plain JS loops. tfjs pays ~0.14 ms of dispatch per predict even for tiny
 * networks; an RL step needs one forward pass, so learners call this instead. Weights are copied into Float32Arrays by
 * `sync()` (call it after every training step or epoch that changed them); every buffer is allocated once.
 * Inference semantics: batch norm uses its moving statistics, dropout is the identity.
 */
import * as tf from '@tensorflow/tfjs';
import type { NetworkSpec } from './spec.ts';
import {
  type Buf,
  type Run,
  type LayerConfig,
  size,
  outputShape,
  activationFn,
  WeightTable,
  dense,
  batchNorm,
  recurrent,
  conv1d,
  pool1d,
  concatenate,
} from './fast-forward-layers.ts';

export interface FastForward {
  /**
   * One observation: `input` is the [window, features] rows (row-major) or, for cnnrnn, the image sequence;
   * `state` the agent state (or undefined when the spec has none). The returned arrays are reused by the next call.
   */
  predict(input: Float32Array, state: Float32Array | undefined): { value?: Float32Array; policy?: Float32Array };
  /** Re-reads the weights from the model (after training). */
  sync(): void;
  dispose(): void;
}

const IDENTITY = new Set([
  'Dropout',
  'SeededDropout',
  'SpatialDropout1D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'Flatten',
  'Reshape',
]);

/** Plain-JS forward pass over a functional model of supported layers, in its topological order. */
class JsForward implements FastForward {
  private readonly runs: Run[] = [];
  private readonly refreshers: (() => void)[] = [];
  private readonly weights = new WeightTable();
  private readonly inputs: Buf[];
  private readonly result: { value?: Float32Array; policy?: Float32Array } = {};

  constructor(model: tf.LayersModel) {
    const bufs = new Map<string, Buf>();
    for (const layer of model.layers) {
      const cls = layer.getClassName();
      const cfg = layer.getConfig() as LayerConfig;
      const shape = outputShape(layer);
      if (cls === 'InputLayer') {
        bufs.set(layer.name, { data: new Float32Array(size(shape)), shape });
        continue;
      }
      const node = layer.inboundNodes[0];
      const ins = node.inboundLayers.map((l) => {
        const b = bufs.get(l.name);
        if (!b) throw new Error(`fast forward: layer ${layer.name} reads ${l.name} before it is computed`);
        return b;
      });
      if (IDENTITY.has(cls)) {
        bufs.set(layer.name, { data: ins[0].data, shape });
        continue;
      }
      const y: Buf = { data: new Float32Array(size(shape)), shape };
      bufs.set(layer.name, y);
      const x = ins[0];
      const w = this.weights.take(layer);
      switch (cls) {
        case 'Dense':
          this.runs.push(dense(cfg, w, layer.name, x, y));
          break;
        case 'BatchNormalization': {
          const bn = batchNorm(cfg, w, layer.name, x, y);
          this.runs.push(bn.run);
          this.refreshers.push(bn.refresh);
          break;
        }
        case 'LSTM':
        case 'GRU':
          this.runs.push(recurrent(cls, cfg, w, layer.name, x, y));
          break;
        case 'Conv1D':
          this.runs.push(conv1d(cfg, w, layer.name, x, y));
          break;
        case 'MaxPooling1D':
        case 'AveragePooling1D':
          this.runs.push(pool1d(cls === 'MaxPooling1D', cfg, layer.name, x, y));
          break;
        case 'Concatenate':
          this.runs.push(concatenate(cfg, layer.name, ins, y));
          break;
        case 'Activation':
        case 'LeakyReLU':
        case 'ReLU':
        case 'ELU':
        case 'Softmax': {
          const name =
            cls === 'Activation'
              ? String(cfg.activation)
              : cls === 'LeakyReLU'
                ? 'leakyRelu'
                : cls === 'ReLU'
                  ? 'relu'
                  : cls === 'ELU'
                    ? 'elu'
                    : 'softmax';
          if (cls === 'ReLU' && cfg.maxValue != null)
            throw new Error(`fast forward: ReLU ${layer.name} with maxValue is not supported`);
          const act = activationFn(name, layer.name, (cfg.alpha as number | undefined) ?? 0.3);
          const last = shape[shape.length - 1];
          this.runs.push(() => {
            y.data.set(x.data);
            act(y.data, y.data.length, last);
          });
          break;
        }
        default:
          throw new Error(`fast forward: layer ${layer.name} (${cls}) is not supported`);
      }
    }
    this.inputs = model.inputLayers.map((l) => bufs.get(l.name)!);
    for (const out of model.outputLayers) {
      const buf = bufs.get(out.name)!.data;
      if (out.name === 'value') this.result.value = buf;
      else if (out.name === 'policy') this.result.policy = buf;
      else throw new Error(`fast forward: output layer ${out.name} is neither 'value' nor 'policy'`);
    }
    this.sync();
  }

  predict(input: Float32Array, state: Float32Array | undefined): { value?: Float32Array; policy?: Float32Array } {
    setInput(this.inputs, input, state);
    for (const run of this.runs) run();
    return this.result;
  }

  sync(): void {
    this.weights.sync();
    for (const r of this.refreshers) r();
  }

  dispose(): void {}
}

function setInput(inputs: Buf[], input: Float32Array, state: Float32Array | undefined): void {
  const main = inputs[0].data;
  if (input.length !== main.length)
    throw new Error(`fast forward: input has ${input.length} values, the network wants ${main.length}`);
  main.set(input);
  if (inputs.length > 1) {
    const st = inputs[1].data;
    if (!state || state.length !== st.length)
      throw new Error(`fast forward: state has ${state?.length ?? 0} values, the network wants ${st.length}`);
    st.set(state);
  }
}

/** model.predict under the same interface, for networks the JS pass does not cover (cnnrnn). */
class TfForward implements FastForward {
  private readonly shapes: number[][];
  private readonly inputs: Buf[];
  private readonly names: string[];
  private readonly result: { value?: Float32Array; policy?: Float32Array } = {};

  constructor(private readonly model: tf.LayersModel) {
    this.shapes = model.inputLayers.map((l) => outputShape(l));
    this.inputs = this.shapes.map((s) => ({ data: new Float32Array(size(s)), shape: s }));
    this.names = model.outputLayers.map((l) => l.name);
    for (const l of model.outputLayers) {
      const buf = new Float32Array(size(outputShape(l)));
      if (l.name === 'value') this.result.value = buf;
      else if (l.name === 'policy') this.result.policy = buf;
    }
  }

  predict(input: Float32Array, state: Float32Array | undefined): { value?: Float32Array; policy?: Float32Array } {
    setInput(this.inputs, input, state);
    tf.tidy(() => {
      const xs = this.inputs.map((b) => tf.tensor(b.data, [1, ...b.shape]));
      const out = this.model.predict(xs.length === 1 ? xs[0] : xs);
      const outs = Array.isArray(out) ? out : [out];
      outs.forEach((t, i) => {
        const target = this.names[i] === 'value' ? this.result.value : this.result.policy;
        target?.set(t.dataSync() as Float32Array);
      });
    });
    return this.result;
  }

  sync(): void {}
  dispose(): void {}
}

/**
 * Compiles the fast single-observation pass for a network built by buildNetwork. cnnrnn falls back to model.predict
 * (its 2-D convolutions are not worth hand-writing for the step cost they have).
 */
export function compileFastForward(model: tf.LayersModel, spec: NetworkSpec): FastForward {
  return spec.kind === 'cnnrnn' ? new TfForward(model) : new JsForward(model);
}
