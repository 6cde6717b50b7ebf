/**
 * The second core for cnnrnn training (issue 16): a helper thread (conv-grad-worker.ts) computes the widest image
 * block's weight gradient while the main thread goes on with the rest of the backward pass (the trainer collects it
 * before the optimiser step), and half the images of each large forward convolution while the main thread does the
 * other half. One
 * helper per process, started on first use; until it has its own backend ready, and whenever it is busy or fails,
 * the main thread computes the gradient itself. Same numbers either way (the same kernels on the same backend): see
 * test/nn/conv-grad-helper.test.ts.
 */
import { Worker } from 'node:worker_threads';
import type { Conv2DShape } from './image-rows.ts';

/**
 * What the main thread posts: a weight gradient (dW from x and dz) or a forward convolution of some of the images (z
 * from x, the kernel and the bias), with shared arrays for the inputs, the result and the job's flag.
 */
export interface ConvGradJob {
  kind: 'weight-gradient' | 'forward';
  shape: Conv2DShape;
  images: number;
  filters: number;
  x: SharedArrayBuffer;
  /** weight-gradient: dz rows; forward: the kernel, then the bias when `bias`. */
  dz: SharedArrayBuffer;
  /** weight-gradient: dW; forward: z rows. */
  out: SharedArrayBuffer;
  padding: 'same' | 'valid';
  relu: boolean;
  bias: boolean;
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
  private out = new SharedArrayBuffer(0);
  private busy = false;
  private broken = false;
  /** Jobs the helper finished, since the process started. */
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
   * Starts dW for `images` images x (NHWC) and dz [pixels, filters]; returns the function that waits for it and gives
   * the gradient, or undefined when it did not come (the caller computes it then).
   */
  start(x: Float32Array, dz: Float32Array, shape: Conv2DShape, images: number, filters: number) {
    const wait = this.post(
      { kind: 'weight-gradient', shape, images, filters },
      [x],
      [dz],
      shape.kH * shape.kW * shape.inC * filters,
    );
    return (): Float32Array | undefined => wait()?.slice();
  }

  /**
   * Starts z = conv(x, kernel) (+ bias) (relu) for `images` images x; returns the function that waits for it and gives
   * z (a view the next job overwrites), or undefined when it did not come.
   */
  startForward(
    x: Float32Array,
    kernel: Float32Array,
    bias: Float32Array | undefined,
    conv: {
      shape: Conv2DShape;
      images: number;
      filters: number;
      padding: 'same' | 'valid';
      relu: boolean;
    },
  ): () => Float32Array | undefined {
    const { shape, images, filters } = conv;
    const size = images * shape.outH * shape.outW * filters;
    return this.post({ kind: 'forward', ...conv, bias: !!bias }, [x], bias ? [kernel, bias] : [kernel], size);
  }

  private post(
    job: Pick<ConvGradJob, 'kind' | 'shape' | 'images' | 'filters'> & Partial<ConvGradJob>,
    xs: Float32Array[],
    dzs: Float32Array[],
    outLength: number,
  ): () => Float32Array | undefined {
    const fill = (buffer: SharedArrayBuffer, arrays: Float32Array[]): SharedArrayBuffer => {
      const grownBuffer = grown(buffer, arrays.reduce((sum, a) => sum + a.length, 0) * 4);
      let at = 0;
      for (const a of arrays) {
        new Float32Array(grownBuffer, at * 4, a.length).set(a);
        at += a.length;
      }
      return grownBuffer;
    };
    this.x = fill(this.x, xs);
    this.dz = fill(this.dz, dzs);
    this.out = grown(this.out, outLength * 4);
    Atomics.store(this.flag, 0, RUNNING);
    this.busy = true;
    this.worker.postMessage({
      padding: 'valid',
      relu: false,
      bias: false,
      ...job,
      x: this.x,
      dz: this.dz,
      out: this.out,
      flag: this.flag.buffer,
    } satisfies ConvGradJob);
    return () => {
      this.busy = false;
      if (Atomics.wait(this.flag, 0, RUNNING, WAIT_MS) === 'timed-out') this.broken = true;
      if (Atomics.load(this.flag, 0) !== DONE) return undefined;
      this.done++;
      return new Float32Array(this.out, 0, outLength);
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
