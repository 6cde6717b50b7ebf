/** Choosing and starting the tfjs backend (node-gpu, node, wasm, cpu) and registering this project's kernels on it. */
import * as tf from '@tensorflow/tfjs';
import { loadWasmPasses } from './elementwise-passes-wasm.ts';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UserError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { registerLeanGradients, registerUnpackGradient } from './gradients.ts';
import { registerWasmGradientKernels } from './wasm-kernels.ts';
import { registerWasmFastKernels } from './wasm-fast-kernels.ts';

export type BackendName = 'node-gpu' | 'node' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';

/** Fastest first: the order `auto` tries them in. */
export const BACKEND_ORDER: readonly BackendName[] = ['node-gpu', 'node', 'wasm', 'cpu'];

/** The tfjs backend id each of our names registers under. */
const TF_NAME: Record<BackendName, string> = { 'node-gpu': 'tensorflow', node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };
const NODE_PACKAGE: Record<'node-gpu' | 'node', string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

const require = createRequire(import.meta.url);

export interface Availability {
  name: BackendName;
  available: boolean;
  /** Why it is or is not available, in words for `bot doctor` and the log. */
  reason: string;
  /** A few words of the same, for the log line of the `auto` choice. */
  short: string;
}

let current: { name: BackendName; reason: string } | undefined;
let chosenAutomatically = false;
let wasmPathsSet = false;

function isResolvable(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

function gpuAnswers(): { ok: boolean; detail: string } {
  try {
    const out = execFileSync('nvidia-smi', ['-L'], { timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return out ? { ok: true, detail: out.split('\n')[0] } : { ok: false, detail: 'nvidia-smi lists no GPU' };
  } catch {
    return { ok: false, detail: 'no GPU answered (nvidia-smi not found or failed)' };
  }
}

/** Whether a node binding is installed and loads; importing it registers the `tensorflow` backend. */
async function probeNode(name: 'node-gpu' | 'node'): Promise<Availability> {
  const pkg = NODE_PACKAGE[name];
  if (!isResolvable(pkg)) {
    return {
      name,
      available: false,
      reason:
        `${pkg} is not installed (optional dependency: its install ` +
        `downloads libtensorflow from Google storage, which failed or was skipped)`,
      short: 'not installed',
    };
  }
  if (name === 'node-gpu') {
    const gpu = gpuAnswers();
    if (!gpu.ok) return { name, available: false, reason: `${pkg} is installed but ${gpu.detail}`, short: 'no GPU' };
  }
  try {
    await import(pkg);
  } catch (e) {
    const reason = `${pkg} is installed but does not load: ${(e as Error).message.split('\n')[0]}`;
    return { name, available: false, reason, short: 'does not load' };
  }
  if (!tf.findBackendFactory('tensorflow')) {
    return {
      name,
      available: false,
      reason: `${pkg} loaded but registered no 'tensorflow' backend`,
      short: 'no backend',
    };
  }
  return { name, available: true, reason: `${pkg} loads`, short: 'loads' };
}

function wasmDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
}

/** Whether a backend can be used here, without switching to it. */
export async function probeBackend(name: BackendName): Promise<Availability> {
  if (name === 'node-gpu' || name === 'node') return probeNode(name);
  if (name === 'wasm') {
    if (!isResolvable('@tensorflow/tfjs-backend-wasm')) {
      return {
        name,
        available: false,
        reason: '@tensorflow/tfjs-backend-wasm is not installed',
        short: 'not installed',
      };
    }
    return { name, available: true, reason: `WebAssembly binaries in ${wasmDir()}`, short: 'WebAssembly' };
  }
  return { name, available: true, reason: 'plain JavaScript, always available', short: 'plain JavaScript' };
}

/**
 * A named backend's availability, or a one-line UserError naming it and why it cannot run here. Commands that hand
 * the backend to other processes (bot sweep's children, bot worker's processors) call it before any other work.
 */
export async function requireBackend(name: BackendName): Promise<Availability> {
  const probe = await probeBackend(name);
  if (!probe.available) throw new UserError(`backend '${name}' is not available: ${probe.reason}`);
  return probe;
}

async function activate(name: BackendName): Promise<boolean> {
  // PROD silences tfjs's console banners ("install the node backend…"); our own log says which backend runs and why.
  tf.env().set('PROD', true);
  registerLeanGradients();
  registerUnpackGradient();
  if (name === 'wasm') {
    if (!wasmPathsSet) {
      setWasmPaths(wasmDir() + path.sep);
      wasmPathsSet = true;
    }
    registerWasmGradientKernels();
    registerWasmFastKernels();
  }
  try {
    const ok = await tf.setBackend(TF_NAME[name]);
    if (ok) await tf.ready();
    return ok && tf.getBackend() === TF_NAME[name];
  } catch {
    return false;
  }
}

/**
 * Picks and activates the tfjs backend. `auto` tries node-gpu, node, wasm, cpu in that order and takes the first that
 * works; a named backend that is not available is a UserError. The choice and the reason go to the log.
 */
export async function initBackend(
  preferred: BackendChoice,
  logger?: Logger,
): Promise<{ name: BackendName; reason: string }> {
  // 'auto' reuses only an automatic choice: after a forced backend (e.g. the nets bench's cpu run) it picks the fastest
  // again
  if (
    current &&
    (preferred === 'auto' ? chosenAutomatically : preferred === current.name) &&
    tf.getBackend() === TF_NAME[current.name]
  ) {
    return current;
  }
  chosenAutomatically = preferred === 'auto';
  if (preferred !== 'auto') {
    const probe = await requireBackend(preferred);
    if (!(await activate(preferred))) throw new UserError(`backend '${preferred}' failed to initialise`);
    current = { name: preferred, reason: `forced by --backend/ml.backend (${probe.reason})` };
  } else {
    current = undefined;
    const skipped: string[] = [];
    for (const name of BACKEND_ORDER) {
      const probe = await probeBackend(name);
      if (probe.available && (await activate(name))) {
        const why = skipped.length ? `; skipped ${skipped.join(', ')}` : '';
        current = { name, reason: `fastest available (${probe.short})${why}` };
        break;
      }
      skipped.push(`${name} (${probe.available ? 'failed to initialise' : probe.short})`);
    }
    if (!current) throw new UserError(`no tfjs backend works: ${skipped.join('; ')}`);
  }
  // the block trainer's own element-wise passes (elementwise-passes-wasm.ts); without them it runs the JS ones
  const simd = await loadWasmPasses();
  logger?.info(`tfjs backend: ${current.name}`, {
    backend: current.name,
    reason: current.reason,
    densePasses: simd ? 'wasm-simd' : 'js',
  });
  return current;
}

/** The backend chosen by the last initBackend call, if any. */
export function currentBackend(): { name: BackendName; reason: string } | undefined {
  return current;
}
