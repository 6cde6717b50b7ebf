/**
 * Dropout with its own seeded generator. tfjs's Dropout draws its mask with tf.randomUniform, which fills the tensor
 * one alea() call at a time in JS and is seeded from Math.random: on RLTrader's DNN (dropout after every layer, 490
 * rows per fit) that was ~6 ms of every epoch, and runs with the same seed did not train the same. Here the mask
 * (0 or 1/(1 − rate), as tfjs computes it) comes from an xorshift32 stream seeded per layer, so a seed fixes the masks
 * too. Inference (and the fast forward) treat it as the identity. Registered for serialization so saved models load.
 */
import * as tf from '@tensorflow/tfjs';
import { dropoutMask } from './backend/elementwise-passes.ts';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export class SeededDropout extends tf.layers.Layer {
  static className = 'SeededDropout';
  readonly rate: number;
  readonly seed: number;
  private state: number;

  constructor(args: LayerArgs & { rate: number; seed: number }) {
    super(args);
    this.rate = Math.max(0, Math.min(1, args.rate));
    this.seed = args.seed >>> 0;
    this.state = this.seed | 0 || 1; // an int32 from the start (the loop keeps it one); xorshift never leaves 0
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate <= 0 || this.rate >= 1) return x;
    const mask = new Float32Array(x.size);
    this.fillMask(mask);
    return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape, 'float32')));
  }

  /**
   * The next training mask from this layer's stream: 0 or 1/(1 − rate) per value. The tfjs call and the JS trainer
   * (block-trainer.ts) both draw through here, so the two paths consume the same stream.
   */
  fillMask(mask: Float32Array): void {
    this.drawMask(mask, dropoutMask);
  }

  /** As fillMask, with the generator passed in (elementwise-passes.ts: the JS loop or its SIMD-module twin). */
  drawMask(
    mask: Float32Array,
    generate: (mask: Float32Array, state: number, threshold: number, scale: number) => number,
  ): void {
    const keep = 1 - this.rate;
    // keep probability resolved to 1/65536: two 16-bit draws per xorshift32 step
    this.state = generate(mask, this.state, Math.round(keep * 65536), 1 / keep);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

tf.serialization.registerClass(SeededDropout);

/**
 * A layer's dropout seed from the network seed and the layer name (FNV-1a), so every dropout layer draws its own
 * stream.
 */
export function dropoutSeed(networkSeed: number, layerName: string): number {
  let h = (0x811c9dc5 ^ networkSeed) >>> 0;
  for (let i = 0; i < layerName.length; i++) h = Math.imul(h ^ layerName.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
