import { describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { replicaKey, trainReplicas } from './replicas.ts';
import { recipeById } from './recipes/index.ts';
import { expectIdentical, tinyBenchmark, useWasmBackend } from './test-helpers.ts';
import { trainModel } from './train.ts';

useWasmBackend();

describe('trainReplicas', () => {
  test('each replica gives bitwise the numbers trainModel gives it alone (baseline, A2D, A2D + NP-Mix; adapter and MLP encoders)', async () => {
    for (const encoder of ['adapter', 'mlp'] as const) {
      const { benchmark, data, modalities } = tinyBenchmark({ encoder, epochs: 2 });
      const seed = 3;
      const replicas = [
        { recipe: 'baseline', overrides: { lr: 1e-2, ...(encoder === 'mlp' ? { hidden: 8 } : {}) } },
        { recipe: 'a2d', overrides: { lr: 1e-2, ...(encoder === 'mlp' ? { hidden: 8 } : {}) } },
        { recipe: 'a2d_npmix', overrides: { lr: 1e-2, startEpoch: 0, queueSize: 4, ...(encoder === 'mlp' ? { hidden: 8 } : {}) } },
      ];
      const before = tf.memory().numTensors;
      const together = await trainReplicas(data, { benchmark, modalities, seed, replicas });
      expect(tf.memory().numTensors).toBe(before);
      expect(together.length).toBe(3);
      expect(together[2]!.curve.some((c) => c.synthesisSteps > 0)).toBe(true);
      for (let i = 0; i < replicas.length; i++) {
        const alone = await trainModel(data, { benchmark, modalities, seed, ...replicas[i]! });
        expectIdentical(alone, together[i]!);
      }
    }
  }, 120_000);

  test('one replica equals trainModel; settings that shape the batches must agree', async () => {
    const { benchmark, data, modalities } = tinyBenchmark({ epochs: 2 });
    const [one] = await trainReplicas(data, { benchmark, modalities, seed: 1, replicas: [{ recipe: 'a2d' }] });
    expectIdentical(await trainModel(data, { benchmark, modalities, seed: 1, recipe: 'a2d' }), one!);
    await expect(trainReplicas(data, { benchmark, modalities, seed: 1, replicas: [{ recipe: 'a2d' }, { recipe: 'baseline', overrides: { lr: 1 } }] })).rejects.toThrow('differs in a setting');
    const cfg = recipeById('a2d')!.configure(benchmark.training);
    expect(replicaKey(cfg)).toBe(replicaKey(recipeById('a2d_npmix')!.configure(benchmark.training)));
  }, 60_000);
});
