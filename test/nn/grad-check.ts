/**
 * Shared by the block trainer's tests against tfjs's own gradients: an SGD that records every gradient it is given,
 * the mean-squared-error loss in both forms, and a closeness check relative to the largest value.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { ArrayGradient, ArrayGradientOptimizer, GradientOptimizer } from '../../src/nn/adam.ts';
import type { LossGradient } from '../../src/nn/block-trainer.ts';
import type { AgentNet } from '../../src/nn/agent-net.ts';
import type { HeadOutputs } from '../../src/nn/head-outputs.ts';

export const LR = 0.05;

/** Plain SGD that also records every gradient it was given, by variable name, per step. */
export class RecordingSgd implements GradientOptimizer, ArrayGradientOptimizer {
  readonly steps: Map<string, Float32Array>[] = [];

  applyGradients(grads: tf.NamedTensorMap): void {
    const registered = tf.engine().registeredVariables;
    this.applyGradientArrays(
      Object.keys(grads).map((name) => ({
        variable: registered[name],
        grad: grads[name].dataSync().slice() as Float32Array,
      })),
    );
  }

  applyGradientArrays(entries: readonly ArrayGradient[]): void {
    const step = new Map<string, Float32Array>();
    for (const { variable, grad } of entries) {
      step.set(variable.name.replace(/_\d+$/, ''), Float32Array.from(grad));
      const x = variable.dataSync() as Float32Array;
      const next = x.map((v, i) => v - LR * grad[i]);
      tf.tidy(() => variable.assign(tf.tensor(next, variable.shape)));
    }
    this.steps.push(step);
  }

  dispose(): void {}
}

/** The mean square of both heads' outputs (an MSE toward zero): a loss that needs no targets. */
export const squared: LossGradient = (out, grad) => {
  let loss = 0;
  for (const head of ['value', 'policy'] as const) {
    const o = out[head]!,
      g = grad[head]!;
    for (let i = 0; i < o.length; i++) {
      g[i] = (2 * o[i]) / o.length;
      loss += (o[i] * o[i]) / o.length;
    }
  }
  return loss;
};

/** Mean squared error over every head, as tf.losses.meanSquaredError computes it per head, summed. */
export const mseGradient =
  (targets: HeadOutputs): LossGradient =>
  (out, grad) => {
    let loss = 0;
    for (const head of ['value', 'policy'] as const) {
      const o = out[head],
        g = grad[head],
        y = targets[head];
      if (!o || !g || !y) continue;
      let sum = 0;
      for (let i = 0; i < o.length; i++) {
        const d = o[i] - y[i];
        sum += d * d;
        g[i] = (2 * d) / o.length;
      }
      loss += sum / o.length;
    }
    return loss;
  };

export function tfLoss(net: AgentNet, inputs: tf.Tensor[], targets: HeadOutputs, n: number): () => tf.Scalar {
  return () => {
    const out = net.apply(inputs, true);
    let l = tf.scalar(0);
    if (out.value && targets.value)
      l = tf.add(l, tf.losses.meanSquaredError(tf.tensor2d(targets.value, [n, out.value.shape[1]]), out.value));
    if (out.policy && targets.policy)
      l = tf.add(l, tf.losses.meanSquaredError(tf.tensor2d(targets.policy, [n, out.policy.shape[1]]), out.policy));
    return l as tf.Scalar;
  };
}

export function weightsByName(model: tf.LayersModel): Map<string, Float32Array> {
  return new Map(model.weights.map((w) => [w.originalName, w.read().dataSync().slice() as Float32Array]));
}

export function assertClose(ours: Float32Array, theirs: Float32Array, what: string, rel = 2e-4): void {
  assert.equal(ours.length, theirs.length, `${what}: length`);
  let scale = 0;
  for (const v of theirs) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < ours.length; i++) {
    assert.ok(
      Math.abs(ours[i] - theirs[i]) <= rel * scale + 1e-6,
      `${what}[${i}]: ${ours[i]} vs ${theirs[i]} (largest |value| ${scale})`,
    );
  }
}
