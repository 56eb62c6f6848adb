import { describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import type { ModelOutputs } from '../outputs.ts';
import { recipeById } from './recipes/index.ts';
import { setSavedTensorSharing } from './tape-saves.ts';
import { tinyBenchmark, useWasmBackend } from './test-helpers.ts';
import { trainModel } from './train.ts';

useWasmBackend();

/** Every float of every split's logits and features, in a fixed order. */
function allValues(o: ModelOutputs): Float32Array[] {
  const splits = [o.id.train, o.id.val, o.id.test, ...o.ood.values()].filter((s) => s !== undefined);
  return splits.flatMap((s) => [s!.logits.data, s!.features.data].map((d) => Float32Array.from(d)));
}

describe('saved tensors share storage (tape-saves.ts)', () => {
  for (const [recipe, encoder] of [['baseline', 'mlp'], ['a2d', 'adapter'], ['a2d_npmix', 'mlp']] as const) {
    test(`${recipe}, ${encoder} encoders: bitwise the training TF.js's copying saves give, and nothing left behind`, async () => {
      const { benchmark, data, modalities } = tinyBenchmark({ encoder, epochs: 3 });
      const run = async (sharing: boolean) => {
        setSavedTensorSharing(sharing);
        const before = tf.memory();
        const r = await trainModel(data, { benchmark, modalities, recipe: recipeById(recipe)!, seed: 4 });
        const after = tf.memory();
        return { r, leakedTensors: after.numTensors - before.numTensors, leakedBytes: after.numBytes - before.numBytes };
      };
      const copied = await run(false);
      const shared = await run(true);
      setSavedTensorSharing();
      expect(shared.r.curve.map((e) => e.loss)).toEqual(copied.r.curve.map((e) => e.loss));
      const a = allValues(copied.r.outputs);
      const b = allValues(shared.r.outputs);
      expect(b.length).toBe(a.length);
      for (let i = 0; i < a.length; i++) {
        expect(Buffer.from(b[i]!.buffer).equals(Buffer.from(a[i]!.buffer))).toBe(true);
      }
      expect(shared.leakedTensors).toBe(copied.leakedTensors);
      expect(shared.leakedBytes).toBe(copied.leakedBytes);
      expect(shared.leakedTensors).toBe(0);
    });
  }

  test('a kept handle outlives the tensor it was made from, with its values', () => {
    const x = tf.tensor1d([1, 2, 3]);
    // what the engine's clone does when a gradient saves a tensor
    const saved = (tf.engine() as unknown as { clone(t: tf.Tensor): tf.Tensor }).clone(x);
    x.dispose();
    expect(Array.from(saved.dataSync())).toEqual([1, 2, 3]);
    const before = tf.memory().numTensors;
    saved.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
  });
});
