/**
 * cnnrnn's single-observation inference with a per-frame embedding cache (issue 16). A sequence's frame f is drawn
 * from the window ending at its own candle only (chart/frame-renderer.ts), so at the next candle frames 1…F−1 come
 * back as frames 0…F−2; and at inference (batch norm from its moving statistics, no dropout) a frame's embedding is a
 * function of its pixels alone. So each call runs the convolutions only on frames not seen before, on the block
 * engine, and the recurrent part and the heads on the cached embeddings. Entries are found by the frame's pixels
 * (a hash, then an exact comparison), so no caller has to say which frame is which; any write to a per-frame weight
 * (training, a copy, a moving-statistics update: tfjs gives the variable new data) empties the cache. Equal to the
 * uncached block inference (test/nn/frame-cache.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { jsPasses, type ElementwisePasses } from './backend/elementwise-passes.ts';
import { wasmPasses } from './backend/elementwise-passes-wasm.ts';
import type { Slot, Step } from './block-step.ts';
import { type Block, parse } from './block-graph.ts';
import { readGraph } from './graph.ts';
import type { HeadOutputs } from './head-outputs.ts';

interface Entry {
  pixels: Float32Array;
  embedding: Float32Array;
}

/** FNV-1a over the frame's bits. */
function hashOf(frame: Float32Array): number {
  const bits = new Int32Array(frame.buffer, frame.byteOffset, frame.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ bits[i], 0x01000193);
  return h >>> 0;
}

function samePixels(a: Float32Array, b: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class FrameCache {
  private readonly entries = new Map<number, Entry[]>();
  private size = 0;
  private readonly passes: ElementwisePasses;
  /** The per-frame weights' data ids when the entries were computed. */
  private seen: object[] = [];
  /** Frames served from the cache and frames computed, since creation. */
  hits = 0;
  misses = 0;

  private constructor(
    /** The whole network's blocks on rows of whole samples (the recurrent part reads `sequence.frames.slot`). */
    private readonly sequence: Parsed,
    /** The per-frame blocks on rows of one frame each. */
    private readonly perFrame: Parsed,
    private readonly frameWeights: tf.LayerVariable[],
    private readonly frames: number,
    private readonly frameSize: number,
  ) {
    this.passes = wasmPasses() ?? jsPasses();
  }

  /** A cache for `model`, or undefined when it has no per-frame section the block engine runs. */
  static tryCreate(model: tf.LayersModel): FrameCache | undefined {
    const sequence = parse(model),
      perFrame = parse(model, { perFrame: true });
    if (typeof sequence === 'string' || typeof perFrame === 'string' || !sequence.frames || !perFrame.frames)
      return undefined;
    const layers = readGraph(model).layers.map((g) => g.layer);
    const first = layers.findIndex((l) => l.getClassName() === 'FramesToBatch');
    const last = layers.findIndex((l) => l.getClassName() === 'BatchToFrames');
    if (first < 0 || last < first) return undefined;
    const frameWeights = layers.slice(first, last).flatMap((l) => l.weights);
    const shape = model.inputs[0].shape.slice(1) as number[];
    const frameSize = shape.slice(1).reduce((a, b) => a * b, 1);
    return new FrameCache(sequence as Parsed, perFrame as Parsed, frameWeights, shape[0], frameSize);
  }

  /** Inference outputs for one observation (images of `frames` frames, and the agent state), in fresh arrays. */
  predict(x: Float32Array, state: Float32Array): HeadOutputs {
    this.checkWeights();
    const F = this.frames,
      size = this.frameSize;
    const frame = (f: number): Float32Array => x.subarray(f * size, (f + 1) * size);
    const embeddings: (Float32Array | undefined)[] = [];
    /** Frames to compute (a repeated new frame once), and for each frame without an entry its place among them. */
    const missing: number[] = [];
    const place: number[] = [];
    for (let f = 0; f < F; f++) {
      const pixels = frame(f);
      embeddings.push(this.entries.get(hashOf(pixels))?.find((e) => samePixels(e.pixels, pixels))?.embedding);
      if (embeddings[f]) continue;
      let j = missing.findIndex((m) => samePixels(frame(m), pixels));
      if (j < 0) j = missing.push(f) - 1;
      place[f] = j;
    }
    const computed = missing.length ? this.embed(x, missing) : [];
    this.hits += F - missing.length;
    this.misses += missing.length;
    const frameSlot = this.sequence.frames!.slot;
    const width = frameSlot.width / F;
    const rows = new Float32Array(frameSlot.width);
    for (let f = 0; f < F; f++) rows.set(embeddings[f] ?? computed[place[f]], f * width);
    const [, st] = this.sequence.inputs;
    return this.run(this.sequence, this.sequence.frames!.blocks, 1, () => {
      frameSlot.data = rows;
      if (st) st.data = state.subarray(0, st.width);
    });
  }

  /** Runs the per-frame blocks on the frames `which` of x in one batch, caches their embeddings and returns them. */
  private embed(x: Float32Array, which: number[]): Float32Array[] {
    const size = this.frameSize;
    const rows = new Float32Array(which.length * size);
    which.forEach((f, i) => rows.set(x.subarray(f * size, (f + 1) * size), i * size));
    const { slot, blocks } = this.perFrame.frames!;
    this.run(this.perFrame, 0, which.length, () => (this.perFrame.inputs[0].data = rows), blocks);
    const width = slot.width;
    const out = which.map((_, i) => slot.data.slice(i * width, (i + 1) * width));
    which.forEach((_, i) => {
      const pixels = rows.slice(i * size, (i + 1) * size);
      const h = hashOf(pixels);
      const list = this.entries.get(h) ?? [];
      list.push({ pixels, embedding: out[i] });
      this.entries.set(h, list);
      this.size++;
    });
    // keep about four sequences' worth: the oldest frames go first (a Map iterates in insertion order)
    while (this.size > 4 * this.frames) {
      const [h, list] = this.entries.entries().next().value as [number, Entry[]];
      list.shift();
      this.size--;
      if (!list.length) this.entries.delete(h);
    }
    return out;
  }

  /** Inference of blocks [from, to) of `p` on n rows, after `load` has put their inputs in place. */
  private run(p: Parsed, from: number, n: number, load: () => void, to = p.blocks.length): HeadOutputs {
    const blocks = p.blocks.slice(from, to);
    this.passes.reset();
    this.passes.reserve(blocks.reduce((sum, b) => sum + b.need(n), 0));
    for (const slot of p.slots) {
      slot.tensor = undefined;
      slot.grad = undefined;
    }
    const step: Step = { n, training: false, passes: this.passes, held: [], grads: [], updates: [] };
    try {
      load();
      for (const b of blocks) b.forward(step);
      const out: HeadOutputs = {};
      if (to === p.blocks.length) for (const { name, slot } of p.outputs) out[name] = Float32Array.from(slot.data);
      return out;
    } finally {
      tf.dispose(step.held);
      for (const slot of p.slots) slot.tensor = undefined;
    }
  }

  /** Empties the cache when a per-frame weight has new data since the entries were computed. */
  private checkWeights(): void {
    const ids = this.frameWeights.map((w) => w.read().dataId);
    if (ids.length === this.seen.length && ids.every((id, i) => id === this.seen[i])) return;
    this.entries.clear();
    this.size = 0;
    this.seen = ids;
  }
}

type Parsed = Exclude<ReturnType<typeof parse>, string> & { blocks: Block[]; slots: Slot[] };
