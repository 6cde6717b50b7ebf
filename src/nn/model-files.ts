/**
 * A saved model is a folder: `model.json` + `model.weights.bin` for the main network, `<key>.model.json` +
 * `<key>.weights.bin` for any other (e.g. a critic), and `meta.json` saying what the model was trained on and how.
 * Written with tf.io.withSaveHandler / read with tf.io.fromMemory, so tfjs-node is not needed.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { syncDir, writeFileSynced } from '../core/durable-files.ts';
import type { NetworkSpec } from './spec.ts';
import {
  foreignEntries,
  FORMAT,
  modelFiles as files,
  MODEL_KEY,
  readModelFiles,
  readModelMeta,
  recoverInterruptedSave,
} from './model-folder.ts';

// registers the custom layers saved cnnrnn models use, so they load
import './frame-layers.ts';
import './seeded-dropout.ts';

export interface ModelMeta {
  name: string;
  strategy: string;
  /** The strategy's file when not strategies/<strategy>.ts (src/agents/save.ts): named in advice, never imported. */
  strategyFile?: string;
  featureSet?: string;
  featureVersion?: string;
  scaler?: unknown;
  image?: unknown;
  network: NetworkSpec;
  learner: Record<string, unknown>;
  trainingWindow: { from: string; to: string };
  /**
   * The validation windows the model's epoch, margin and gate were chosen on: results there are biased upward too.
   * Absent in models saved before it was recorded, and in models chosen on no window (portfolio agents).
   */
  validationWindows?: { from: string; to: string }[];
  /** The holdout a retrain promoted it on (its results there chose it); absent in versions not promoted so. */
  holdoutWindow?: { from: string; to: string };
  /** The series it was trained on (a portfolio's markets joined with commas); src/agents/model-market.ts checks it. */
  market?: { exchange: string; symbol: string; timeframe: string };
  dataHash: string;
  seed: number;
  metrics: Record<string, unknown>;
  codeVersion: string;
  createdAt: string;
}

async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved) throw new Error('tfjs produced no model artifacts');
  return saved;
}

/**
 * Saves `models` (the main network under key 'model', others under their own keys) and `meta` into `dir`.
 * Everything is written to a sibling temp folder first and renamed into place, so a crash never leaves half a model.
 * Every file and the temp folder are fsynced before the rename, and the parent folder after it: a power cut
 * otherwise could leave the folder's name on disk with empty files in it (src/core/durable-files.ts). Replacing a
 * folder sets the old one aside first; a save stopped between the two renames puts it back (a failed rename at once,
 * a killed process at the next save or load of `dir`, recoverInterruptedSave). A folder holding anything but a saved
 * model (foreignEntries) is not replaced: a one-line UserError says what it holds.
 */
export async function saveModel(dir: string, models: Record<string, tf.LayersModel>, meta: ModelMeta): Promise<void> {
  const keys = Object.keys(models);
  if (!keys.length) throw new Error('saveModel needs at least one model');
  for (const k of keys) if (!MODEL_KEY.test(k)) throw new Error(`model key '${k}' must be letters, digits, _ or -`);
  const target = path.resolve(dir);
  mkdirSync(path.dirname(target), { recursive: true });
  recoverInterruptedSave(target);
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp);
  try {
    for (const key of keys) {
      const a = await artifactsOf(models[key]);
      const f = files(key);
      const weights = a.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(a.weightData);
      writeFileSynced(path.join(tmp, f.weights), new Uint8Array(weights));
      const json = {
        format: 'layers-model',
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: [f.weights], weights: a.weightSpecs ?? [] }],
      };
      writeFileSynced(path.join(tmp, f.topology), JSON.stringify(json));
    }
    writeFileSynced(path.join(tmp, 'meta.json'), JSON.stringify({ format: FORMAT, models: keys, ...meta }, null, 2));
    syncDir(tmp);
    // checked after the (long) writing, just before the switch: a retrain may have made `dir` a home meanwhile
    const foreign = foreignEntries(target);
    if (foreign.length)
      throw new UserError(
        `${dir} holds ${foreign.join(', ')} besides a saved model (a model home with versions or a retrain lock?): ` +
          `not replaced; save under another name`,
      );
    if (existsSync(target)) replaceFolder(target, tmp);
    else {
      renameSync(tmp, target);
      syncDir(path.dirname(target));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Puts the complete folder `tmp` in the place of `target`; on a failed switch, the old `target` goes back. */
function replaceFolder(target: string, tmp: string): void {
  const old = `${target}.old-${process.pid}-${Date.now()}`;
  renameSync(target, old);
  try {
    renameSync(tmp, target);
  } catch (e) {
    renameSync(old, target);
    throw e;
  }
  syncDir(path.dirname(target));
  rmSync(old, { recursive: true, force: true });
}

async function loadOne(dir: string, key: string, what: string): Promise<tf.LayersModel> {
  const f = files(key);
  const { json, weightSpecs, buf } = readModelFiles(dir, f, what);
  const weightData = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  try {
    return await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology as tf.io.ModelJSON['modelTopology'],
        weightSpecs: weightSpecs as tf.io.WeightsManifestEntry[],
        weightData,
      }),
    );
  } catch (e) {
    throw new UserError(`${what}: ${f.topology} does not load: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Loads a model folder written by saveModel. A missing, truncated or foreign file is a one-line UserError. */
export async function loadModel(dir: string): Promise<{ models: Record<string, tf.LayersModel>; meta: ModelMeta }> {
  const what = `model ${dir}`;
  const { keys, meta } = readModelMeta(dir, what);
  const models: Record<string, tf.LayersModel> = {};
  try {
    for (const key of keys) models[key] = await loadOne(dir, key, what);
  } catch (e) {
    for (const m of Object.values(models)) m.dispose();
    throw e;
  }
  return { models, meta: meta as unknown as ModelMeta };
}

function describe(v: unknown): string {
  return v === undefined ? 'none' : typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
}

/** Keys whose values differ between two plain JSON values, as "key: a vs b" lines (a few levels deep). */
function differences(a: unknown, b: unknown, prefix: string, out: string[]): void {
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
      differences(a[k], b[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(`${prefix} ${describe(a)} vs ${describe(b)}`);
  }
}

/**
 * Throws a UserError naming exactly what differs between what the model was trained with and what the running
 * config produces: feature set, feature version, image spec.
 */
export function checkCompatible(
  meta: ModelMeta,
  running: { featureSet?: string; featureVersion?: string; image?: unknown },
): void {
  const diffs: string[] = [];
  if (meta.featureSet !== running.featureSet)
    diffs.push(`feature set ${describe(meta.featureSet)} vs ${describe(running.featureSet)}`);
  if (meta.featureVersion !== running.featureVersion) {
    diffs.push(`feature version ${describe(meta.featureVersion)} vs ${describe(running.featureVersion)}`);
  }
  const imageDiffs: string[] = [];
  differences(meta.image, running.image, 'image', imageDiffs);
  diffs.push(...imageDiffs);
  if (diffs.length) {
    throw new UserError(`model '${meta.name}' does not fit the running config (model vs config): ${diffs.join('; ')}`);
  }
}
