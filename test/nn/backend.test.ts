import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { capturingLogger } from '../helpers/log.ts';
import { BACKEND_ORDER, initBackend, probeBackend } from '../../src/nn/backend/backend.ts';
import { parseBackendChoice } from '../../src/nn/cli-options.ts';
import { backendOverride } from '../../src/nn/cli-options.ts';
import { UserError } from '../../src/core/errors.ts';

test('auto takes the first available backend in node-gpu > node > wasm > cpu order and logs why', async () => {
  const lines: string[] = [];
  const chosen = await initBackend('auto', capturingLogger(lines));
  const index = BACKEND_ORDER.indexOf(chosen.name);
  assert.ok(index >= 0);
  for (const earlier of BACKEND_ORDER.slice(0, index)) {
    const probe = await probeBackend(earlier);
    assert.equal(probe.available, false, `${earlier} is available but auto skipped it`);
    assert.match(chosen.reason, new RegExp(`skipped.*${earlier}`));
  }
  assert.equal(tf.getBackend(), chosen.name === 'wasm' ? 'wasm' : chosen.name === 'cpu' ? 'cpu' : 'tensorflow');
  const logged = lines.map((l) => JSON.parse(l) as { message: string; backend: string; reason: string });
  assert.ok(
    logged.some((l) => l.backend === chosen.name && l.reason === chosen.reason),
    'choice and reason are logged',
  );
});

test('a forced backend is used, and one that is not installed is a one-line UserError', async () => {
  assert.equal((await initBackend('cpu')).name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.match((await initBackend('cpu')).reason, /forced/);
  assert.equal((await initBackend('wasm')).name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  for (const name of ['node', 'node-gpu'] as const) {
    const probe = await probeBackend(name);
    if (probe.available) continue;
    await assert.rejects(initBackend(name), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(
        e.message,
        new RegExp(`backend '${name}' is not available: @tensorflow/tfjs-${name} is not installed`),
      );
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    assert.equal(tf.getBackend(), 'wasm', 'a failed force leaves the running backend alone');
  }
});

test('--backend values are checked', () => {
  assert.equal(parseBackendChoice('wasm'), 'wasm');
  assert.deepEqual(backendOverride({ backend: 'cpu' }), { ml: { backend: 'cpu' } });
  assert.deepEqual(backendOverride({}), {});
  assert.throws(
    () => parseBackendChoice('tpu'),
    (e: unknown) => e instanceof UserError && /unknown backend 'tpu'.*auto, node-gpu, node, wasm, cpu/.test(e.message),
  );
});

test(`auto after a forced backend picks the fastest again (one process that runs several benches or \
jobs)`, async () => {
  const fastest = await initBackend('auto');
  await initBackend('cpu');
  assert.equal(tf.getBackend(), 'cpu');
  const again = await initBackend('auto');
  assert.equal(again.name, fastest.name);
  assert.match(again.reason, /fastest available/);
});
