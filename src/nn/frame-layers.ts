/**
 * Two reshape layers that let ordinary 2-D layers run on every image of a sequence: [batch, frames, h, w, c] →
 * [batch·frames, h, w, c] and back. tfjs's TimeDistributed loops over frames with a rank-5 Transpose that the wasm
 * backend runs very slowly (measured: 1.4 s of 2 s for a predict of 8 sequences of 5 images of 64×60); a reshape is
 * free.
 * Registered for serialization so saved cnnrnn models load.
 */
import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function shapeOf(s: tf.Shape | tf.Shape[]): tf.Shape {
  return (Array.isArray(s[0]) ? s[0] : s) as tf.Shape;
}

/** [batch, frames, …] → [batch·frames, …] */
export class FramesToBatch extends tf.layers.Layer {
  static className = 'FramesToBatch';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [null, ...shapeOf(inputShape).slice(2)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    return tf.reshape(x, [-1, ...x.shape.slice(2)]);
  }
}

/** [batch·frames, …] → [batch, frames, …] */
export class BatchToFrames extends tf.layers.Layer {
  static className = 'BatchToFrames';
  readonly frames: number;

  constructor(args: LayerArgs & { frames: number }) {
    super(args);
    this.frames = args.frames;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [null, this.frames, ...shapeOf(inputShape).slice(1)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    return tf.reshape(x, [-1, this.frames, ...x.shape.slice(1)]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), frames: this.frames };
  }
}

tf.serialization.registerClass(FramesToBatch);
tf.serialization.registerClass(BatchToFrames);
