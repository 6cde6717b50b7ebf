/**
 * A model folder's files on disk without TensorFlow.js: which entries a save did not write (foreignEntries) and the
 * leftovers of a save that was killed part-way (recoverInterruptedSave). Model homes (src/agents/model-pointer.ts) use
 * them on every status and trading start; src/nn/model-files.ts saves and loads the networks themselves. Reading a
 * network's two files and checking their sizes (readModelFiles) is here too, so a model folder can be checked before
 * tfjs is loaded (src/agents/model-folder-check.ts).
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { UserError } from '../core/errors.ts';
import path from 'node:path';
import { syncDir } from '../core/durable-files.ts';
import { processAlive } from '../core/process-alive.ts';

/** The files saveModel (model-files.ts) writes into a model folder: files(key) of every key, and meta.json. */
const MODEL_FILE = /^(meta\.json|model\.json|[A-Za-z0-9_-]+\.model\.json|[A-Za-z0-9_-]+\.weights\.bin)$/;

/**
 * The entries of `dir` that saveModel did not write: a model home's `versions/`, `CURRENT` and retrain lock
 * (src/agents/model-pointer.ts), or anyone's files. saveModel does not replace a folder holding any: replacing it
 * whole deleted a home's promoted versions and the lock of a running retrain when a backtest saved over it.
 */
export function foreignEntries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !MODEL_FILE.test(name))
    .sort();
}

/** A save's temp folder (`<dir>.tmp-<pid>-<ms>`) or the replaced folder it set aside (`<dir>.old-<pid>-<ms>`). */
const LEFTOVER = /^(.+)\.(old|tmp)-(\d+)-(\d+)$/;

/**
 * Finishes what a save of `dir` killed part-way (SIGKILL, a crash, a power cut) left beside it, so that `dir` is a
 * whole model again. Replacing a folder takes two renames (`dir` to `.old-*`, the temp folder to `dir`); a save killed
 * between them left no `dir` at all, only the old model under `.old-*`: that one is renamed back (the save did not
 * happen). The temp folders and set-aside folders of dead writers are then removed. A live writer's (another process
 * saving now, or this one) are left alone.
 */
export function recoverInterruptedSave(dir: string): void {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  if (!existsSync(parent)) return;
  const left = readdirSync(parent).flatMap((name) => {
    const m = LEFTOVER.exec(name);
    if (!m || m[1] !== path.basename(target)) return [];
    const pid = Number(m[3]);
    if (pid === process.pid || processAlive(pid)) return [];
    return [{ name, kind: m[2], at: Number(m[4]) }];
  });
  if (!left.length) return;
  if (!existsSync(target)) {
    const old = left.filter((l) => l.kind === 'old').sort((a, b) => b.at - a.at)[0];
    if (old) {
      renameSync(path.join(parent, old.name), target);
      syncDir(parent);
    }
  }
  for (const l of left) rmSync(path.join(parent, l.name), { recursive: true, force: true });
}

/** `file` parsed as a JSON object; missing, invalid or not an object is a one-line UserError starting with `what`. */
function readJson(file: string, what: string): Record<string, unknown> {
  if (!existsSync(file)) throw new UserError(`${what}: ${path.basename(file)} is missing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UserError(`${what}: ${path.basename(file)} is not valid JSON (truncated or corrupt)`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UserError(`${what}: ${path.basename(file)} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** One weight tensor of a model.json's manifest (tfjs's WeightsManifestEntry, the fields read here). */
interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * One network's `topology` (model.json) and `weights` (model.weights.bin) files of `dir`, read and checked against
 * each other: the weight file's size must be the manifest's. Anything else is a one-line UserError.
 */
export function readModelFiles(
  dir: string,
  f: { topology: string; weights: string },
  what: string,
): { json: Record<string, unknown>; weightSpecs: WeightSpec[]; buf: Buffer } {
  const json = readJson(path.join(dir, f.topology), what);
  const manifest = json.weightsManifest as { paths: string[]; weights: WeightSpec[] }[] | undefined;
  if (!json.modelTopology || !Array.isArray(manifest) || manifest.length !== 1) {
    throw new UserError(`${what}: ${f.topology} is not a tfjs layers model written by this bot`);
  }
  const weightSpecs = manifest[0].weights;
  const weightsFile = path.join(dir, f.weights);
  if (!existsSync(weightsFile)) throw new UserError(`${what}: ${f.weights} is missing`);
  const buf = readFileSync(weightsFile);
  const expected = weightSpecs.reduce(
    (n, w) => n + w.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[w.dtype] ?? 4),
    0,
  );
  if (buf.byteLength !== expected) {
    throw new UserError(
      `${what}: ${f.weights} has ${buf.byteLength} bytes, ${f.topology} expects ${expected} (truncated or foreign)`,
    );
  }
  return { json, weightSpecs, buf };
}

/** Marks our meta.json files, so a folder of someone else's tfjs model is recognised as foreign. */
export const FORMAT = 'learning-trading-bot/model@1';
const MAIN = 'model';

/** A model's key in a folder: it names the folder's `<key>.json` and `<key>.weights.bin`. */
export const MODEL_KEY = /^[A-Za-z0-9_-]+$/;

/** The topology and weight files of the network saved under `key` ('model' is the main one). */
export function modelFiles(key: string): { topology: string; weights: string } {
  return key === MAIN
    ? { topology: 'model.json', weights: 'model.weights.bin' }
    : { topology: `${key}.model.json`, weights: `${key}.weights.bin` };
}

/**
 * The meta.json of the model folder `dir` (a save killed part-way put right first) and its list of network keys;
 * a missing folder, a foreign or broken meta.json is a one-line UserError starting with `what`.
 */
export function readModelMeta(dir: string, what: string): { keys: string[]; meta: Record<string, unknown> } {
  recoverInterruptedSave(dir);
  if (!existsSync(dir)) throw new UserError(`${what}: folder not found`);
  const raw = readJson(path.join(dir, 'meta.json'), what);
  if (raw.format !== FORMAT) throw new UserError(`${what}: meta.json is not a model description written by this bot`);
  const { format: _format, models: keys, ...meta } = raw;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string') || !meta.network) {
    throw new UserError(`${what}: meta.json lacks its list of models or its network spec`);
  }
  // a key names the key.json / key.weights.bin files: `../../../tmp/evil` opened files outside the folder (audit,
  // session 38, item 2); saveModel writes only keys of this form
  const bad = (keys as string[]).find((k) => !MODEL_KEY.test(k));
  if (bad !== undefined)
    throw new UserError(`${what}: meta.json lists model ${JSON.stringify(bad)}, not a key (letters, digits, _ or -)`);
  return { keys: keys as string[], meta };
}
