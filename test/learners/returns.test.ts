import { test } from 'node:test';
import assert from 'node:assert/strict';
import { discountedReturns, gae, nStepReturns, normalise } from '../../src/agents/learners/returns.ts';
import { epsilonAt } from '../../src/agents/learners/schedule.ts';
import { ReplayBuffer } from '../../src/agents/learners/replay.ts';
import { Rng } from '../../src/core/random.ts';

const close = (a: ArrayLike<number>, b: number[], eps = 1e-5) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) < eps, `index ${i}: ${a[i]} vs ${b[i]}`);
};

test('discounted returns reset at episode ends and bootstrap at the rollout end', () => {
  const r = [1, 2, 3, 4];
  close(discountedReturns(r, [0, 0, 0, 0], 0.5, 8), [
    1 + 0.5 * (2 + 0.5 * (3 + 0.5 * (4 + 0.5 * 8))),
    2 + 0.5 * (3 + 0.5 * (4 + 4)),
    3 + 0.5 * 8,
    8,
  ]);
  close(discountedReturns(r, [0, 1, 0, 0], 0.5, 0), [1 + 0.5 * 2, 2, 3 + 0.5 * 4, 4]);
});

test('n-step returns truncate at n, at episode ends and bootstrap from values', () => {
  const r = [1, 1, 1, 1];
  const v = [10, 20, 30, 40];
  // n = 2, γ = 0.5: G0 = 1 + .5·1 + .25·V2
  close(nStepReturns(r, v, [0, 0, 0, 0], 0.5, 2, 100), [
    1.5 + 0.25 * 30,
    1.5 + 0.25 * 40,
    1.5 + 0.25 * 100,
    1 + 0.5 * 100,
  ]);
  close(nStepReturns(r, v, [0, 1, 0, 0], 0.5, 3, 100), [1.5, 1, 1.5 + 0.25 * 100, 1 + 0.5 * 100]);
});

test('GAE with λ = 1 equals discounted return minus value; with λ = 0 it is the TD error', () => {
  const r = [1, 0, 2];
  const v = [0.5, 0.2, 0.1];
  const g = discountedReturns(r, [0, 0, 0], 0.9, 0.3);
  close(gae(r, v, [0, 0, 0], 0.9, 1, 0.3), [g[0] - v[0], g[1] - v[1], g[2] - v[2]]);
  close(gae(r, v, [0, 0, 0], 0.9, 0, 0.3), [1 + 0.9 * 0.2 - 0.5, 0 + 0.9 * 0.1 - 0.2, 2 + 0.9 * 0.3 - 0.1]);
  close(gae(r, v, [0, 1, 0], 0.9, 0, 0.3), [1 + 0.9 * 0.2 - 0.5, -0.2, 2 + 0.9 * 0.3 - 0.1]);
});

test('normalise gives mean 0 and sd 1', () => {
  const x = normalise(new Float32Array([1, 2, 3, 4, 10]));
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
  assert.ok(Math.abs(mean) < 1e-6 && Math.abs(sd - 1) < 1e-4);
});

test('ε schedules: RLTrader linear decay to the end value, exponential with a floor', () => {
  assert.equal(epsilonAt({ kind: 'linear', start: 0.5 }, 0, 11), 0.5);
  assert.ok(Math.abs(epsilonAt({ kind: 'linear', start: 0.5 }, 5, 11) - 0.25) < 1e-12);
  assert.ok(Math.abs(epsilonAt({ kind: 'linear', start: 0.5, end: 0.1 }, 10, 11) - 0.1) < 1e-12);
  assert.ok(Math.abs(epsilonAt({ kind: 'exponential', start: 1, end: 0.05, decay: 0.5 }, 2, 10) - 0.25) < 1e-12);
  assert.equal(epsilonAt({ kind: 'exponential', start: 1, end: 0.05, decay: 0.5 }, 9, 10), 0.05);
});

test('replay buffer keeps the newest transitions and samples them with their own rows intact', () => {
  const buf = new ReplayBuffer(4, 2, 1, 3);
  for (let i = 0; i < 6; i++)
    buf.push(
      new Float32Array([i, -i]),
      new Float32Array([i / 10]),
      i % 3,
      i * 10,
      new Float32Array([i + 1, -i - 1]),
      new Float32Array([0]),
      i === 5,
    );
  assert.equal(buf.size, 4);
  const b = buf.sample(new Rng(1));
  const seen = new Set<number>();
  for (let k = 0; k < b.size; k++) {
    const i = b.x[k * 2];
    seen.add(i);
    assert.ok(i >= 2 && i <= 5, `transition ${i} was overwritten`);
    assert.equal(b.x[k * 2 + 1], -i);
    assert.equal(b.nextX[k * 2], i + 1);
    assert.equal(b.action[k], i % 3);
    assert.equal(b.reward[k], i * 10);
    assert.equal(b.done[k], i === 5 ? 1 : 0);
    assert.ok(Math.abs(b.state[k] - i / 10) < 1e-6);
  }
  assert.ok(seen.size >= 2);
  // same seed, same batch
  const again = new ReplayBuffer(4, 2, 1, 3);
  for (let i = 0; i < 6; i++)
    again.push(
      new Float32Array([i, -i]),
      new Float32Array([i / 10]),
      i % 3,
      i * 10,
      new Float32Array([i + 1, -i - 1]),
      new Float32Array([0]),
      i === 5,
    );
  assert.deepEqual(Array.from(again.sample(new Rng(1)).x), Array.from(buf.sample(new Rng(1)).x));
});
