/**
 * The second core for cnnrnn training (issue 16): a helper thread (conv-grad-worker.ts) computes one Conv2D weight
 * gradient, the widest image block's im2col rows and their product with dz (a third of a wasm training step), while
 * the main thread goes on with the rest of the backward pass; the trainer collects it before the optimiser step. One
 * helper per process, started on first use; until it has its own backend ready, and whenever it is busy or fails,
 * the main thread computes the gradient itself. Same numbers either way (the same kernels on the same backend): see
 * test/nn/conv-grad-helper.test.ts.
 */
import { Worker } from 'node:worker_threads';
import type { Conv2DShape } from './image-rows.ts';

/** What the main thread posts: the shape, and shared arrays for x, dz, the gradient and the job's flag. */
export interface ConvGradJob {
  shape: Conv2DShape;
  images: number;
  filters: number;
  x: SharedArrayBuffer;
  dz: SharedArrayBuffer;
  dw: SharedArrayBuffer;
  /** [0]: RUNNING, DONE or FAILED. */
  flag: SharedArrayBuffer;
}

const RUNNING = 1;
export const DONE = 2,
  FAILED = 3;

/** How long the main thread waits for a job before it computes the gradient itself and stops using the helper. */
const WAIT_MS = 30_000;

/** A SharedArrayBuffer of at least `bytes`, reused while it is large enough. */
function grown(buffer: SharedArrayBuffer, bytes: number): SharedArrayBuffer {
  return buffer.byteLength >= bytes ? buffer : new SharedArrayBuffer(Math.ceil(bytes * 1.25));
}

class ConvGradHelper {
  private readonly worker: Worker;
  private readonly ready = new Int32Array(new SharedArrayBuffer(4));
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private x = new SharedArrayBuffer(0);
  private dz = new SharedArrayBuffer(0);
  private dw = new SharedArrayBuffer(0);
  private busy = false;
  private broken = false;
  /** Gradients the helper computed, since the process started. */
  done = 0;

  constructor() {
    // the sources are TypeScript: the worker registers tsx's hooks itself, then imports its module (an --import
    // flag in execArgv does not reach a worker's own entry module on Node 20)
    const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const entry = JSON.stringify(new URL('./conv-grad-worker.ts', import.meta.url).href);
    this.worker = new Worker(`import(${api}).then((m) => { m.register(); return import(${entry}); })`, {
      eval: true,
      workerData: this.ready.buffer,
    });
    this.worker.on('error', () => (this.broken = true));
    this.worker.on('exit', () => (this.broken = true));
    // the process may end while the helper waits for work
    this.worker.unref();
  }

  /** Whether a job can start now. */
  available(): boolean {
    return !this.broken && !this.busy && Atomics.load(this.ready, 0) === 1;
  }

  /**
   * Starts dW = colsᵀ·dz for `images` images x (NHWC) and dz [pixels, filters]; returns the function that waits for
   * it and gives the gradient, or undefined when it did not come (the caller computes it then).
   */
  start(x: Float32Array, dz: Float32Array, shape: Conv2DShape, images: number, filters: number) {
    const taps = shape.kH * shape.kW * shape.inC;
    this.x = grown(this.x, x.length * 4);
    this.dz = grown(this.dz, dz.length * 4);
    this.dw = grown(this.dw, taps * filters * 4);
    new Float32Array(this.x, 0, x.length).set(x);
    new Float32Array(this.dz, 0, dz.length).set(dz);
    Atomics.store(this.flag, 0, RUNNING);
    this.busy = true;
    const job: ConvGradJob = { shape, images, filters, x: this.x, dz: this.dz, dw: this.dw, flag: this.flag.buffer };
    this.worker.postMessage(job);
    return (): Float32Array | undefined => {
      this.busy = false;
      if (Atomics.wait(this.flag, 0, RUNNING, WAIT_MS) === 'timed-out') this.broken = true;
      if (Atomics.load(this.flag, 0) !== DONE) return undefined;
      this.done++;
      return new Float32Array(this.dw, 0, taps * filters).slice();
    };
  }
}

let helper: ConvGradHelper | undefined;

/** The process's helper thread (started on the first call). */
export function convGradHelper(): ConvGradHelper {
  return (helper ??= new ConvGradHelper());
}

/** Waits until the helper has its backend ready (tests; training does not wait). */
export async function helperReady(timeoutMs = 60_000): Promise<boolean> {
  const h = convGradHelper();
  const end = Date.now() + timeoutMs;
  while (!h.available() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return h.available();
}
