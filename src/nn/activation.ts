/**
 * Whether a network's trunk can apply an activation, answered without loading TensorFlow.js for the names it is known
 * to take: a recipe is checked when its strategy loads, and most commands that load one build no network.
 */
import { createRequire } from 'node:module';
import type * as Tf from '@tensorflow/tfjs';
import type { NetworkKind } from './spec.ts';

type ActivationName = Parameters<typeof Tf.layers.activation>[0]['activation'];

/** tfjs's activation functions (its `activation` registry); a test asks tfjs to take each of them. */
export const TFJS_ACTIVATIONS: readonly string[] = [
  'elu',
  'selu',
  'relu',
  'relu6',
  'linear',
  'sigmoid',
  'hardSigmoid',
  'softplus',
  'softsign',
  'tanh',
  'softmax',
  'logSoftmax',
  'gelu',
  'gelu_new',
  'mish',
  'swish',
];

/**
 * Why the trunk of `kind` cannot apply `activation`, or undefined. Only dnn and cnn trunks apply it (lstm and cnnrnn
 * have their own), and they hand it to tfjs: a name off the list above is asked of tfjs's own lookup (loading it), so
 * the answer is the builder's whichever way it is found, not a list's that could drift from it.
 */
export function activationProblem(kind: NetworkKind, activation: string | undefined): string | undefined {
  if (activation === undefined || (kind !== 'dnn' && kind !== 'cnn')) return undefined;
  if (TFJS_ACTIVATIONS.includes(activation)) return undefined;
  // the same module instance as the builders' `import * as tf` (tfjs's entry point is CommonJS)
  const tf = createRequire(import.meta.url)('@tensorflow/tfjs') as typeof Tf;
  try {
    tf.layers.activation({ activation: activation as ActivationName });
    return undefined;
  } catch {
    return 'not an activation tfjs knows (it takes e.g. relu, sigmoid, tanh, elu, linear)';
  }
}
