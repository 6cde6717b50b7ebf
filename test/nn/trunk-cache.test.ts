/**
 * The trunk cache (batched trunk, JS heads per step; dense trunks with batch norm folded into the weights) against
 * the model itself: every step's outputs equal model.predict on that observation, also after the weights and the
 * batch-norm statistics change and sync() is called.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildNetwork, type NetworkSpec } from '../../src/nn/index.ts';
import { FoldedDense } from '../../src/nn/folded-dense.ts';
import { AgentNet } from '../../src/nn/agent-net.ts';
import type { Observation } from '../../src/core/policy.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { Rng } from '../../src/core/random.ts';
import { label, lossOf, randomBatch } from './helpers.ts';

await initBackend('wasm');

/** A few training steps so batch-norm statistics and weights are no longer their initial constants. */
function train(model: tf.LayersModel, spec: NetworkSpec, steps: number, seed: number): void {
  const { xs, ys } = randomBatch(spec, 16, seed);
  const opt = tf.train.adam(0.05);
  for (let i = 0; i < steps; i++) tf.tidy(() => void opt.minimize(() => lossOf(model, xs, ys, true)));
  tf.dispose([...xs, ...ys]);
  opt.dispose();
}

/** Observations cut from one feature matrix, as ObservationBuilder makes them (the cache reads the matrix). */
function observations(spec: NetworkSpec, count: number, seed: number): Observation[] {
  const rng = new Rng(seed);
  const rows = count + spec.window;
  const data = Float32Array.from({ length: rows * spec.features }, () => rng.normal());
  const featureRows = { data, cols: spec.features };
  const out: Observation[] = [];
  for (let t = spec.window - 1; t < spec.window - 1 + count; t++) {
    out.push({
      t,
      candles: undefined as never,
      features: data.subarray((t - spec.window + 1) * spec.features, (t + 1) * spec.features),
      featureRows,
      window: spec.window,
      cols: spec.features,
      state: Float32Array.from({ length: spec.stateSize }, () => rng.normal()),
    });
  }
  return out;
}

function predictOne(net: AgentNet, obs: Observation): Float32Array[] {
  const out = net.forward(obs.features, obs.state, 1);
  return [out.value, out.policy].filter((a): a is Float32Array => a !== undefined);
}

const variants: NetworkSpec[] = [
  // RLTrader's DNN: folded batch norms
  { kind: 'dnn', window: 1, features: 15, stateSize: 3, heads: { value: 3 }, seed: 2 },
  {
    kind: 'dnn',
    window: 3,
    features: 4,
    stateSize: 2,
    heads: { value: 1, policy: 3 },
    hidden: [9, 6],
    activation: 'tanh',
    seed: 3,
  },
  {
    kind: 'dnn',
    window: 2,
    features: 4,
    stateSize: 2,
    heads: { value: 3 },
    hidden: [8, 5],
    activation: 'relu',
    batchNorm: false,
    seed: 4,
  },
  // RLTrader's CNN: conv1d blocks with batch norm before pooling (applied, not folded)
  { kind: 'cnn', window: 5, features: 15, stateSize: 3, heads: { value: 3, policy: 3 }, seed: 6 },
  {
    kind: 'cnn',
    window: 9,
    features: 4,
    stateSize: 2,
    heads: { value: 3 },
    hidden: [6, 4, 4],
    activation: 'tanh',
    seed: 7,
  },
  // not a chain of dense or conv1d blocks: the cache runs the trunk through predict
  { kind: 'lstm', window: 6, features: 3, stateSize: 3, heads: { value: 3 }, hidden: [5, 4], seed: 5 },
];

for (const spec of variants) {
  test(`trunk cache equals model.predict step by step for ${label(spec)} \
${spec.hidden?.join('-') ?? ''}${spec.activation ? ` ${spec.activation}` : ''}`, () => {
    const net = new AgentNet(buildNetwork(spec), { heads: spec.heads });
    const before = tf.memory().numTensors;
    try {
      train(net.model, spec, 4, spec.seed);
      if (spec.kind !== 'lstm' && spec.batchNorm !== false) {
        // the folding is what this test is for: the statistics must be far from their initial 0 / 1
        const mv = net.model.weights.find((w) => w.originalName.endsWith('moving_variance'))!;
        assert.ok(
          Math.abs((mv.read().dataSync() as Float32Array)[0] - 1) > 1e-3,
          'training moved the batch-norm statistics',
        );
      }
      const obs = observations(spec, 700, spec.seed + 1);
      for (let round = 0; round < 2; round++) {
        net.setTrunkCache(true);
        for (const o of obs) {
          const cached = net.forwardOne(o);
          const expected = predictOne(net, o);
          const got = [cached.value, cached.policy].filter((a): a is Float32Array => a !== undefined);
          assert.equal(got.length, expected.length);
          got.forEach((g, k) => {
            for (let i = 0; i < g.length; i++) {
              assert.ok(
                Math.abs(g[i] - expected[k][i]) <= 1e-4 * (1 + Math.abs(expected[k][i])),
                `t ${o.t} output ${k}[${i}]: ${g[i]} vs ${expected[k][i]} (round ${round})`,
              );
            }
          });
        }
        net.setTrunkCache(false);
        // new weights and statistics: sync() must re-fold them
        train(net.model, spec, 2, spec.seed + 10 + round);
      }
      // the trunk (input → the concatenation with the state) is what the cache folds
      const concat = net.model.getLayer('trunk_state');
      const trunk = tf.model({ inputs: net.model.inputs[0], outputs: concat.inboundNodes[0].inputTensors[0] });
      const folded = FoldedDense.tryCreate(trunk);
      assert.equal(
        folded !== undefined,
        spec.kind !== 'lstm',
        'dense and conv1d trunks fold; others go through predict',
      );
      folded?.dispose();
    } finally {
      net.dispose();
    }
    assert.ok(tf.memory().numTensors <= before, 'the cache frees what it folded');
  });
}
