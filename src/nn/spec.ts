/** What a network looks like: the contract learners, model files and the fast forward pass share. */
export type NetworkKind = 'dnn' | 'lstm' | 'cnn' | 'cnnrnn';

export interface ImageShape {
  frames: number;
  height: number;
  width: number;
  channels: number;
}

export interface NetworkSpec {
  kind: NetworkKind;
  /** Feature input is [window, features]; the dnn flattens it. */
  window: number;
  features: number;
  /** cnnrnn input [frames, height, width, channels]. */
  image?: ImageShape;
  /** Agent state input, concatenated after the trunk (0 = no state input). */
  stateSize: number;
  /** Units of each head: value is linear, policy is a softmax; both = one shared trunk (actor-critic). */
  heads: { value?: number; policy?: number };
  /** The policy head's activation: softmax (default), or linear (a Gaussian's mean, e.g. the portfolio weights'). */
  policyActivation?: 'softmax' | 'linear';
  /**
   * Trunk widths. dnn: dense units per layer; lstm: units of each stacked recurrent layer; cnn: filters of each 1-D
   * convolution block; cnnrnn: filters of each 2-D convolution block applied to every image.
   */
  hidden?: number[];
  dropout?: number;
  batchNorm?: boolean;
  /** cnnrnn: units of the recurrent layer over the per-image embeddings. */
  rnnUnits?: number;
  /** cnnrnn: size of each image's embedding (a dense layer after the convolution blocks). */
  embedding?: number;
  /** Recurrent cell for lstm (default lstm) and cnnrnn (default gru). */
  rnn?: 'lstm' | 'gru';
  /** Activation of dense and 1-D convolution layers (cnnrnn blocks always use leaky ReLU). */
  activation?: string;
  seed: number;
}

/** A spec with every optional knob filled in. */
export interface ResolvedSpec extends NetworkSpec {
  hidden: number[];
  dropout: number;
  batchNorm: boolean;
  rnnUnits: number;
  embedding: number;
  rnn: 'lstm' | 'gru';
  activation: string;
}

type Knobs = Pick<ResolvedSpec, 'hidden' | 'dropout' | 'batchNorm' | 'rnnUnits' | 'embedding' | 'rnn' | 'activation'>;

const DEFAULTS: Record<NetworkKind, Knobs> = {
  // RLTrader's DNN: 256-128-64-32, batch norm and dropout after each layer, sigmoid.
  dnn: {
    hidden: [256, 128, 64, 32],
    dropout: 0.1,
    batchNorm: true,
    rnnUnits: 0,
    embedding: 0,
    rnn: 'lstm',
    activation: 'sigmoid',
  },
  lstm: {
    hidden: [64, 32],
    dropout: 0.1,
    batchNorm: true,
    rnnUnits: 0,
    embedding: 0,
    rnn: 'lstm',
    activation: 'sigmoid',
  },
  // RLTrader's "cnn": convolutions across time only (kernel 5), batch norm, max-pool 2, dropout.
  cnn: {
    hidden: [64, 32],
    dropout: 0.1,
    batchNorm: true,
    rnnUnits: 0,
    embedding: 0,
    rnn: 'lstm',
    activation: 'sigmoid',
  },
  // Jiang–Kelly–Xiu blocks (5×3 conv, batch norm, leaky ReLU, 2×1 max-pool) per image, a 64-wide embedding, a GRU.
  cnnrnn: {
    hidden: [8, 16],
    dropout: 0.1,
    batchNorm: true,
    rnnUnits: 32,
    embedding: 64,
    rnn: 'gru',
    activation: 'leakyRelu',
  },
};

export function resolveSpec(spec: NetworkSpec): ResolvedSpec {
  const d = DEFAULTS[spec.kind];
  if (!d) throw new Error(`unknown network kind '${String(spec.kind)}' (dnn, lstm, cnn, cnnrnn)`);
  const r: ResolvedSpec = {
    ...spec,
    hidden: spec.hidden ?? d.hidden,
    dropout: spec.dropout ?? d.dropout,
    batchNorm: spec.batchNorm ?? d.batchNorm,
    rnnUnits: spec.rnnUnits ?? d.rnnUnits,
    embedding: spec.embedding ?? d.embedding,
    rnn: spec.rnn ?? d.rnn,
    activation: spec.activation ?? d.activation,
  };
  validateSpec(r);
  return r;
}

function positiveInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

function validateSpec(s: ResolvedSpec): void {
  const bad = (what: string) => {
    throw new Error(`network spec: ${what}`);
  };
  if (s.kind === 'cnnrnn') {
    const im = s.image;
    if (!im || ![im.frames, im.height, im.width, im.channels].every(positiveInt))
      bad('cnnrnn needs image {frames, height, width, channels} as positive integers');
    if (!positiveInt(s.rnnUnits)) bad('rnnUnits must be a positive integer');
    if (!positiveInt(s.embedding)) bad('embedding must be a positive integer');
  } else if (!positiveInt(s.window) || !positiveInt(s.features)) bad('window and features must be positive integers');
  if (!Number.isInteger(s.stateSize) || s.stateSize < 0) bad('stateSize must be an integer ≥ 0');
  if (s.heads.value === undefined && s.heads.policy === undefined) bad('at least one head (value or policy) is needed');
  if (s.heads.value !== undefined && !positiveInt(s.heads.value)) bad('heads.value must be a positive integer');
  if (s.heads.policy !== undefined && !positiveInt(s.heads.policy)) bad('heads.policy must be a positive integer');
  if (!s.hidden.every(positiveInt)) bad('hidden sizes must be positive integers');
  if (!(s.dropout >= 0 && s.dropout < 1)) bad('dropout must be in [0, 1)');
  if (!Number.isInteger(s.seed)) bad('seed must be an integer');
}
