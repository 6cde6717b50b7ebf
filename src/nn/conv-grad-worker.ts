/**
 * The helper thread of conv-grad-helper.ts: its own tfjs wasm backend, one job at a time. A job is a Conv2D weight
 * gradient (conv-kernel-grad.ts), read from and written to shared memory; the job's flag says
 * when it is done (or failed), and the main thread waits on it with Atomics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend/backend.ts';
import { filledTensor } from './tensor-read.ts';
import { conv2dKernelGradient } from './conv-kernel-grad.ts';
import { DONE, FAILED, type ConvGradJob } from './conv-grad-helper.ts';

function run(job: ConvGradJob): void {
  const { shape, images, filters } = job;
  const rows = images * shape.outH * shape.outW;
  const x = new Float32Array(job.x, 0, images * shape.inH * shape.inW * shape.inC);
  const dz = new Float32Array(job.dz, 0, rows * filters);
  const dzt = filledTensor([rows, filters], (values) => values.set(dz)) as tf.Tensor2D;
  const dw = conv2dKernelGradient(x, dzt, shape, images, filters);
  new Float32Array(job.dw, 0, dw.length).set(dw);
  dzt.dispose();
}

if (parentPort) {
  const port = parentPort;
  await initBackend('wasm');
  port.on('message', (job: ConvGradJob) => {
    const flag = new Int32Array(job.flag);
    try {
      run(job);
      Atomics.store(flag, 0, DONE);
    } catch {
      Atomics.store(flag, 0, FAILED);
    }
    Atomics.notify(flag, 0);
  });
  // the main thread reads this flag without waiting for a message (its training loop may not yield)
  const ready = new Int32Array(workerData as SharedArrayBuffer);
  Atomics.store(ready, 0, 1);
}
