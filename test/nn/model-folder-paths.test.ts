/**
 * A model folder names files and folders it reads from (its home's CURRENT pointer, its meta.json's list of models):
 * each must stay inside the folder, or a hand-edited one served or opened a model from anywhere (audit, session 38,
 * item 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildNetwork, type NetworkSpec } from '../../src/nn/index.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { hashData } from '../../src/core/hash-data.ts';
import { loadModel, saveModel, type ModelMeta } from '../../src/nn/model-files.ts';
import { resolveModel } from '../../src/agents/model-pointer.ts';
import { UserError } from '../../src/core/errors.ts';

await initBackend('wasm');

const spec: NetworkSpec = {
  kind: 'dnn',
  window: 2,
  features: 2,
  stateSize: 3,
  heads: { policy: 3 },
  hidden: [3],
  seed: 1,
};

function meta(): ModelMeta {
  return {
    name: 'paths',
    strategy: 'dqn-dnn',
    featureSet: 'rltrader-v2',
    featureVersion: '2',
    scaler: { kind: 'minmax', min: [0, 1], max: [3, 4] },
    network: spec,
    learner: { algorithm: 'dqn' },
    trainingWindow: { from: '2024-01-01T00:00:00Z', to: '2024-06-01T00:00:00Z' },
    dataHash: hashData(new Float64Array([1, 2])),
    seed: 1,
    metrics: {},
    codeVersion: '0.1.0+abc',
    createdAt: '2026-01-01T00:00:00Z',
  };
}

async function save(dir: string, keys: string[]): Promise<void> {
  const models = Object.fromEntries(keys.map((k) => [k, buildNetwork(spec)]));
  try {
    await saveModel(dir, models, meta());
  } finally {
    for (const m of Object.values(models)) m.dispose();
  }
}

test('a CURRENT pointer naming a folder outside versions/ is one line, not a model served from elsewhere', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'bot-model-paths-'));
  try {
    await save(path.join(root, 'models', 'm-base'), ['model']);
    const home = path.join(root, 'models', 'btc');
    mkdirSync(path.join(home, 'versions'), { recursive: true });
    writeFileSync(path.join(home, 'CURRENT'), '../../m-base\n');
    assert.throws(
      () => resolveModel(home),
      (e: Error) =>
        e instanceof UserError &&
        /CURRENT names version "\.\.\/\.\.\/m-base", not one folder under versions\//.test(e.message),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a meta.json model key that leads outside the folder is refused before any file of it is read', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'bot-model-paths-'));
  try {
    await save(path.join(root, 'a'), ['model', 'critic']);
    const b = path.join(root, 'b');
    await save(b, ['model']);
    const file = path.join(b, 'meta.json');
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { models: string[] };
    writeFileSync(file, JSON.stringify({ ...raw, models: ['model', '../a/critic'] }));
    await assert.rejects(
      loadModel(b),
      (e: Error) => e instanceof UserError && /meta\.json lists model "\.\.\/a\/critic", not a key/.test(e.message),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
