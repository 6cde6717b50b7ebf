/**
 * A training loss on a network's head outputs, given once by a learner (issue 11): as tfjs ops, which tfjs's tape
 * differentiates on any network, and optionally with its hand-derived gradient, which the block trainer needs
 * (tests check it against tf.grad of the ops). `observe` sees the head outputs the step computed, as arrays, for
 * training diagnostics.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LossGradient } from './block-trainer.ts';
import type { HeadOutputs, HeadTensors } from './head-outputs.ts';

export interface HeadLoss {
  /** The loss of the training-mode head outputs, as tfjs ops (called under the gradient tape; tensors freed after). */
  tf(out: HeadTensors): tf.Scalar;
  /** dLoss/d(outputs) by hand, for the block trainer; without it training runs on the tape. */
  grad?: LossGradient;
  /** The head outputs the step's forward pass computed (rows [0, n)), before the weights moved. */
  observe?(out: HeadOutputs, n: number): void;
}

/** What a training step reports besides the loss. */
export interface StepStats {
  /** Global L2 norm of the gradient over every trained variable, before clipping. */
  gradNorm: number;
}
