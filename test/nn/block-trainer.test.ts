/**
 * The JS trainer (src/nn/block-trainer.ts) against tfjs's own gradients: two copies of a network with the
 * same seed, one stepped through tf.variableGrads on model.apply(training: true), one through BlockTrainer, plain SGD
 * on both so the weights stay comparable; every gradient, the loss, the moving statistics and the dropout streams
 * must agree step after step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { clipByGlobalNorm } from '../../src/nn/clip-norm.ts';
import { buildNetwork, type NetworkSpec } from '../../src/nn/index.ts';
import { BlockTrainer, blockTrainerUnsupported } from '../../src/nn/block-trainer.ts';
import { AgentNet, trainStep } from '../../src/nn/agent-net.ts';
import type { HeadOutputs } from '../../src/nn/head-outputs.ts';
import { Rng } from '../../src/core/random.ts';
import { RecordingSgd, assertClose, mseGradient, tfLoss, weightsByName } from './grad-check.ts';

await initBackend('wasm');

function randomArray(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

const CNNRNN: NetworkSpec = {
  kind: 'cnnrnn',
  window: 0,
  features: 0,
  image: { frames: 3, height: 9, width: 17, channels: 2 },
  hidden: [4, 3],
  rnnUnits: 5,
  embedding: 6,
  stateSize: 2,
  heads: { value: 3, policy: 3 },
  seed: 5,
};

const CASES: { title: string; spec: NetworkSpec }[] = [
  {
    title: "RLTrader's DNN (sigmoid, batch norm, dropout, state, value head)",
    spec: { kind: 'dnn', window: 1, features: 15, stateSize: 3, heads: { value: 3 }, seed: 7 },
  },
  {
    title: 'relu, window 2, no batch norm, no dropout, value and softmax policy heads',
    spec: {
      kind: 'dnn',
      window: 2,
      features: 6,
      stateSize: 2,
      heads: { value: 1, policy: 3 },
      hidden: [16, 8],
      activation: 'relu',
      batchNorm: false,
      dropout: 0,
      seed: 3,
    },
  },
  {
    title: "RLTrader's CNN (conv1d, batch norm, max-pool, dropout; value and policy heads)",
    spec: { kind: 'cnn', window: 5, features: 15, stateSize: 3, heads: { value: 3, policy: 3 }, seed: 9 },
  },
  {
    title: 'cnn, relu, window 9, three blocks, no batch norm',
    spec: {
      kind: 'cnn',
      window: 9,
      features: 4,
      stateSize: 2,
      heads: { value: 3 },
      hidden: [8, 8, 4],
      activation: 'relu',
      batchNorm: false,
      dropout: 0.2,
      seed: 12,
    },
  },
  {
    title: 'tanh, batch norm, heavy dropout, no state',
    spec: {
      kind: 'dnn',
      window: 1,
      features: 5,
      stateSize: 0,
      heads: { value: 3 },
      hidden: [12],
      activation: 'tanh',
      dropout: 0.4,
      seed: 11,
    },
  },
  {
    title: 'cnnrnn (conv2d, batch norm, leaky ReLU, max-pool per frame; dropout, dense embedding, GRU; two heads)',
    spec: CNNRNN,
  },
  {
    // without batch norm the image block's backward pass must not read its scale buffers from an earlier step
    title: 'cnnrnn without batch norm (conv2d, relu, two frames; one value head)',
    spec: {
      ...CNNRNN,
      image: { ...CNNRNN.image!, frames: 2 },
      activation: 'relu',
      batchNorm: false,
      dropout: 0,
      rnnUnits: 3,
      embedding: 4,
      stateSize: 1,
      heads: { value: 3 },
    },
  },
];

for (const [backend, passes] of [
  ['wasm', 'auto'],
  ['wasm', 'js'],
  ['cpu', 'auto'],
] as const) {
  for (const { title, spec } of CASES) {
    test(`BlockTrainer equals tf gradients step for step: ${title} (${backend}, ${passes} passes)`, async () => {
      await tf.setBackend(backend);
      const viaTf = new AgentNet(buildNetwork(spec), { heads: spec.heads });
      const viaJs = new AgentNet(buildNetwork(spec), { heads: spec.heads });
      const trainer = BlockTrainer.tryCreate(viaJs.model, { passes });
      assert.ok(trainer, blockTrainerUnsupported(viaJs.model));
      assert.equal(trainer.passes.name, passes === 'js' ? 'js' : 'wasm-simd');
      const tfSgd = new RecordingSgd();
      const jsSgd = new RecordingSgd();
      const rng = new Rng(spec.seed);
      const before = tf.memory().numTensors;
      try {
        for (let step = 0; step < 3; step++) {
          const n = 40 + step * 7;
          const x = randomArray(n * viaJs.xSize, rng);
          const state = randomArray(n * spec.stateSize, rng);
          const targets: HeadOutputs = {};
          if (spec.heads.value) targets.value = randomArray(n * spec.heads.value, rng);
          if (spec.heads.policy)
            targets.policy = Float32Array.from({ length: n * spec.heads.policy }, () => rng.next());
          const inputs = viaTf.tensors(x, state, n);
          const tfLossValue = trainStep(viaTf, tfSgd, tfLoss(viaTf, inputs, targets, n));
          tf.dispose(inputs);
          const jsLossValue = trainer.step(x, state, n, mseGradient(targets), jsSgd);
          assert.ok(
            Math.abs(jsLossValue - tfLossValue) <= 1e-4 * Math.abs(tfLossValue),
            `step ${step} loss: ${jsLossValue} vs ${tfLossValue}`,
          );
          const theirs = tfSgd.steps[step];
          const ours = jsSgd.steps[step];
          assert.deepEqual(
            [...ours.keys()].sort(),
            [...theirs.keys()].sort(),
            'the same trainable variables get gradients',
          );
          for (const [name, g] of theirs) assertClose(ours.get(name)!, g, `step ${step} gradient of ${name}`);
        }
        const tfWeights = weightsByName(viaTf.model);
        const jsWeights = weightsByName(viaJs.model);
        // moving mean and variance included: both paths update them in the training forward pass
        for (const [name, w] of tfWeights) assertClose(jsWeights.get(name)!, w, `weight ${name} after 3 steps`);
        // inference through the same blocks: batch norm from the moving statistics, no dropout
        const n = 30;
        const x = randomArray(n * viaJs.xSize, rng);
        const state = randomArray(n * spec.stateSize, rng);
        const ours = trainer.predict(x, state, n);
        const theirs = viaJs.forward(x, state, n);
        if (theirs.value) assertClose(ours.value!, theirs.value, 'predict value', 1e-4);
        if (theirs.policy) assertClose(ours.policy!, theirs.policy, 'predict policy', 1e-4);
        assert.equal(tf.memory().numTensors, before, 'no tensor outlives a step');
      } finally {
        viaTf.dispose();
        viaJs.dispose();
        await tf.setBackend('wasm');
      }
    });
  }
}

test('clipping by global norm on the JS path equals trainStep clipping', () => {
  const spec: NetworkSpec = {
    kind: 'dnn',
    window: 2,
    features: 5,
    stateSize: 3,
    heads: { value: 3 },
    hidden: [16, 8],
    activation: 'relu',
    batchNorm: false,
    dropout: 0,
    seed: 21,
  };
  const viaTf = new AgentNet(buildNetwork(spec), { heads: spec.heads });
  const viaJs = new AgentNet(buildNetwork(spec), { heads: spec.heads });
  const trainer = BlockTrainer.tryCreate(viaJs.model)!;
  const tfSgd = new RecordingSgd();
  const jsSgd = new RecordingSgd();
  const rng = new Rng(4);
  try {
    const n = 32;
    const x = randomArray(n * viaJs.xSize, rng);
    const state = randomArray(n * spec.stateSize, rng);
    const targets: HeadOutputs = { value: Float32Array.from({ length: n * 3 }, () => 10 * rng.normal()) };
    const inputs = viaTf.tensors(x, state, n);
    trainStep(viaTf, tfSgd, tfLoss(viaTf, inputs, targets, n), 0.05);
    tf.dispose(inputs);
    trainer.step(x, state, n, mseGradient(targets), clipByGlobalNorm(jsSgd, 0.05));
    let norm = 0;
    for (const g of jsSgd.steps[0].values()) for (const v of g) norm += v * v;
    assert.ok(Math.abs(Math.sqrt(norm) - 0.05) < 1e-4, `clipped to the norm (${Math.sqrt(norm)})`);
    for (const [name, g] of tfSgd.steps[0]) assertClose(jsSgd.steps[0].get(name)!, g, `clipped gradient of ${name}`);
  } finally {
    viaTf.dispose();
    viaJs.dispose();
  }
});

test('BlockTrainer declines networks it does not cover, so learners keep the tfjs path', () => {
  const model = buildNetwork({ kind: 'lstm', window: 8, features: 4, stateSize: 2, heads: { value: 3 }, seed: 1 });
  try {
    assert.equal(BlockTrainer.tryCreate(model), undefined);
    assert.match(blockTrainerUnsupported(model) ?? '', /\(LSTM\) is not supported/);
  } finally {
    model.dispose();
  }
});

test('BlockTrainer equals tf gradients on edge batches: 1 or 2 rows, zero inputs, 1 candle or 1 frame', () => {
  const specs: NetworkSpec[] = [
    { kind: 'dnn', window: 1, features: 5, stateSize: 2, heads: { value: 3, policy: 3 }, hidden: [6, 4], seed: 7 },
    { kind: 'cnn', window: 1, features: 4, stateSize: 2, heads: { value: 3 }, hidden: [4], seed: 3 },
    { kind: 'cnn', window: 3, features: 4, stateSize: 2, heads: { value: 3, policy: 3 }, hidden: [4, 3], seed: 3 },
    {
      kind: 'cnnrnn',
      window: 0,
      features: 0,
      image: { frames: 1, height: 5, width: 4, channels: 1 },
      hidden: [2],
      rnnUnits: 3,
      embedding: 4,
      stateSize: 2,
      heads: { value: 3, policy: 3 },
      seed: 5,
    },
  ];
  for (const spec of specs)
    for (const n of [1, 2])
      for (const zero of [false, true]) {
        const what = `${spec.kind} window ${spec.window}, ${n} row(s)${zero ? ', zero inputs' : ''}`;
        const viaTf = new AgentNet(buildNetwork(spec), { heads: spec.heads });
        const viaJs = new AgentNet(buildNetwork(spec), { heads: spec.heads });
        const trainer = BlockTrainer.tryCreate(viaJs.model);
        assert.ok(trainer, blockTrainerUnsupported(viaJs.model));
        const tfSgd = new RecordingSgd();
        const jsSgd = new RecordingSgd();
        const rng = new Rng(1);
        try {
          for (let step = 0; step < 2; step++) {
            const x = zero ? new Float32Array(n * viaJs.xSize) : randomArray(n * viaJs.xSize, rng);
            const state = zero ? new Float32Array(n * spec.stateSize) : randomArray(n * spec.stateSize, rng);
            const targets: HeadOutputs = { value: randomArray(n * 3, rng) };
            if (spec.heads.policy) targets.policy = Float32Array.from({ length: n * 3 }, () => rng.next());
            const inputs = viaTf.tensors(x, state, n);
            const theirLoss = trainStep(viaTf, tfSgd, tfLoss(viaTf, inputs, targets, n));
            tf.dispose(inputs);
            const ourLoss = trainer.step(x, state, n, mseGradient(targets), jsSgd);
            assert.ok(Math.abs(ourLoss - theirLoss) <= 1e-4 * Math.abs(theirLoss) + 1e-6, `${what}: loss`);
            // a batch of one or of zeros has gradients that are 0 in exact arithmetic (a bias before batch norm):
            // float32 leaves ~1e-6 of noise on tfjs's side, so the tolerance is relative to the step's largest gradient
            let scale = 0;
            for (const g of tfSgd.steps[step].values()) for (const v of g) scale = Math.max(scale, Math.abs(v));
            for (const [name, g] of tfSgd.steps[step]) {
              const ours = jsSgd.steps[step].get(name)!;
              for (let i = 0; i < g.length; i++)
                assert.ok(
                  Math.abs(ours[i] - g[i]) <= 2e-4 * scale + 1e-6,
                  `${what}, step ${step}, ${name}[${i}]: ${ours[i]} vs ${g[i]}`,
                );
            }
          }
        } finally {
          viaTf.dispose();
          viaJs.dispose();
        }
      }
});
