/**
 * Reads a tfjs layer graph into the block trainer's blocks (Dense/Conv1D blocks, concatenations), or says why it
 * cannot.
 */
import type * as tf from '@tensorflow/tfjs';
import { first } from './conv-rows.ts';
import { type SeededDropout } from './seeded-dropout.ts';
import { type Slot, type Step, addGrad } from './block-step.ts';
import { readGraph, unsupportedBy } from './graph.ts';
import { DenseBlock } from './dense-block.ts';

/** Concatenate on the last axis: rows side by side. */
class ConcatBlock {
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

export type Block = DenseBlock | ConcatBlock;

const widthOf = (layer: tf.layers.Layer): number => {
  const s = layer.outputShape as (number | null)[];
  return s.slice(1).reduce<number>((a, b) => a * (b ?? NaN), 1);
};

const rank = (layer: tf.layers.Layer): number => (layer.outputShape as unknown[]).length;

interface Parsed {
  blocks: Block[];
  inputs: Slot[];
  outputs: { name: 'value' | 'policy'; slot: Slot }[];
  slots: Slot[];
}

/**
 * The model as blocks in a valid order, or why it cannot be: every batch norm must directly follow a Dense (and every
 * dropout a Dense or its batch norm) that feeds nothing else.
 */
export function parse(model: tf.LayersModel): Parsed | string {
  /** Layer name → the rows it outputs, for inputs, flattens, concatenations and finished blocks. */
  const slots = new Map<string, Slot>();
  /** Blocks that can still take a batch norm or a dropout, by the name of their last layer. */
  const open = new Map<
    string,
    { layer: tf.layers.Layer; bn?: tf.layers.Layer; pool?: tf.layers.Layer; drop?: SeededDropout; x: Slot }
  >();
  const blocks: Block[] = [];
  const newSlot = (layer: tf.layers.Layer, isInput = false): Slot => ({
    width: widthOf(layer),
    data: new Float32Array(0),
    tensor: undefined,
    grad: undefined,
    isInput,
  });
  const close = (name: string): void => {
    const b = open.get(name);
    if (!b) return;
    open.delete(name);
    const y = newSlot(model.getLayer(name));
    slots.set(name, y);
    blocks.push(new DenseBlock(b.layer, b.bn, b.pool, b.drop, b.x, y));
  };
  for (const g of readGraph(model).layers) {
    const { layer, cls, cfg, inbound } = g;
    if (g.reused) return `layer ${layer.name} is used twice`;
    if (!Number.isFinite(widthOf(layer))) return `layer ${layer.name} has an unknown dimension`;
    if (cls === 'InputLayer') {
      slots.set(layer.name, newSlot(layer, true));
      continue;
    }
    const why = unsupportedBy('blocks', g);
    if (why) return why;
    const source = inbound[0];
    // a block ends where something other than its own batch norm, pooling or dropout reads it
    if (cls !== 'BatchNormalization' && cls !== 'MaxPooling1D' && cls !== 'SeededDropout')
      for (const l of inbound) close(l.name);
    switch (cls) {
      case 'Flatten': {
        const x = slots.get(source.name);
        if (!x) return `flatten ${layer.name} reads an unsupported layer`;
        // row-major rows are already flat: the same slot under a new name
        slots.set(layer.name, x);
        break;
      }
      case 'Dense': {
        if (rank(layer) !== 2) return `dense ${layer.name} is not on rows`;
        const x = slots.get(source.name);
        if (!x) return `dense ${layer.name} reads an unsupported layer`;
        open.set(layer.name, { layer, x });
        break;
      }
      case 'Conv1D': {
        // a softmax across a position's channels has no backward pass here
        if (g.activation === 'softmax') return `conv1d ${layer.name} has activation softmax`;
        if (first(cfg.strides ?? 1) !== 1 || first(cfg.dilationRate ?? 1) !== 1)
          return `conv1d ${layer.name} has strides or dilation`;
        if ((cfg.padding !== 'same' && cfg.padding !== 'valid') || cfg.dataFormat === 'channelsFirst')
          return `conv1d ${layer.name} padding ${String(cfg.padding)}`;
        const x = slots.get(source.name);
        if (!x) return `conv1d ${layer.name} reads an unsupported layer`;
        open.set(layer.name, { layer, x });
        break;
      }
      case 'MaxPooling1D': {
        const b = open.get(source.name);
        if (!b || b.pool || b.drop || source.outboundNodes.length !== 1 || b.layer.getClassName() !== 'Conv1D')
          return `pooling ${layer.name} does not directly follow a conv1d or its batch norm`;
        if (cfg.padding !== 'valid' || cfg.dataFormat === 'channelsFirst')
          return `pooling ${layer.name} padding ${String(cfg.padding)}`;
        open.delete(source.name);
        b.pool = layer;
        open.set(layer.name, b);
        break;
      }
      case 'BatchNormalization': {
        const axis = Array.isArray(cfg.axis) ? (cfg.axis as number[]) : [cfg.axis as number];
        if (axis.length !== 1 || (axis[0] !== -1 && axis[0] !== rank(layer) - 1))
          return `batch norm ${layer.name} is not over the last axis`;
        const b = open.get(source.name);
        if (!b || b.bn || b.pool || b.drop || source.outboundNodes.length !== 1)
          return `batch norm ${layer.name} does not directly follow a dense or conv1d layer`;
        open.delete(source.name);
        b.bn = layer;
        open.set(layer.name, b);
        break;
      }
      case 'SeededDropout': {
        const b = open.get(source.name);
        if (!b || b.drop || source.outboundNodes.length !== 1)
          return `dropout ${layer.name} does not directly follow a dense or conv1d block`;
        open.delete(source.name);
        b.drop = layer as SeededDropout;
        open.set(layer.name, b);
        break;
      }
      case 'Concatenate': {
        if ((cfg.axis !== -1 && cfg.axis !== 1) || rank(layer) !== 2) return `concatenate ${layer.name} is not on rows`;
        const xs = inbound.map((l) => slots.get(l.name));
        if (xs.some((x) => !x)) return `concatenate ${layer.name} reads an unsupported layer`;
        const y = newSlot(layer);
        slots.set(layer.name, y);
        blocks.push(new ConcatBlock(xs as Slot[], y));
        break;
      }
      default:
        return `layer ${layer.name} (${cls}) is not supported`;
    }
  }
  for (const name of [...open.keys()]) close(name);
  const outputs: Parsed['outputs'] = [];
  for (const out of model.outputLayers) {
    const slot = slots.get(out.name);
    if (out.name !== 'value' && out.name !== 'policy') return `output ${out.name} is neither value nor policy`;
    if (!slot) return `output ${out.name} is not the end of a block`;
    outputs.push({ name: out.name, slot });
  }
  return {
    blocks,
    inputs: model.inputLayers.map((l) => slots.get(l.name)!),
    outputs,
    slots: [...new Set(slots.values())],
  };
}
