/**
 * The one reader of a tfjs layer graph, and the one table of which layers and activations each execution engine runs
 * (issue 11: the JS forward, the folded trunk, the trunk cache's heads and the block trainer used to read the graph
 * four times with four lists). Each engine keeps only its structural rules (a batch norm right after a dense layer, a
 * chain, …) and asks `unsupportedBy` for the rest.
 */
import type * as tf from '@tensorflow/tfjs';

export type LayerConfig = Record<string, unknown>;

/**
 * The hand-written engines: `js-forward` one observation in plain JS (fast-forward.ts); `folded` a chain of dense or
 * conv1d blocks as batched fused products (folded-dense.ts); `trunk-heads` the dense heads the trunk cache runs per
 * step (trunk-cache.ts); `blocks` the block trainer's forward and backward (block-trainer.ts). tfjs runs everything.
 */
type Engine = 'js-forward' | 'folded' | 'trunk-heads' | 'blocks';

const ALL: readonly Engine[] = ['js-forward', 'folded', 'trunk-heads', 'blocks'];
const JS: readonly Engine[] = ['js-forward'];

/** Layer classes each engine runs (the identity at inference for the dropouts and noise layers). */
const LAYER_ENGINES: Readonly<Record<string, readonly Engine[]>> = {
  InputLayer: ALL,
  Dense: ALL,
  Conv1D: ['js-forward', 'folded', 'blocks'],
  BatchNormalization: ['js-forward', 'folded', 'blocks'],
  MaxPooling1D: ['js-forward', 'folded', 'blocks'],
  Flatten: ['js-forward', 'folded', 'blocks'],
  SeededDropout: ['js-forward', 'folded', 'blocks'],
  Dropout: ['js-forward', 'folded'],
  Concatenate: ['js-forward', 'blocks'],
  // cnnrnn's image trunk and recurrent part (issue 16): the block trainer's image and GRU blocks
  Conv2D: ['blocks'],
  MaxPooling2D: ['blocks'],
  AveragePooling2D: ['blocks'],
  FramesToBatch: ['blocks'],
  BatchToFrames: ['blocks'],
  GRU: ['js-forward', 'blocks'],
  AveragePooling1D: JS,
  LSTM: JS,
  SpatialDropout1D: JS,
  GaussianNoise: JS,
  GaussianDropout: JS,
  AlphaDropout: JS,
  Reshape: JS,
  Activation: JS,
  LeakyReLU: ['js-forward', 'blocks'],
  ReLU: ['js-forward', 'blocks'],
  ELU: JS,
  Softmax: JS,
};

/** Activations each engine applies (a layer's `activation`, and an LSTM/GRU's `recurrentActivation`). */
export const ACTIVATION_ENGINES: Readonly<Record<string, readonly Engine[]>> = {
  linear: ALL,
  relu: ['js-forward', 'folded', 'blocks'],
  sigmoid: ['js-forward', 'folded', 'blocks'],
  tanh: ['js-forward', 'folded', 'blocks'],
  softmax: ['js-forward', 'trunk-heads', 'blocks'],
  relu6: JS,
  // the LeakyReLU layer's; a dense or convolution layer with this activation is refused by the block parser
  leakyRelu: ['js-forward', 'blocks'],
  hardSigmoid: JS,
  elu: JS,
  selu: JS,
  softplus: JS,
  softsign: JS,
  swish: JS,
};

/** What the backend's fused matrix product applies itself; the others run as a pass after a linear product. */
export const FUSED_ACTIVATIONS: ReadonlySet<string> = new Set(['linear', 'relu', 'sigmoid']);

/** One layer as every engine reads it. */
interface GraphLayer {
  layer: tf.layers.Layer;
  name: string;
  cls: string;
  cfg: LayerConfig;
  /** The layer's activation ('linear' when it has none). */
  activation: string;
  /** The layers its (first) call reads. */
  inbound: tf.layers.Layer[];
  /** Called more than once (shared weights): no hand-written engine covers that. */
  reused: boolean;
}

export interface Graph {
  model: tf.LayersModel;
  /** In the model's topological order. */
  layers: GraphLayer[];
}

function activationOf(cls: string, cfg: LayerConfig): string {
  if (cls === 'LeakyReLU') return 'leakyRelu';
  if (cls === 'ReLU') return 'relu';
  if (cls === 'ELU') return 'elu';
  if (cls === 'Softmax') return 'softmax';
  return typeof cfg.activation === 'string' ? cfg.activation : 'linear';
}

/** Reads `model`'s layers once: class, config, activation, inbound layers. */
export function readGraph(model: tf.LayersModel): Graph {
  return {
    model,
    layers: model.layers.map((layer) => {
      const cls = layer.getClassName();
      const cfg = layer.getConfig() as LayerConfig;
      return {
        layer,
        name: layer.name,
        cls,
        cfg,
        activation: activationOf(cls, cfg),
        inbound: cls === 'InputLayer' ? [] : (layer.inboundNodes[0]?.inboundLayers ?? []),
        reused: layer.inboundNodes.length > 1,
      };
    }),
  };
}

/** Why `engine` cannot run layer `l` by the table (class, activation), or undefined when it can. */
export function unsupportedBy(engine: Engine, l: GraphLayer): string | undefined {
  if (!LAYER_ENGINES[l.cls]?.includes(engine)) return `layer ${l.name} (${l.cls}) is not supported`;
  if (!ACTIVATION_ENGINES[l.activation]?.includes(engine))
    return `${l.cls.toLowerCase()} ${l.name} has activation ${l.activation}`;
  const recurrent = l.cfg.recurrentActivation;
  if (typeof recurrent === 'string' && !ACTIVATION_ENGINES[recurrent]?.includes(engine)) {
    return `${l.cls.toLowerCase()} ${l.name} has recurrent activation ${recurrent}`;
  }
  return undefined;
}
