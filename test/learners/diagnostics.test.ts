/**
 * Training diagnostics as stable-baselines3 reports them (issue 11): each formula on a small case worked by hand, the
 * gradient norm equal on both training engines, and every learner kind reporting its set in EpochStats.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/nn/backend/backend.ts';
import type { NetworkSpec } from '../../src/nn/index.ts';
import { JsAdam } from '../../src/nn/adam.ts';
import { clipByGlobalNorm } from '../../src/nn/clip-norm.ts';
import type { StepStats } from '../../src/nn/head-loss.ts';
import { createLearner, createNet } from '../../src/agents/setup.ts';
import { dqnDiagnostics, dqnLoss } from '../../src/agents/learners/dqn.ts';
import {
  explainedVariance,
  policyDiagnostics,
  type OnPolicyMinibatch,
} from '../../src/agents/learners/onpolicy-loss.ts';
import { EpochTrace } from '../../src/agents/learners/epoch-trace.ts';
import { formatDiagnostics } from '../../src/agents/train.ts';
import type { AgentRecipe } from '../../src/agents/recipe.ts';
import { SignalEnv } from './toy-env.ts';

before(async () => {
  await initBackend('wasm');
});

const near = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('explained variance by hand: returns 1 2 3 4, values 1 2 3 3 → 1 − 0.1875 / 1.25 = 0.85', () => {
  near(explainedVariance(Float32Array.of(1, 2, 3, 3), Float32Array.of(1, 2, 3, 4)), 0.85);
  near(explainedVariance(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 2, 3, 4)), 1);
  assert.ok(Number.isNaN(explainedVariance(Float32Array.of(0, 1), Float32Array.of(2, 2))), 'returns that do not vary');
});

test('approx KL, clip fraction and entropy by hand for a discrete softmax policy', () => {
  // row 0: π(buy) = 0.5 where the rollout had 0.4 → r = 1.25, KL term 0.25 − ln 1.25 = 0.026856, outside ε = 0.2;
  // row 1: π(hold) = 0.5 as before → r = 1, KL term 0, inside
  const mb: OnPolicyMinibatch = {
    act: Int32Array.of(0, 2),
    pos: new Float32Array(2),
    oldLogp: Float32Array.of(Math.log(0.4), Math.log(0.5)),
    adv: new Float32Array(2),
    ret: new Float32Array(2),
  };
  const net = { continuous: false, policyOutput: 'softmax' as const, heads: { value: 1, policy: 3 } };
  const d = policyDiagnostics(net, Float32Array.of(0.5, 0.25, 0.25, 0.2, 0.3, 0.5), mb, 2, 0.2, 0);
  near(d.approxKl, (0.25 - Math.log(1.25)) / 2, 1e-6);
  assert.equal(d.clipFraction, 0.5);
  // entropies 1.039721 (½, ¼, ¼) and 1.029653 (0.2, 0.3, 0.5)
  near(d.entropy, (1.0397208 + 1.029653) / 2, 1e-5);
  // plain policy gradient (clip 0): no clip fraction
  assert.equal(
    'clipFraction' in policyDiagnostics(net, Float32Array.of(0.5, 0.25, 0.25, 0.2, 0.3, 0.5), mb, 2, 0, 0),
    false,
  );
});

test('approx KL and entropy by hand for the continuous Gaussian policy', () => {
  // σ = 0.5, mean 0.3, position 0.4 → z = 0.2, log π = −0.02 − ln 0.5 − ln √(2π);
  // the rollout had log π − 0.1 → r = e^0.1
  const logStd = Math.log(0.5);
  const logp = -0.5 * 0.2 * 0.2 - logStd - 0.5 * Math.log(2 * Math.PI);
  const mb: OnPolicyMinibatch = {
    act: new Int32Array(1),
    pos: Float32Array.of(0.4),
    oldLogp: Float32Array.of(logp - 0.1),
    adv: new Float32Array(1),
    ret: new Float32Array(1),
  };
  const net = { continuous: true, policyOutput: 'softmax' as const, heads: { value: 1, policy: 2 } };
  const d = policyDiagnostics(net, Float32Array.of(0.3, 0.7), mb, 1, 0.2, logStd);
  near(d.approxKl, Math.exp(0.1) - 1 - 0.1, 1e-6);
  assert.equal(d.clipFraction, 0);
  // entropy of N(·, 0.5²): ln 0.5 + ½ + ln √(2π) = 0.725791
  near(d.entropy, 0.7257914, 1e-6);
});

test('DQN mean Q and TD error by hand: Q(s, a) = 3 and 4 against targets 2.5 and 5 → 3.5 and 0.75', () => {
  const q = Float32Array.of(1, 2, 3, 4, 5, 6);
  const d = dqnDiagnostics(q, Float32Array.of(2.5, 5), Int32Array.of(2, 0), 2);
  assert.deepEqual(d, { meanQ: 3.5, tdError: 0.75 });
});

test('gradient norm by hand (3, 4 → 5), and the same on the block trainer and on the tape', () => {
  let heard = NaN;
  const applied: Float32Array[] = [];
  const sink = {
    applyGradientArrays: (e: readonly { grad: Float32Array }[]) => void applied.push(...e.map((x) => x.grad)),
  };
  clipByGlobalNorm(sink as never, 0, (n) => (heard = n)).applyGradientArrays([
    { variable: undefined as never, grad: Float32Array.of(3, 4) },
  ]);
  assert.equal(heard, 5);
  assert.deepEqual(Array.from(applied[0]), [3, 4], 'measured, not clipped');

  const spec: NetworkSpec = {
    kind: 'dnn',
    window: 2,
    features: 3,
    stateSize: 3,
    heads: { value: 3 },
    hidden: [8],
    seed: 4,
  };
  const n = 16;
  const x = Float32Array.from({ length: n * 6 }, (_, i) => Math.sin(i));
  const state = Float32Array.from({ length: n * 3 }, (_, i) => Math.cos(i));
  const y = Float32Array.from({ length: n }, (_, i) => (i % 5) - 2);
  const actions = Int32Array.from({ length: n }, (_, i) => i % 3);
  const norms: number[] = [];
  for (const tape of [false, true]) {
    const net = createNet(spec, false);
    if (tape) net.useTape('comparing engines');
    const optimizer = new JsAdam(1e-3);
    const stats: StepStats = { gradNorm: NaN };
    const observed = { meanQ: NaN, tdError: NaN };
    net.train(x, state, n, dqnLoss(y, actions, 1, observed), optimizer, { stats });
    assert.equal(net.plan.train, tape ? 'tfjs' : 'blocks');
    assert.ok(Number.isFinite(observed.meanQ) && observed.tdError > 0, 'the step’s Q-values were observed');
    norms.push(stats.gradNorm);
    optimizer.dispose();
    net.dispose();
  }
  assert.ok(norms[0] > 0);
  near(norms[0], norms[1], 1e-4 * norms[1]);
});

test('every learner kind reports its diagnostics in EpochStats, and the epoch line prints them', () => {
  const base: Omit<AgentRecipe, 'learner'> = {
    features: 'x',
    scaler: 'none',
    window: 1,
    network: { kind: 'dnn', hidden: [8], activation: 'relu' },
    sizing: 'all',
    reward: { kind: 'logReturn' },
    costs: 'config',
  };
  const spec: NetworkSpec = {
    kind: 'dnn',
    window: 1,
    features: 1,
    stateSize: 3,
    heads: {},
    hidden: [8],
    activation: 'relu',
    seed: 2,
  };
  const onPolicy = ['approxKl', 'entropy', 'explainedVariance', 'gradNorm'];
  const cases: [AgentRecipe['learner'], NetworkSpec['heads'], string[], boolean][] = [
    [{ kind: 'dqn', warmup: 16, batchSize: 8, trainEvery: 4 }, { value: 3 }, ['gradNorm', 'meanQ', 'tdError'], false],
    [{ kind: 'pg', rolloutSteps: 32 }, { value: 1, policy: 3 }, onPolicy, false],
    [{ kind: 'a2c' }, { value: 1, policy: 3 }, onPolicy, false],
    [
      { kind: 'ppo', rolloutSteps: 32, minibatchSize: 16 },
      { value: 1, policy: 3 },
      [...onPolicy, 'clipFraction'],
      false,
    ],
    [
      { kind: 'ppo', action: 'continuous', rolloutSteps: 32, minibatchSize: 16 },
      { value: 1, policy: 2 },
      [...onPolicy, 'clipFraction'],
      true,
    ],
    [{ kind: 'rltrader', net: 'a2c' }, { value: 3, policy: 3 }, ['gradNorm'], false],
  ];
  for (const [learner, heads, keys, continuous] of cases) {
    const l = createLearner({ ...base, learner }, { ...spec, heads }, 3);
    try {
      const trace = new EpochTrace(heads.value ?? 0, heads.policy ?? 0);
      const stats = l.runEpoch([new SignalEnv(5, 64, continuous)], 0.2, trace);
      assert.deepEqual(
        Object.keys(stats.diagnostics).sort(),
        [...keys].sort(),
        `${learner.kind}${continuous ? ' continuous' : ''}`,
      );
      for (const k of keys)
        assert.ok(Number.isFinite(stats.diagnostics[k]), `${learner.kind} ${k} = ${stats.diagnostics[k]}`);
    } finally {
      l.dispose();
      l.net.dispose();
    }
  }
  assert.equal(formatDiagnostics({ gradNorm: 1.5, approxKl: 0.00123456 }), ' KL:0.001235 GradNorm:1.500');
});

test('a NaN reward (a diverged step) leaves the weights of DQN and PPO finite and shows as nonFiniteLosses', () => {
  /** SignalEnv whose rewards turn NaN from the 10th step on. */
  class PoisonedEnv extends SignalEnv {
    private steps = 0;
    override step(action: number, confidence: number, target?: number) {
      const s = super.step(action, confidence, target);
      if (++this.steps >= 10) s.reward = NaN;
      return s;
    }
  }
  const spec = (heads: NetworkSpec['heads']): NetworkSpec => ({
    kind: 'dnn',
    window: 1,
    features: 1,
    stateSize: 3,
    heads,
    hidden: [4],
    seed: 1,
  });
  for (const learner of [
    { kind: 'dqn', warmup: 8, trainEvery: 2, batchSize: 8 },
    { kind: 'ppo', rolloutSteps: 16, minibatchSize: 8 },
  ] as AgentRecipe['learner'][]) {
    const l = createLearner(
      { learner } as AgentRecipe,
      spec(learner.kind === 'dqn' ? { value: 3 } : { value: 1, policy: 3 }),
      1,
    );
    try {
      const stats = l.runEpoch([new PoisonedEnv(1, 64)], 0.2, new EpochTrace(3, 3));
      assert.ok(stats.diagnostics.nonFiniteLosses > 0, `${learner.kind}: ${JSON.stringify(stats.diagnostics)}`);
      for (const w of l.net.model.weights)
        assert.ok(Array.from(w.read().dataSync()).every(Number.isFinite), `${learner.kind}: ${w.name} stays finite`);
      assert.match(formatDiagnostics(stats.diagnostics), /NaNLoss:/);
    } finally {
      l.dispose();
      l.net.dispose();
    }
  }
});
