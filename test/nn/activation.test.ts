/**
 * A recipe's activation is checked without TensorFlow.js for the names on src/nn/activation.ts's list; every other
 * name is still asked of tfjs, so the list can only answer as tfjs would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { activationProblem, TFJS_ACTIVATIONS } from '../../src/nn/activation.ts';

type ActivationName = Parameters<typeof tf.layers.activation>[0]['activation'];

test('tfjs takes every activation on the list', () => {
  for (const name of TFJS_ACTIVATIONS) {
    assert.doesNotThrow(() => tf.layers.activation({ activation: name as ActivationName }), name);
    assert.equal(activationProblem('dnn', name), undefined, name);
  }
});

test('a name off the list is asked of the same tfjs the builder uses', () => {
  const required = createRequire(import.meta.url)('@tensorflow/tfjs') as typeof tf;
  assert.equal(required.layers, tf.layers, 'one tfjs module, not a second copy');
  for (const name of ['Relu', 'bogus', 'hard_sigmoid'])
    assert.match(activationProblem('cnn', name) ?? '', /^not an activation tfjs knows/, name);
  // lstm and cnnrnn trunks apply their own
  assert.equal(activationProblem('lstm', 'bogus'), undefined);
  assert.equal(activationProblem('dnn', undefined), undefined);
});
