/**
 * plan(model): one graph reader and one table decide the engines for single-step inference, batch inference and
 * training; the choice and the reasons for refusals are logged at debug level; a refusal falls back to tfjs (issue 11).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import winston from 'winston';
import Transport from 'winston-transport';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { buildNetwork, type NetworkSpec } from '../../src/nn/index.ts';
import { plan } from '../../src/nn/plan.ts';
import { ACTIVATION_ENGINES } from '../../src/nn/graph.ts';
import { AgentNet } from '../../src/nn/agent-net.ts';
import { BlockTrainer } from '../../src/nn/block-trainer.ts';
import { FoldedDense } from '../../src/nn/folded-dense.ts';
import { jsForward } from '../../src/nn/fast-forward.ts';
import { trunkModel } from '../../src/nn/trunk-cache.ts';
import { log, setLogger } from '../../src/core/log.ts';

before(async () => {
  await initBackend('wasm');
});

const base = { window: 6, features: 4, stateSize: 3, heads: { value: 1, policy: 3 }, seed: 3 };

function planOf(spec: Partial<NetworkSpec>, backend?: string) {
  const model = buildNetwork({ ...base, kind: 'dnn', ...spec } as NetworkSpec);
  try {
    return plan(model, backend);
  } finally {
    model.dispose();
  }
}

const CNNRNN: Partial<NetworkSpec> = {
  kind: 'cnnrnn',
  image: { frames: 2, height: 8, width: 6, channels: 1 },
  hidden: [2],
  rnnUnits: 3,
};

test('cnnrnn trains and acts on the hand-written image blocks only on wasm and cpu; a GPU backend keeps tfjs', () => {
  for (const backend of ['wasm', 'cpu']) {
    const p = planOf(CNNRNN, backend);
    assert.deepEqual([p.single, p.train], ['blocks', 'blocks'], backend);
  }
  for (const backend of ['tensorflow', 'webgl', 'webgpu']) {
    const p = planOf(CNNRNN, backend);
    assert.deepEqual([p.single, p.batch, p.train], ['tfjs', 'tfjs', 'tfjs'], backend);
    assert.match(p.refused.blocks ?? '', new RegExp(`backend ${backend} runs conv2d on its own kernels`));
    assert.equal(p.refused['single-blocks'], p.refused.blocks);
  }
  // the dense engines were measured on every backend and stay as they were
  assert.equal(planOf({ kind: 'dnn' }, 'tensorflow').train, 'blocks');
});

test('cnnrnn acts through the block engine, equal to model.predict', () => {
  const model = buildNetwork({ ...base, ...CNNRNN, heads: { value: 2, policy: 3 } } as NetworkSpec);
  const net = new AgentNet(model, { heads: { value: 2, policy: 3 } });
  try {
    assert.equal(net.plan.single, 'blocks');
    const images = Float32Array.from({ length: net.xSize }, (_, i) => Math.sin(i * 0.37));
    const state = Float32Array.from({ length: 3 }, (_, i) => i - 1);
    const obs = { t: 0, features: new Float32Array(0), images, state };
    const ours = net.forwardOne(obs as unknown as Parameters<AgentNet['forwardOne']>[0]);
    const [value, policy] = tf.tidy(() =>
      (model.predict([tf.tensor(images, [1, ...net.xShape]), tf.tensor2d(state, [1, 3])]) as tf.Tensor[]).map(
        (t) => t.dataSync() as Float32Array,
      ),
    );
    for (const [a, b] of [
      [ours.value!, value],
      [ours.policy!, policy],
    ])
      for (let i = 0; i < b.length; i++)
        assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(b[i])), `${a} vs ${b}`);
  } finally {
    net.dispose();
  }
});

test('dense and conv1d networks run on the hand-written engines; others say which layer kept them on tfjs', () => {
  for (const kind of ['dnn', 'cnn'] as const) {
    assert.deepEqual(planOf({ kind, batchNorm: true, dropout: 0.1 }), {
      single: 'js-forward',
      batch: 'trunk-cache+folded',
      train: 'blocks',
      refused: {},
    });
  }
  const lstm = planOf({ kind: 'lstm', hidden: [4] });
  assert.equal(lstm.single, 'js-forward');
  assert.equal(lstm.batch, 'trunk-cache+tfjs');
  assert.equal(lstm.train, 'tfjs');
  assert.match(lstm.refused.blocks ?? '', /\(LSTM\) is not supported/);
  assert.match(lstm.refused.folded ?? '', /\(LSTM\) is not supported/);
  const cnnrnn = planOf(CNNRNN);
  assert.deepEqual([cnnrnn.single, cnnrnn.batch, cnnrnn.train], ['blocks', 'tfjs', 'blocks']);
  assert.match(cnnrnn.refused['js-forward'] ?? '', /\(FramesToBatch\) is not supported/);
  const elu = planOf({ hidden: [5], activation: 'elu' });
  assert.deepEqual([elu.single, elu.batch, elu.train], ['js-forward', 'trunk-cache+tfjs', 'tfjs']);
  assert.match(elu.refused.blocks ?? '', /dense dense1 has activation elu/);
});

test('the activation table is what each engine runs: listed ones equal model.predict, others are refused', () => {
  for (const [activation, engines] of Object.entries(ACTIVATION_ENGINES)) {
    // a trunk of softmax layers is not a network anyone builds; leakyRelu is the LeakyReLU layer's, not a Dense option
    if (activation === 'softmax' || activation === 'leakyRelu') continue;
    const model = buildNetwork({ ...base, kind: 'dnn', hidden: [5], activation } as NetworkSpec);
    try {
      const p = plan(model);
      // what the table promises, each engine computes: equal to model.predict
      const n = 4;
      const x = Float32Array.from({ length: n * 24 }, (_, i) => Math.sin(i * 0.7));
      const state = Float32Array.from({ length: n * 3 }, (_, i) => Math.cos(i));
      const [value, policy, trunk] = tf.tidy(() => {
        const xs = [tf.tensor3d(x, [n, 6, 4]), tf.tensor2d(state, [n, 3])];
        const out = model.predict(xs) as tf.Tensor[];
        const t = trunkModel(model).predict(xs[0]) as tf.Tensor;
        return [out[0].dataSync() as Float32Array, out[1].dataSync() as Float32Array, t.dataSync() as Float32Array];
      });
      const close = (a: Float32Array, b: Float32Array, what: string) => {
        for (let i = 0; i < b.length; i++)
          assert.ok(Math.abs(a[i] - b[i]) <= 1e-4 * (1 + Math.abs(b[i])), `${what} × ${activation}[${i}]`);
      };
      const trainer = BlockTrainer.tryCreate(model);
      assert.equal(trainer !== undefined, engines.includes('blocks'), `blocks × ${activation}`);
      assert.equal(p.train === 'blocks', engines.includes('blocks'), `plan train × ${activation}`);
      if (trainer) close(trainer.predict(x, state, n).value!, value, 'blocks');
      const folded = FoldedDense.tryCreate(trunkModel(model));
      assert.equal(folded !== undefined, engines.includes('folded'), `folded × ${activation}`);
      assert.equal(p.batch === 'trunk-cache+folded', engines.includes('folded'), `plan batch × ${activation}`);
      if (folded) close(folded.predict(x, n, new Float32Array(trunk.length)), trunk, 'folded');
      folded?.dispose();
      assert.ok(engines.includes('js-forward'));
      assert.equal(p.single, 'js-forward');
      const single = jsForward(model).predict(x.subarray(0, 24), state.subarray(0, 3));
      close(single.value!, value.subarray(0, 1), 'js-forward value');
      close(single.policy!, policy.subarray(0, 3), 'js-forward policy');
    } finally {
      model.dispose();
    }
  }
  const unlisted = buildNetwork({ ...base, kind: 'dnn', hidden: [5], activation: 'mish' } as NetworkSpec);
  try {
    const p = plan(unlisted);
    assert.deepEqual([p.single, p.batch, p.train], ['tfjs', 'trunk-cache+tfjs', 'tfjs']);
    assert.equal(p.refused['js-forward'], 'dense dense1 has activation mish');
  } finally {
    unlisted.dispose();
  }
});

class Capture extends Transport {
  readonly lines: string[] = [];
  override log(info: { level: string; message: unknown }, next: () => void): void {
    this.lines.push(`${info.level} ${String(info.message)}`);
    next();
  }
}

test('the choice is logged at debug level once per network, and a refusal falls back to tfjs with its reason', () => {
  const previous = log();
  const capture = new Capture();
  setLogger(winston.createLogger({ level: 'debug', transports: [capture] }));
  const net = new AgentNet(buildNetwork({ ...base, kind: 'dnn', hidden: [5] } as NetworkSpec), { heads: base.heads });
  try {
    assert.deepEqual(capture.lines, [
      'debug network dnn: single js-forward, batch trunk-cache+folded, training blocks',
    ]);
    assert.ok(net.blockTrainer());
    net.useTape('no hand-derived gradient');
    assert.equal(net.plan.train, 'tfjs');
    assert.equal(net.plan.refused.blocks, 'no hand-derived gradient');
    assert.match(capture.lines[1], /^debug network dnn: blocks refused \(no hand-derived gradient\), tfjs instead$/);
  } finally {
    net.dispose();
    setLogger(previous);
  }
});
