import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildNetwork, type NetworkSpec } from '../../src/nn/index.ts';
import { initBackend } from '../../src/nn/backend/backend.ts';
import { hashData } from '../../src/core/hash-data.ts';
import { checkCompatible, loadModel, saveModel, type ModelMeta } from '../../src/nn/model-files.ts';
import { resolveModel } from '../../src/agents/model-pointer.ts';
import { UserError } from '../../src/core/errors.ts';

await initBackend('wasm');
const root = mkdtempSync(path.join(tmpdir(), 'bot-models-'));

const actorSpec: NetworkSpec = {
  kind: 'lstm',
  window: 4,
  features: 3,
  stateSize: 3,
  heads: { policy: 3 },
  hidden: [4],
  seed: 1,
};
const criticSpec: NetworkSpec = {
  kind: 'dnn',
  window: 4,
  features: 3,
  stateSize: 3,
  heads: { value: 1 },
  hidden: [5],
  seed: 2,
};
const image = { frames: 5, height: 64, width: 60, channels: 1, indicators: ['ma20', 'volume'] };

function meta(name = 'a2c-test'): ModelMeta {
  return {
    name,
    strategy: 'a2c-lstm',
    featureSet: 'rltrader-v2',
    featureVersion: '2',
    scaler: { kind: 'minmax', min: [0, 1, 2], max: [3, 4, 5] },
    image,
    network: actorSpec,
    learner: { algorithm: 'a2c', lr: 0.001, critic: criticSpec },
    trainingWindow: { from: '2024-01-01T00:00:00Z', to: '2024-06-01T00:00:00Z' },
    dataHash: hashData(new Float64Array([1, 2, 3])),
    seed: 1,
    metrics: { sharpe: 1.2 },
    codeVersion: '0.1.0+abc',
    createdAt: '2026-01-01T00:00:00Z',
  };
}

function predictAll(model: tf.LayersModel): number[][] {
  return tf.tidy(() => {
    const x = tf.linspace(-1, 1, 2 * 4 * 3).reshape([2, 4, 3]);
    const s = tf.ones([2, 3]);
    const out = model.predict([x, s]);
    return (Array.isArray(out) ? out : [out]).map((t) => Array.from(t.dataSync()));
  });
}

function assertUserError(fn: () => Promise<unknown>, pattern: RegExp) {
  return assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

async function savedFolder(name: string): Promise<string> {
  const dir = path.join(root, name);
  const actor = buildNetwork(actorSpec),
    critic = buildNetwork(criticSpec);
  await saveModel(dir, { model: actor, critic }, meta());
  actor.dispose();
  critic.dispose();
  return dir;
}

test('actor and critic round-trip exactly with their meta, leaving no temp folders', async () => {
  const dir = path.join(root, 'roundtrip');
  const actor = buildNetwork(actorSpec),
    critic = buildNetwork(criticSpec);
  await saveModel(dir, { model: actor, critic }, meta());
  assert.deepEqual(readdirSync(dir).sort(), [
    'critic.model.json',
    'critic.weights.bin',
    'meta.json',
    'model.json',
    'model.weights.bin',
  ]);
  assert.deepEqual(
    readdirSync(root).filter((f) => f.includes('.tmp-') || f.includes('.old-')),
    [],
  );
  const { models, meta: loaded } = await loadModel(dir);
  assert.deepEqual(Object.keys(models).sort(), ['critic', 'model']);
  assert.deepEqual(predictAll(models.model), predictAll(actor));
  assert.deepEqual(predictAll(models.critic), predictAll(critic));
  assert.deepEqual(loaded, meta());
  assert.deepEqual(models.model.outputNames, ['policy']);
  [actor, critic, ...Object.values(models)].forEach((m) => m.dispose());
});

test('a cnnrnn model (custom frame layers) round-trips', async () => {
  const spec: NetworkSpec = {
    kind: 'cnnrnn',
    window: 0,
    features: 0,
    image: { frames: 2, height: 8, width: 6, channels: 1 },
    stateSize: 0,
    heads: { value: 1, policy: 3 },
    hidden: [2],
    rnnUnits: 2,
    embedding: 3,
    seed: 3,
  };
  const model = buildNetwork(spec);
  const dir = path.join(root, 'cnnrnn');
  await saveModel(dir, { model }, { ...meta(), network: spec });
  const { models } = await loadModel(dir);
  const x = tf.linspace(0, 1, 2 * 2 * 8 * 6).reshape([2, 2, 8, 6, 1]);
  const a = (model.predict(x) as tf.Tensor[]).map((t) => Array.from(t.dataSync()));
  const b = (models.model.predict(x) as tf.Tensor[]).map((t) => Array.from(t.dataSync()));
  assert.deepEqual(b, a);
  x.dispose();
  model.dispose();
  models.model.dispose();
});

test('saving over an existing model replaces it whole; a failed save leaves the old one intact', async () => {
  const dir = await savedFolder('overwrite');
  const other = buildNetwork({ ...actorSpec, seed: 9 });
  await saveModel(dir, { model: other }, meta('second'));
  const { models, meta: m } = await loadModel(dir);
  assert.equal(m.name, 'second');
  assert.deepEqual(Object.keys(models), ['model']);
  assert.deepEqual(predictAll(models.model), predictAll(other));
  assert.ok(!readdirSync(dir).includes('critic.model.json'), 'no stale critic from the old save');
  const broken = buildNetwork(actorSpec);
  broken.dispose(); // saving a disposed model throws mid-way
  await assert.rejects(saveModel(dir, { model: broken }, meta('third')));
  assert.equal((await loadModel(dir)).meta.name, 'second');
  assert.deepEqual(
    readdirSync(root).filter((f) => f.includes('.tmp-') || f.includes('.old-')),
    [],
  );
  [other, ...Object.values(models)].forEach((m) => m.dispose());
});

const leftovers = () => readdirSync(root).filter((f) => f.includes('.tmp-') || f.includes('.old-'));

/** Runs test/nn/save-crash-child.ts: a save over `dir` that SIGKILLs itself at `at`. */
function crashSave(dir: string, at: 'switch' | 'write'): void {
  const child = path.join(import.meta.dirname, 'save-crash-child.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, dir, at], { encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', `the save was to die at ${at}: ${r.stdout}${r.stderr}`);
}

test(`a save killed between its two renames (the old folder set aside, the new one not in place) leaves a model \
that loads: the next load puts the old one back and removes the leftovers`, async () => {
  const dir = await savedFolder('crash-switch');
  crashSave(dir, 'switch');
  assert.ok(!existsSync(dir), 'the kill came between the renames');
  assert.equal(leftovers().filter((f) => f.startsWith('crash-switch.old-')).length, 1);
  const { models, meta: m } = await loadModel(dir);
  assert.equal(m.name, 'a2c-test', 'the model from before the interrupted save');
  assert.deepEqual(Object.keys(models).sort(), ['critic', 'model']);
  Object.values(models).forEach((x) => x.dispose());
  assert.deepEqual(leftovers(), []);
  // a model home reached by --model (bot paper, bot backtest --model) recovers the same way
  crashSave(dir, 'switch');
  assert.equal(resolveModel(dir).dir, dir);
  assert.deepEqual(leftovers(), []);
});

test('a save killed while writing leaves the old model; the next save or load removes its temp folder', async () => {
  const dir = await savedFolder('crash-write');
  crashSave(dir, 'write');
  assert.equal(leftovers().length, 1, "the killed writer's temp folder");
  await savedFolder('crash-write');
  assert.deepEqual(leftovers(), []);
  crashSave(dir, 'write');
  assert.equal((await loadModel(dir)).meta.name, 'a2c-test');
  assert.deepEqual(leftovers(), []);
});

test(`saveModel does not replace a folder holding more than a saved model (a model home's versions, CURRENT, retrain \
lock): a one-line UserError names what it holds, and nothing is touched`, async () => {
  const dir = await savedFolder('home');
  mkdirSync(path.join(dir, 'versions', 'v1'), { recursive: true });
  writeFileSync(path.join(dir, '.retrain-lock.db'), '');
  const other = buildNetwork(actorSpec);
  await assertUserError(
    () => saveModel(dir, { model: other }, meta('second')),
    /home holds \.retrain-lock\.db, versions besides a saved model .*not replaced/,
  );
  other.dispose();
  assert.equal((await loadModel(dir)).meta.name, 'a2c-test');
  assert.ok(existsSync(path.join(dir, 'versions', 'v1')) && existsSync(path.join(dir, '.retrain-lock.db')));
  assert.deepEqual(leftovers(), []);
});

test('a missing, truncated or foreign model is a one-line UserError', async () => {
  await assertUserError(() => loadModel(path.join(root, 'nope')), /folder not found/);
  const dir = await savedFolder('damaged');

  const weights = path.join(dir, 'critic.weights.bin');
  const full = readFileSync(weights);
  writeFileSync(weights, full.subarray(0, full.length - 7));
  await assertUserError(
    () => loadModel(dir),
    /critic\.weights\.bin has \d+ bytes, critic\.model\.json expects \d+ \(truncated or foreign\)/,
  );
  writeFileSync(weights, full);

  const topo = path.join(dir, 'model.json');
  const text = readFileSync(topo, 'utf8');
  writeFileSync(topo, text.slice(0, text.length / 2));
  await assertUserError(() => loadModel(dir), /model\.json is not valid JSON \(truncated or corrupt\)/);
  rmSync(topo);
  await assertUserError(() => loadModel(dir), /model\.json is missing/);
  writeFileSync(topo, text);
  assert.equal((await loadModel(dir)).meta.name, 'a2c-test', 'restored files load again');

  const metaFile = path.join(dir, 'meta.json');
  writeFileSync(metaFile, JSON.stringify({ name: 'someone else', network: {} }));
  await assertUserError(() => loadModel(dir), /meta\.json is not a model description written by this bot/);
  rmSync(metaFile);
  await assertUserError(() => loadModel(dir), /meta\.json is missing/);

  const foreign = path.join(root, 'foreign');
  mkdirSync(foreign);
  writeFileSync(
    path.join(foreign, 'meta.json'),
    JSON.stringify({ format: 'learning-trading-bot/model@1', models: ['model'], network: actorSpec }),
  );
  writeFileSync(path.join(foreign, 'model.json'), JSON.stringify({ hello: 'world' }));
  await assertUserError(() => loadModel(foreign), /model\.json is not a tfjs layers model/);
});

test('checkCompatible names exactly what differs', () => {
  const m = meta();
  checkCompatible(m, { featureSet: 'rltrader-v2', featureVersion: '2', image });
  assert.throws(
    () => checkCompatible(m, { featureSet: 'basic', featureVersion: '2', image: { ...image, height: 32 } }),
    (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /feature set 'rltrader-v2' vs 'basic'/);
      assert.match(e.message, /image\.height 64 vs 32/);
      assert.doesNotMatch(e.message, /feature version|width/);
      return true;
    },
  );
  assert.throws(
    () => checkCompatible(m, { featureSet: 'rltrader-v2', featureVersion: '3', image }),
    /feature version '2' vs '3'/,
  );
  assert.throws(() => checkCompatible(m, { featureSet: 'rltrader-v2', featureVersion: '2' }), /image .* vs none/);
  assert.throws(
    () =>
      checkCompatible(m, { featureSet: 'rltrader-v2', featureVersion: '2', image: { ...image, indicators: ['ma20'] } }),
    /image\.indicators \["ma20","volume"\] vs \["ma20"\]/,
  );
});

test('hashData depends on every byte', () => {
  const a = new Float64Array([1, 2, 3]);
  assert.equal(hashData(a), hashData(new Float64Array([1, 2, 3])));
  assert.notEqual(hashData(a), hashData(new Float64Array([1, 2, 3.0000001])));
  assert.match(hashData(a), /^[0-9a-f]{64}$/);
});
