/**
 * The helper thread of conv-grad-helper.ts: its own tfjs wasm backend, one job at a time. A job is a Conv2D weight
 * gradient (conv-kernel-grad.ts) or a forward convolution of some images, read from and written to shared memory;
 * the job's flag says when it is done (or failed), and the main thread waits on it with Atomics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend/backend.ts';
import { filledTensor, readInto } from './tensor-read.ts';
import { conv2dKernelGradient } from './conv-kernel-grad.ts';
import { DONE, FAILED, type ConvGradJob } from './conv-grad-helper.ts';

function gradient(job: ConvGradJob): void {
  const { shape, images, filters } = job;
  const rows = images * shape.outH * shape.outW;
  const x = new Float32Array(job.x, 0, images * shape.inH * shape.inW * shape.inC);
  const dz = new Float32Array(job.dz, 0, rows * filters);
  const dzt = filledTensor([rows, filters], (values) => values.set(dz)) as tf.Tensor2D;
  const dw = conv2dKernelGradient(x, dzt, shape, images, filters);
  new Float32Array(job.out, 0, dw.length).set(dw);
  dzt.dispose();
}

function forward(job: ConvGradJob): void {
  const { shape, images, filters } = job;
  const { inH, inW, inC, kH, kW } = shape;
  const taps = kH * kW * inC * filters;
  const xt = tf.tensor4d(new Float32Array(job.x, 0, images * inH * inW * inC), [images, inH, inW, inC]);
  const filter = tf.tensor4d(new Float32Array(job.dz, 0, taps), [kH, kW, inC, filters]);
  const bias = job.bias ? tf.tensor1d(new Float32Array(job.dz, taps * 4, filters)) : undefined;
  const zt = tf.fused.conv2d({
    x: xt,
    filter,
    strides: [shape.strideH, shape.strideW],
    pad: job.padding,
    ...(bias ? { bias } : {}),
    activation: job.relu ? 'relu' : 'linear',
  });
  readInto(zt, new Float32Array(job.out, 0, zt.size));
  tf.dispose([xt, filter, zt, ...(bias ? [bias] : [])]);
}

if (parentPort) {
  const port = parentPort;
  await initBackend('wasm');
  port.on('message', (job: ConvGradJob) => {
    const flag = new Int32Array(job.flag);
    try {
      if (job.kind === 'forward') forward(job);
      else gradient(job);
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
