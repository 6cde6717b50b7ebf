/** n-step returns for DQN (src/agents/learners/nstep.ts) and its learning-rate schedule, computed by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NStepQueue } from '../../src/agents/learners/nstep.ts';
import { learningRateAt } from '../../src/agents/learners/dqn.ts';
import { dqnLearner } from '../../src/agents/learners/dqn-params.ts';

interface Emitted {
  x: number;
  action: number;
  reward: number;
  next: number;
  done: boolean;
}

/** Steps s0 → s1 → … with rewards `rewards` (state k is the 1-number input [k]); the episode ends at the last one. */
function run(n: number, gamma: number, rewards: number[], endDone = true): Emitted[] {
  const q = new NStepQueue(n, gamma, 1, 1);
  const out: Emitted[] = [];
  rewards.forEach((r, k) => {
    const done = endDone && k === rewards.length - 1;
    q.add(
      new Float32Array([k]),
      new Float32Array([0]),
      k % 3,
      r,
      new Float32Array([k + 1]),
      new Float32Array([0]),
      done,
      (x, _s, a, R, nx, _ns, d) => out.push({ x: x[0], action: a, reward: R, next: nx[0], done: d }),
    );
  });
  return out;
}

test('n = 3, γ = 0.5: each transition carries r_t + γ r_t+1 + γ² r_t+2 and s_t+3; the end flushes partial sums', () => {
  const out = run(3, 0.5, [1, 2, 4, 8, 16]);
  assert.deepEqual(out, [
    { x: 0, action: 0, reward: 1 + 0.5 * 2 + 0.25 * 4, next: 3, done: false }, // 3
    { x: 1, action: 1, reward: 2 + 0.5 * 4 + 0.25 * 8, next: 4, done: false }, // 6
    { x: 2, action: 2, reward: 4 + 0.5 * 8 + 0.25 * 16, next: 5, done: true }, // 12, ends the episode
    { x: 3, action: 0, reward: 8 + 0.5 * 16, next: 5, done: true },
    { x: 4, action: 1, reward: 16, next: 5, done: true },
  ]);
  assert.equal(new NStepQueue(3, 0.5, 1, 1).bootstrapDiscount, 0.125);
});

test('n = 1 passes every transition through unchanged; nothing waits without the end of the episode', () => {
  assert.deepEqual(run(1, 0.9, [1, -2, 3]), [
    { x: 0, action: 0, reward: 1, next: 1, done: false },
    { x: 1, action: 1, reward: -2, next: 2, done: false },
    { x: 2, action: 2, reward: 3, next: 3, done: true },
  ]);
  // two steps of a 3-step queue without an end: still waiting for their third reward
  assert.deepEqual(run(3, 0.9, [1, 2], false), []);
});

test('learning-rate schedule: constant, or halved every halfLife updates down to min', () => {
  assert.equal(learningRateAt({ learningRate: 1e-3, learningRateSchedule: { kind: 'constant' } }, 5000), 1e-3);
  const p = { learningRate: 1e-3, learningRateSchedule: { kind: 'exponential', halfLife: 100, min: 2e-4 } } as const;
  assert.equal(learningRateAt(p, 0), 1e-3);
  assert.equal(learningRateAt(p, 100), 5e-4);
  assert.ok(Math.abs(learningRateAt(p, 50) - 1e-3 / Math.SQRT2) < 1e-15);
  assert.equal(learningRateAt(p, 1000), 2e-4);
});

test('the DQN schema takes nStep, weightDecay and learningRateSchedule and refuses bad values', () => {
  const ok = dqnLearner.schema.safeParse({
    kind: 'dqn',
    nStep: 3,
    weightDecay: 0.01,
    learningRateSchedule: { kind: 'exponential', halfLife: 500, min: 1e-4 },
  });
  assert.ok(ok.success);
  for (const bad of [
    { nStep: 0 },
    { nStep: 2.5 },
    { weightDecay: -1 },
    { learningRateSchedule: { kind: 'exponential', halfLife: 0, min: 0 } },
    { learningRateSchedule: { kind: 'cosine' } },
  ])
    assert.equal(dqnLearner.schema.safeParse({ kind: 'dqn', ...bad }).success, false, JSON.stringify(bad));
});
