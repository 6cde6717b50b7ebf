/** The block trainer's blocks without weights: Concatenate on rows, and a SeededDropout that follows no dense block. */
import type { SeededDropout } from './seeded-dropout.ts';
import { type Slot, type Step, addGrad } from './block-step.ts';

/** Concatenate on the last axis: rows side by side. */
export class ConcatBlock {
  constructor(
    private readonly xs: Slot[],
    readonly y: Slot,
  ) {}

  need(n: number): number {
    return 4 * 4 * n * this.y.width + 32 * this.xs.length;
  }

  forward(step: Step): void {
    const { n } = step;
    const w = this.y.width;
    const y = step.passes.f32(n * w);
    let offset = 0;
    for (const x of this.xs) {
      const xw = x.width,
        xd = x.data;
      for (let r = 0; r < n; r++) y.set(xd.subarray(r * xw, (r + 1) * xw), r * w + offset);
      offset += xw;
    }
    this.y.data = y;
  }

  backward(step: Step): void {
    const { n } = step;
    const dy = this.y.grad;
    if (!dy) return;
    const w = this.y.width;
    let offset = 0;
    for (const x of this.xs) {
      const xw = x.width;
      if (!x.isInput) {
        const dx = step.passes.f32(n * xw);
        for (let r = 0; r < n; r++) dx.set(dy.subarray(r * w + offset, r * w + offset + xw), r * xw);
        addGrad(x, dx);
      }
      offset += xw;
    }
  }
}

/**
 * A SeededDropout on its own (cnnrnn's after the image trunk and after the GRU): y = x ⊙ mask in training, drawn from
 * the layer's stream as its tfjs call draws it (same count, same row-major order), the identity at inference.
 */
export class DropoutBlock {
  private mask: Float32Array | undefined;

  constructor(
    private readonly dropout: SeededDropout,
    private readonly x: Slot,
    readonly y: Slot,
  ) {}

  need(n: number): number {
    return 4 * 3 * n * this.y.width + 64;
  }

  forward(step: Step): void {
    const { n, passes } = step;
    const len = n * this.y.width;
    const rate = this.dropout.rate;
    this.mask = undefined;
    if (!step.training || !(rate > 0 && rate < 1)) {
      this.y.data = this.x.data;
      return;
    }
    const mask = (this.mask = passes.f32(len));
    this.dropout.drawMask(mask, passes.dropoutMask);
    const x = this.x.data,
      y = passes.f32(len);
    for (let i = 0; i < len; i++) y[i] = x[i] * mask[i];
    this.y.data = y;
  }

  backward(step: Step): void {
    const dy = this.y.grad;
    if (!dy || this.x.isInput) return;
    const mask = this.mask;
    if (!mask) return addGrad(this.x, dy);
    const dx = step.passes.f32(dy.length);
    for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * mask[i];
    addGrad(this.x, dx);
  }
}
