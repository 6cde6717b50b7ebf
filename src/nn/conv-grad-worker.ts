/**
 * The helper thread of conv-grad-helper.ts: its own tfjs wasm backend, one job at a time. A job is a Conv2D weight
 * gradient, colsᵀ·dz over im2col rows (image-rows.ts), read from and written to shared memory; the job's flag says
 * when it is done (or failed), and the main thread waits on it with Atomics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend/backend.ts';
import { im2colT } from './image-rows.ts';
import { filledTensor, readInto } from './tensor-read.ts';
import { DONE, FAILED, type ConvGradJob } from './conv-grad-helper.ts';

function run(job: ConvGradJob): void {
  const { shape, images, filters } = job;
  const taps = shape.kH * shape.kW * shape.inC;
  const rows = images * shape.outH * shape.outW;
  const x = new Float32Array(job.x, 0, images * shape.inH * shape.inW * shape.inC);
  const dz = new Float32Array(job.dz, 0, rows * filters);
  const colsT = filledTensor([taps, rows], (cols) => im2colT(x, images, shape, cols));
  const dzt = filledTensor([rows, filters], (values) => values.set(dz));
  const dwt = tf.matMul(colsT, dzt);
  readInto(dwt, new Float32Array(job.dw, 0, taps * filters));
  tf.dispose([colsT, dzt, dwt]);
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
