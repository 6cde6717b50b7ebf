/**
 * Reads a tfjs layer graph into the block trainer's blocks (Dense/Conv1D blocks, Conv2D image blocks, GRUs, dropouts,
 * concatenations), or says why it cannot.
 */
import type * as tf from '@tensorflow/tfjs';
import { first } from './conv-rows.ts';
import { type SeededDropout } from './seeded-dropout.ts';
import { type Slot } from './block-step.ts';
import { readGraph, unsupportedBy } from './graph.ts';
import { DenseBlock } from './dense-block.ts';
import { ImageBlock, type ImageLayers } from './image-block.ts';
import { GruBlock, gruUnsupported } from './gru-block.ts';
import { ConcatBlock, DropoutBlock } from './row-blocks.ts';
import { conv2dUnsupported, pool2dUnsupported } from './image-rows.ts';

export type Block = DenseBlock | ConcatBlock | ImageBlock | GruBlock | DropoutBlock;

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
  /**
   * cnnrnn's per-frame section: the slot BatchToFrames reads (each frame's embedding) and how many blocks, from the
   * first, compute it.
   */
  frames?: { slot: Slot; blocks: number };
}

/** Layers that extend the open block they read instead of closing it. */
const EXTENDS = new Set([
  'BatchNormalization',
  'MaxPooling1D',
  'SeededDropout',
  'LeakyReLU',
  'ReLU',
  'MaxPooling2D',
  'AveragePooling2D',
]);

/**
 * The model as blocks in a valid order, or why it cannot be: every batch norm must directly follow a Dense, Conv1D or
 * Conv2D that feeds nothing else; an image block is Conv2D (+ batch norm) (+ LeakyReLU/ReLU) (+ 2-D pooling).
 */
export function parse(model: tf.LayersModel, options: { perFrame?: boolean } = {}): Parsed | string {
  /** Layer name → the rows it outputs, for inputs, flattens, concatenations and finished blocks. */
  const slots = new Map<string, Slot>();
  /** Images per sample at a layer's output (FramesToBatch folds the frames into the batch); 1 when absent. */
  const perSample = new Map<string, number>();
  /** Blocks that can still take a batch norm or a dropout, by the name of their last layer. */
  const open = new Map<
    string,
    { layer: tf.layers.Layer; bn?: tf.layers.Layer; pool?: tf.layers.Layer; drop?: SeededDropout; x: Slot }
  >();
  /** Image blocks that can still take a batch norm, an activation or a pooling. */
  const openImages = new Map<string, ImageLayers & { x: Slot }>();
  const blocks: Block[] = [];
  let frames: Parsed['frames'];
  const newSlot = (layer: tf.layers.Layer, isInput = false): Slot => ({
    width: widthOf(layer) * (perSample.get(layer.name) ?? 1),
    data: new Float32Array(0),
    tensor: undefined,
    grad: undefined,
    isInput,
  });
  const close = (name: string): void => {
    const b = open.get(name);
    const im = openImages.get(name);
    if (!b && !im) return;
    open.delete(name);
    openImages.delete(name);
    const y = newSlot(model.getLayer(name));
    slots.set(name, y);
    if (b) {
      const groups = perSample.get(b.layer.name) ?? 1;
      blocks.push(new DenseBlock(b.layer, b.bn, b.pool, b.drop, b.x, y, groups));
    } else if (im) {
      blocks.push(new ImageBlock(im, perSample.get(im.conv.name) ?? 1, im.x, y));
    }
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
    const sourceFrames = perSample.get(source.name) ?? 1;
    // perFrame: the per-frame blocks on rows of single frames (one image per row; the frame cache's parse)
    if (cls === 'FramesToBatch') perSample.set(layer.name, options.perFrame ? 1 : (source.outputShape as number[])[1]);
    else if (cls !== 'BatchToFrames' && sourceFrames > 1) perSample.set(layer.name, sourceFrames);
    if (
      ['Dense', 'Conv1D', 'Conv2D'].includes(cls) &&
      !['linear', 'relu', 'sigmoid', 'tanh', 'softmax'].includes(g.activation)
    )
      return `${cls.toLowerCase()} ${layer.name} has activation ${g.activation}`;
    // a block ends where something other than its own batch norm, pooling, activation or dropout reads it
    if (!EXTENDS.has(cls) || source.outboundNodes.length !== 1) for (const l of inbound) close(l.name);
    const image = openImages.get(source.name);
    if (image && EXTENDS.has(cls)) {
      const pooling = cls === 'MaxPooling2D' || cls === 'AveragePooling2D';
      const activation = cls === 'LeakyReLU' || cls === 'ReLU';
      if (cls === 'BatchNormalization' && !image.bn && !image.act && !image.pool) image.bn = layer;
      else if (activation && !image.act && !image.pool) image.act = layer;
      else if (pooling && !image.pool) image.pool = layer;
      else close(source.name);
      if (openImages.has(source.name)) {
        if (cls === 'BatchNormalization' && Number(cfg.axis) !== -1 && Number(cfg.axis) !== 3)
          return `batch norm ${layer.name} is not over the channels`;
        if (pooling) {
          const poolWhy = pool2dUnsupported(layer.name, cfg);
          if (poolWhy) return poolWhy;
        }
        if (cls === 'ReLU' && (cfg.maxValue != null || Number(cfg.threshold ?? 0) !== 0))
          return `relu ${layer.name} has a maximum or threshold`;
        openImages.delete(source.name);
        openImages.set(layer.name, image);
        continue;
      }
    }
    switch (cls) {
      case 'FramesToBatch':
      case 'BatchToFrames':
      case 'Flatten': {
        const x = slots.get(source.name);
        if (!x) return `${cls.toLowerCase()} ${layer.name} reads an unsupported layer`;
        // row-major rows are already flat, and [batch, frames, …] is [batch·frames, …]: the same slot, a new name
        slots.set(layer.name, x);
        if (cls === 'BatchToFrames') frames = { slot: x, blocks: blocks.length };
        break;
      }
      case 'Dense': {
        if (rank(layer) !== 2) return `dense ${layer.name} is not on rows`;
        const x = slots.get(source.name);
        if (!x) return `dense ${layer.name} reads an unsupported layer`;
        open.set(layer.name, { layer, x });
        break;
      }
      case 'Conv2D': {
        if (g.activation !== 'linear' && g.activation !== 'relu')
          return `conv2d ${layer.name} has activation ${g.activation}`;
        const convWhy = conv2dUnsupported(layer.name, cfg);
        if (convWhy) return convWhy;
        const x = slots.get(source.name);
        if (!x) return `conv2d ${layer.name} reads an unsupported layer`;
        openImages.set(layer.name, { conv: layer, x });
        break;
      }
      case 'GRU': {
        const gruWhy = gruUnsupported(layer.name, cfg);
        if (gruWhy) return gruWhy;
        const x = slots.get(source.name);
        if (!x) return `gru ${layer.name} reads an unsupported layer`;
        const y = newSlot(layer);
        slots.set(layer.name, y);
        blocks.push(new GruBlock(layer, x, y));
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
        if (b && !b.drop && source.outboundNodes.length === 1) {
          open.delete(source.name);
          b.drop = layer as SeededDropout;
          open.set(layer.name, b);
          break;
        }
        close(source.name);
        const x = slots.get(source.name);
        if (!x) return `dropout ${layer.name} reads an unsupported layer`;
        const y = newSlot(layer);
        slots.set(layer.name, y);
        blocks.push(new DropoutBlock(layer as SeededDropout, x, y));
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
    ...(frames ? { frames } : {}),
  };
}
