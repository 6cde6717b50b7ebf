/** Bench group: network forward and training step speed per network kind. */
import * as tf from '@tensorflow/tfjs';
import { buildNetwork, compileFastForward, plan, type NetworkSpec } from '../../nn/index.ts';
import { BlockTrainer, type LossGradient } from '../../nn/block-trainer.ts';
import { JsAdam } from '../../nn/adam.ts';
import { FrameCache } from '../../nn/frame-cache.ts';
import { helperReady } from '../../nn/conv-grad-helper.ts';
import { initBackend, type BackendName } from '../../nn/backend/backend.ts';
import { Rng } from '../../core/random.ts';
import type { BenchGroup, Figure } from '../table.ts';
import { imageRecipeFigures } from './image-recipes.ts';

const BATCH = 32;
/** cnnrnn's frames per observation in the bench. */
const FRAMES = 5;
/** Each timing runs until this much time has passed (at least one step after a warm-up step). */
const BUDGET_MS = 1500;

const heads = { value: 1, policy: 3 };
/** Default-sized networks as strategies use them: 28 RLTrader-style features, 3 agent-state values. */
const SPECS: { name: string; spec: NetworkSpec }[] = [
  { name: 'dnn 256-128-64-32 (1×28)', spec: { kind: 'dnn', window: 1, features: 28, stateSize: 3, heads, seed: 1 } },
  { name: 'lstm 64-32 (20×28)', spec: { kind: 'lstm', window: 20, features: 28, stateSize: 3, heads, seed: 1 } },
  { name: 'cnn 64-32 (20×28)', spec: { kind: 'cnn', window: 20, features: 28, stateSize: 3, heads, seed: 1 } },
  {
    name: 'cnnrnn 8-16 + gru 32 (5×64×60)',
    spec: {
      kind: 'cnnrnn',
      window: 0,
      features: 0,
      image: { frames: FRAMES, height: 64, width: 60, channels: 1 },
      stateSize: 3,
      heads,
      seed: 1,
    },
  },
];

function mainShape(spec: NetworkSpec): number[] {
  const im = spec.image;
  return im ? [im.frames, im.height, im.width, im.channels] : [spec.window, spec.features];
}

function randomTensor(shape: number[], rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return tf.tensor(a, shape);
}

/**
 * Mean milliseconds per call of `step`, after one warm-up call, within the time budget. When the warm-up alone took
 * longer than four budgets (cnnrnn training on cpu takes minutes) that one cold call is the figure, and `cold` says so.
 */
export function timeCalls(step: () => void, minCalls = 1, budgetMs = BUDGET_MS): { ms: number; cold: boolean } {
  const warm = performance.now();
  step();
  const warmMs = performance.now() - warm;
  if (warmMs > budgetMs * 4) return { ms: warmMs, cold: true };
  let calls = 0;
  const start = performance.now();
  while (calls < minCalls || performance.now() - start < budgetMs) {
    step();
    calls++;
  }
  return { ms: (performance.now() - start) / calls, cold: false };
}

/** `timeCalls`'s milliseconds, for figures whose note does not name a cold call. */
function timeIt(step: () => void, minCalls = 1): number {
  return timeCalls(step, minCalls).ms;
}

/** The note's words for a figure that is one cold call. */
export function coldNote(cold: boolean): string {
  return cold ? `; one cold call (over ${(BUDGET_MS * 4) / 1000} s, so not repeated), not a warm mean` : '';
}

/** The bench's loss on the block engine: squared error on value, and on the policy probabilities. */
const squaredLoss: LossGradient = (out, grad) => {
  let loss = 0;
  for (const head of ['value', 'policy'] as const) {
    const o = out[head],
      g = grad[head];
    if (!o || !g) continue;
    for (let i = 0; i < o.length; i++) {
      g[i] = (2 * o[i]) / o.length;
      loss += (o[i] * o[i]) / o.length;
    }
  }
  return loss;
};

interface Measured {
  trainSamplesPerSec: number;
  /** The training figure is one cold call (see timeCalls). */
  trainCold: boolean;
  predictMs: number;
  fastMs?: number;
  /** cnnrnn on the engines the plan picks (the block engine on wasm and cpu): training and one observation. */
  planned?: {
    train: string;
    trainSamplesPerSec: number;
    /** The same steps with the main thread alone (no helper thread for the widest block's weight gradient). */
    oneThreadSamplesPerSec: number;
    single: string;
    singleMs: number;
    /** One observation per candle, the frames shifting by one: the frame cache computes one new frame a call. */
    cachedMs: number;
  };
}

/** Training steps and single-observation inference on the block engine, when the plan picks it for this network. */
function measurePlanned(model: tf.LayersModel, xs: tf.Tensor[], one: tf.Tensor[]): Measured['planned'] {
  const p = plan(model);
  if (p.train !== 'blocks') return undefined;
  const trainer = BlockTrainer.tryCreate(model);
  const alone = BlockTrainer.tryCreate(model, { helperThread: false });
  const cache = FrameCache.tryCreate(model);
  if (!trainer || !alone || !cache) return undefined;
  const x = xs[0].dataSync() as Float32Array,
    state = xs[1].dataSync() as Float32Array;
  const optimizer = new JsAdam(1e-3);
  const stepMs = timeIt(() => trainer.step(x, state, BATCH, squaredLoss, optimizer));
  const aloneMs = timeIt(() => alone.step(x, state, BATCH, squaredLoss, optimizer));
  const x1 = one[0].dataSync() as Float32Array,
    s1 = one[1].dataSync() as Float32Array;
  const singleMs = timeIt(() => trainer.predict(x1, s1, 1), 20);
  // a stream of frames, each observation the previous one shifted by a frame: x holds 32 sequences' worth
  const frameSize = x1.length / FRAMES;
  let t = 0;
  const cachedMs = timeIt(() => {
    const start = (t++ % (x.length / frameSize - FRAMES)) * frameSize;
    cache.predict(x.subarray(start, start + FRAMES * frameSize), s1);
  }, 20);
  return {
    train: p.train,
    trainSamplesPerSec: (BATCH * 1000) / stepMs,
    oneThreadSamplesPerSec: (BATCH * 1000) / aloneMs,
    single: p.single,
    singleMs,
    cachedMs,
  };
}

function measure(spec: NetworkSpec): Measured {
  const rng = new Rng(2);
  const model = buildNetwork(spec);
  const xs = [randomTensor([BATCH, ...mainShape(spec)], rng), randomTensor([BATCH, spec.stateSize], rng)];
  const yValue = randomTensor([BATCH, 1], rng);
  const yPolicy = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: BATCH }, () => rng.int(3)),
      'int32',
    ),
    3,
  );
  const optimizer = tf.train.adam(1e-3);
  const loss = () => {
    const [v, p] = model.apply(xs, { training: true }) as tf.Tensor[];
    return tf.add(
      tf.losses.meanSquaredError(yValue, v),
      tf.losses.softmaxCrossEntropy(yPolicy, tf.log(tf.add(p, 1e-7))),
    ) as tf.Scalar;
  };
  const train = timeCalls(() => {
    tf.tidy(() => {
      optimizer.minimize(loss);
    });
  });
  const one = [randomTensor([1, ...mainShape(spec)], rng), randomTensor([1, spec.stateSize], rng)];
  const predictMs = timeIt(() => {
    tf.tidy(() => {
      (model.predict(one) as tf.Tensor[]).forEach((t) => t.dataSync());
    });
  }, 5);
  let fastMs: number | undefined;
  const planned = spec.kind === 'cnnrnn' ? measurePlanned(model, xs, one) : undefined;
  if (spec.kind !== 'cnnrnn') {
    const ff = compileFastForward(model, spec);
    const input = one[0].dataSync() as Float32Array,
      state = one[1].dataSync() as Float32Array;
    fastMs = timeIt(() => ff.predict(input, state), 100);
  }
  tf.dispose([...xs, ...one, yValue, yPolicy]);
  optimizer.dispose();
  model.dispose();
  return { trainSamplesPerSec: (BATCH * 1000) / train.ms, trainCold: train.cold, predictMs, fastMs, planned };
}

export const netsGroup: BenchGroup = {
  name: 'nets',
  description:
    'networks on wasm and cpu: training samples/s (batch 32), single-observation predict latency; image recipes',
  async run(report) {
    const backends: BackendName[] = ['wasm', 'cpu'];
    const fast: Omit<Figure, 'group'>[] = [];
    for (const backend of backends) {
      const chosen = await initBackend(backend);
      // the helper thread starts its own wasm backend: time the steady state, not its first second
      if (backend === 'wasm') await helperReady();
      report({
        figure: `backend ${backend}`,
        value: chosen.name,
        unit: '',
        note: 'figures below until the next backend line were made on it',
      });
      for (const { name, spec } of SPECS) {
        const r = measure(spec);
        report({
          figure: `${backend} ${name} train${r.planned ? ' (tfjs tape)' : ''}`,
          value: r.trainSamplesPerSec,
          unit: 'samples/s',
          note: `batch ${BATCH}, adam${r.planned ? ': the engine before issue 16' : ''}${coldNote(r.trainCold)}`,
        });
        report({
          figure: `${backend} ${name} predict${r.planned ? ' (model.predict)' : ''}`,
          value: r.predictMs,
          unit: 'ms',
          note: 'one observation, model.predict',
        });
        if (r.planned) {
          report({
            figure: `${backend} ${name} train`,
            value: r.planned.trainSamplesPerSec,
            unit: 'samples/s',
            note:
              `batch ${BATCH}, adam, on the planned engine (${r.planned.train})` +
              (backend === 'wasm' ? ', half the forward convolutions and a weight gradient on the helper thread' : ''),
          });
          report({
            figure: `${backend} ${name} train (one thread)`,
            value: r.planned.oneThreadSamplesPerSec,
            unit: 'samples/s',
            note: `batch ${BATCH}, adam, ${r.planned.train}, the main thread alone`,
          });
          report({
            figure: `${backend} ${name} predict`,
            value: r.planned.singleMs,
            unit: 'ms',
            note: `one observation, on the planned engine (${r.planned.single}), every frame computed`,
          });
          report({
            figure: `${backend} ${name} predict (frame cache)`,
            value: r.planned.cachedMs,
            unit: 'ms',
            note: 'one observation per candle (frames shift by one): one new frame through the convolutions',
          });
        }
        if (r.fastMs !== undefined && backend === backends[0]) {
          fast.push({
            figure: `js ${name} fast forward`,
            value: r.fastMs,
            unit: 'ms',
            note: 'one observation, plain JS (no tfjs)',
          });
        }
      }
    }
    fast.forEach(report);
    await imageRecipeFigures(report);
  },
};
